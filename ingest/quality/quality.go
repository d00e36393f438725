// Package quality measures a loaded dataset against its owners' quality
// thresholds: per collection the document count, the fill rate of each
// required field, the rejects by reason (from <collection>_rejects), the
// documents sharing a natural key, the oldest and newest record and the
// last load; per canned question of `citadel report` the p50 and p95
// latency over a number of runs. A figure past its threshold is a
// Breach, listed first. Each collection is read in one projected pass.
// See DESIGN.md.
package quality

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/dictionary"
)

// Thresholds are the limits a dataset must stay within.
type Thresholds struct {
	// MinFillRate is the least share of documents each required field
	// must be filled in.
	MinFillRate float64 `json:"min_fill_rate"`
	// MaxRejectRate is the largest share of rejected records (rejects /
	// (documents + rejects)) of a collection.
	MaxRejectRate float64 `json:"max_reject_rate"`
	// MaxDuplicates is how many documents may share a natural key with
	// another one.
	MaxDuplicates int64 `json:"max_duplicates"`
	// MaxP95 bounds the 95th percentile of each canned question's time.
	MaxP95 time.Duration `json:"-"`
	// MaxAge bounds the age of a collection's newest record (0: no limit):
	// for data that is meant to be refreshed.
	MaxAge time.Duration `json:"-"`
}

// Options tune Measure.
type Options struct {
	Thresholds Thresholds
	// Runs of each canned question (config.DefaultQualityLimits.Runs when 0).
	Runs int
	// Now is the time the age of records is measured at (time.Now when zero).
	Now time.Time
}

// OptionsFor are the options of a dataset's limits as the config resolves
// them (config.Quality.For): the defaults live there, in one place.
func OptionsFor(l config.QualityLimits) Options {
	return Options{Runs: l.Runs, Thresholds: Thresholds{MinFillRate: l.MinFillRate, MaxRejectRate: l.MaxRejectRate,
		MaxDuplicates: int64(l.MaxDuplicates), MaxP95: l.MaxP95, MaxAge: l.MaxAge}}
}

// Report is the quality report of one dataset.
type Report struct {
	Dataset     string     `json:"dataset"`
	Database    string     `json:"database"`
	GeneratedAt time.Time  `json:"generated_at"`
	Thresholds  Limits     `json:"thresholds"`
	Runs        int        `json:"runs"`
	Breaches    []Breach   `json:"breaches"`
	Collections []Coll     `json:"collections"`
	Questions   []Question `json:"questions"`
}

// Limits are the thresholds as the report prints them.
type Limits struct {
	Thresholds
	MaxP95Seconds float64 `json:"max_p95_seconds"`
	MaxAgeSeconds float64 `json:"max_age_seconds,omitempty"`
}

// Coll is one collection's figures.
type Coll struct {
	Name       string     `json:"name"`
	Loaded     bool       `json:"loaded"`
	Documents  int64      `json:"documents"`
	Required   []Fill     `json:"required"`
	Rejects    int64      `json:"rejects"`
	RejectRate float64    `json:"reject_rate"`
	Reasons    []Reason   `json:"reject_reasons"`
	Key        []string   `json:"key,omitempty"`
	Duplicates int64      `json:"duplicates"`
	Freshness  string     `json:"freshness_field,omitempty"`
	Oldest     any        `json:"oldest,omitempty"`
	Newest     any        `json:"newest,omitempty"`
	LastLoad   *time.Time `json:"last_load,omitempty"`
}

// Fill is a required field's fill rate.
type Fill struct {
	Field     string  `json:"field"`
	Documents int64   `json:"documents"`
	Rate      float64 `json:"rate"`
}

// Reason is how many records were rejected for one reason.
type Reason struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// Question is one canned question's latency.
type Question struct {
	Name       string  `json:"name"`
	Question   string  `json:"question"`
	Runs       int     `json:"runs"`
	P50Seconds float64 `json:"p50_seconds"`
	P95Seconds float64 `json:"p95_seconds"`
	Rows       int     `json:"rows"`
	Error      string  `json:"error,omitempty"`
}

// Breach is a figure past its threshold.
type Breach struct {
	// Where is the collection or the question.
	Where string `json:"where"`
	// Check names the threshold: fill_rate, reject_rate, duplicates, age,
	// p95 or error (a question that failed).
	Check   string `json:"check"`
	Message string `json:"message"`
}

// Measure reads each collection once and times each probe, then checks
// the figures against the thresholds. Collections the database lacks are
// reported as not loaded.
func Measure(ctx context.Context, db *mongo.Database, dataset string, collections []string, spec *dictionary.Spec, probes []ingest.Probe, opt Options) (*Report, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Runs <= 0 {
		opt.Runs = config.DefaultQualityLimits.Runs
	}
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections of %s: %w", db.Name(), err)
	}
	th := opt.Thresholds
	r := &Report{Dataset: dataset, Database: db.Name(), GeneratedAt: opt.Now.UTC(), Runs: opt.Runs, Breaches: []Breach{},
		Thresholds: Limits{Thresholds: th, MaxP95Seconds: th.MaxP95.Seconds(), MaxAgeSeconds: th.MaxAge.Seconds()}}
	for _, name := range collections {
		cs := spec.Collection(name)
		c := Coll{Name: name, Key: cs.Key, Freshness: cs.Freshness, Required: []Fill{}, Reasons: []Reason{}}
		if slices.Contains(names, name) {
			if err := measureCollection(ctx, db, cs, &c); err != nil {
				return nil, err
			}
		}
		r.Collections = append(r.Collections, c)
	}
	for _, p := range probes {
		r.Questions = append(r.Questions, timeProbe(ctx, db, p, opt.Runs))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Breaches = breaches(r, th, opt.Now)
	return r, nil
}

// rejects counts a collection's rejects by reason: a server-side $group
// with one $sum (a few reasons: cheap on FerretDB too).
func rejects(ctx context.Context, db *mongo.Database, c *Coll) error {
	gs, err := ingest.GroupSum(ctx, db.Collection(c.Name+ingest.RejectsSuffix), nil, "$reason", "", true, 0)
	if err != nil {
		return fmt.Errorf("count rejects of %s: %w", c.Name, err)
	}
	for _, g := range gs {
		reason, _ := g.Key.(string)
		if g.Key == nil {
			reason = "(no reason)"
		}
		c.Reasons = append(c.Reasons, Reason{Reason: reason, Count: int64(g.Value)})
		c.Rejects += int64(g.Value)
	}
	if total := c.Documents + c.Rejects; total > 0 {
		c.RejectRate = float64(c.Rejects) / float64(total)
	}
	return nil
}
