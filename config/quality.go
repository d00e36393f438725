package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Quality sets the thresholds of `citadel quality DATASET`: defaults for
// every dataset, and per dataset what differs. A threshold set nowhere
// takes citadel's default (DefaultQualityLimits).
type Quality struct {
	// Runs of each canned question, for its p50 and p95 latency.
	Runs     int                          `yaml:"runs"`
	Defaults QualityThresholds            `yaml:"defaults"`
	Datasets map[string]QualityThresholds `yaml:"datasets"`
}

// QualityThresholds are the limits of one dataset's figures; nil means
// "inherited" (from defaults, then from citadel's own defaults).
type QualityThresholds struct {
	MinFillRate   *float64  `yaml:"min_fill_rate"`
	MaxRejectRate *float64  `yaml:"max_reject_rate"`
	MaxDuplicates *int      `yaml:"max_duplicates"`
	MaxP95        *Duration `yaml:"max_p95"`
	MaxAge        *Duration `yaml:"max_age"`
}

// QualityLimits are the resolved thresholds of one dataset.
type QualityLimits struct {
	Runs          int
	MinFillRate   float64
	MaxRejectRate float64
	MaxDuplicates int
	MaxP95        time.Duration
	MaxAge        time.Duration // 0: the age of records is not checked
}

// DefaultQualityLimits are citadel's defaults: required fields filled in
// 95 % of the documents, at most 1 % of records rejected (as
// ingest.max_error_rate), no duplicate natural key, every canned question
// under 10 s at p95, over 5 runs; the age of records is not checked.
var DefaultQualityLimits = QualityLimits{Runs: 5, MinFillRate: 0.95, MaxRejectRate: 0.01, MaxDuplicates: 0, MaxP95: 10 * time.Second}

// QualityDatasets are the datasets the quality section may name (those of
// `citadel ingest list`).
var QualityDatasets = []string{"airbnb", "dvf", "edstats", "weather", "supermarket"}

// For resolves a dataset's limits: its own, else the section's defaults,
// else citadel's. q may be nil (no quality section).
func (q *Quality) For(dataset string) QualityLimits {
	l := DefaultQualityLimits
	if q == nil {
		return l
	}
	if q.Runs > 0 {
		l.Runs = q.Runs
	}
	q.Defaults.apply(&l)
	if t, ok := q.Datasets[dataset]; ok {
		t.apply(&l)
	}
	return l
}

func (t QualityThresholds) apply(l *QualityLimits) {
	if t.MinFillRate != nil {
		l.MinFillRate = *t.MinFillRate
	}
	if t.MaxRejectRate != nil {
		l.MaxRejectRate = *t.MaxRejectRate
	}
	if t.MaxDuplicates != nil {
		l.MaxDuplicates = *t.MaxDuplicates
	}
	if t.MaxP95 != nil {
		l.MaxP95 = t.MaxP95.D()
	}
	if t.MaxAge != nil {
		l.MaxAge = t.MaxAge.D()
	}
}

func (v *validator) quality() {
	q := v.c.Quality
	if q == nil {
		return
	}
	if q.Runs < 0 || q.Runs > 1000 {
		v.ps.at("quality.runs", "write a number of runs from 1 to 1000, for example 5", "runs %d out of range", q.Runs)
	}
	v.qualityThresholds("quality.defaults", q.Defaults)
	names := make([]string, 0, len(q.Datasets))
	for name := range q.Datasets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "quality.datasets." + name
		if !slices.Contains(QualityDatasets, name) {
			hint := "the datasets are " + strings.Join(QualityDatasets, ", ")
			if best := closest(name, QualityDatasets); best != "" {
				hint = fmt.Sprintf("did you mean %q? %s", best, hint)
			}
			v.ps.at(path, hint, "unknown dataset %q", name)
			continue
		}
		v.qualityThresholds(path, q.Datasets[name])
	}
}

func (v *validator) qualityThresholds(path string, t QualityThresholds) {
	for _, r := range []struct {
		key string
		val *float64
	}{{"min_fill_rate", t.MinFillRate}, {"max_reject_rate", t.MaxRejectRate}} {
		if r.val != nil && (*r.val < 0 || *r.val > 1) {
			v.ps.at(path+"."+r.key, "write a fraction between 0 and 1, for example 0.95", "%s %v out of range", r.key, *r.val)
		}
	}
	if t.MaxDuplicates != nil && *t.MaxDuplicates < 0 {
		v.ps.at(path+".max_duplicates", "", "max_duplicates cannot be negative")
	}
	if t.MaxP95 != nil && *t.MaxP95 == 0 {
		v.ps.at(path+".max_p95", "write the slowest p95 accepted, for example 10s", "max_p95 0 would fail every question")
	}
}
