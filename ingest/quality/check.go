package quality

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
)

// timeProbe runs a canned question runs times in a row, as `citadel
// report` runs it (its arguments' defaults), and keeps the p50 and p95 of
// its times. A question that fails is timed no further: its error is the
// finding.
func timeProbe(ctx context.Context, db *mongo.Database, p ingest.Probe, runs int) Question {
	q := Question{Name: p.Name, Question: p.Question}
	var times []time.Duration
	for range runs {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		tab, err := p.Run(ctx, db, nil)
		d := time.Since(start)
		if err != nil {
			q.Error = err.Error()
			break
		}
		times = append(times, d)
		if tab != nil {
			q.Rows = len(tab.Rows)
		}
	}
	q.Runs = len(times)
	q.P50Seconds = Percentile(times, 0.50).Seconds()
	q.P95Seconds = Percentile(times, 0.95).Seconds()
	return q
}

// Percentile is the nearest-rank percentile p (0 < p <= 1) of ds: the
// smallest time at least a share p of the runs took no longer than. With
// five runs the p95 is the slowest run.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// breaches lists the figures past their thresholds, collections first in
// their order, then questions.
func breaches(r *Report, th Thresholds, now time.Time) []Breach {
	out := []Breach{}
	add := func(where, check, format string, args ...any) {
		out = append(out, Breach{Where: where, Check: check, Message: fmt.Sprintf(format, args...)})
	}
	for _, c := range r.Collections {
		if !c.Loaded {
			continue
		}
		for _, f := range c.Required {
			if f.Rate < th.MinFillRate {
				add(c.Name, "fill_rate", "%s is filled in %s of the documents (%d of %d), below %s", f.Field, pct(f.Rate), f.Documents, c.Documents, pct(th.MinFillRate))
			}
		}
		if c.RejectRate > th.MaxRejectRate {
			add(c.Name, "reject_rate", "%d records rejected of %d read (%s), above %s: see %s%s", c.Rejects, c.Rejects+c.Documents, pct(c.RejectRate), pct(th.MaxRejectRate), c.Name, ingest.RejectsSuffix)
		}
		if c.Duplicates > th.MaxDuplicates {
			add(c.Name, "duplicates", "%d documents share their natural key (%v) with another one, more than %d", c.Duplicates, c.Key, th.MaxDuplicates)
		}
		if newest, ok := c.Newest.(time.Time); ok && th.MaxAge > 0 && now.Sub(newest) > th.MaxAge {
			add(c.Name, "age", "newest record (%s %s) is %s old, older than %s", c.Freshness, newest.Format(time.RFC3339), age(now.Sub(newest)), age(th.MaxAge))
		}
	}
	for _, q := range r.Questions {
		switch {
		case q.Error != "":
			add(q.Name, "error", "the question failed: %s", q.Error)
		case q.P95Seconds > th.MaxP95.Seconds():
			add(q.Name, "p95", "p95 %.3f s over %d runs, above %s", q.P95Seconds, q.Runs, th.MaxP95)
		}
	}
	return out
}

func pct(f float64) string {
	s := fmt.Sprintf("%.2f", f*100)
	for len(s) > 1 && (s[len(s)-1] == '0' || s[len(s)-1] == '.') && strings.Contains(s, ".") {
		s = s[:len(s)-1]
	}
	return s + "%"
}

// age writes a duration in days past two days ("540d"), else as Go does.
func age(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return d.Round(time.Second).String()
}
