package ingest

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Report accounts for every record of a load. Its JSON form is part of the
// CLI contract (`citadel ingest ... -o json`).
type Report struct {
	Dataset   string   `json:"dataset"`
	Files     []string `json:"files"`
	DryRun    bool     `json:"dry_run"`
	Read      int64    `json:"read"`
	Docs      int64    `json:"documents"`
	Inserted  int64    `json:"inserted"`
	Updated   int64    `json:"updated"`
	Unchanged int64    `json:"unchanged"`
	Skipped   int64    `json:"skipped"`
	Rejected  int64    `json:"rejected"`
	// Unacknowledged documents were sent in a batch the server did not
	// answer (a lost connection, a timeout): they may or may not be stored.
	Unacknowledged int64 `json:"unacknowledged,omitempty"`
	// Interrupted: the load was stopped (Ctrl-C). The counts are what the
	// server acknowledged, batches in flight at the signal included.
	Interrupted  bool                  `json:"interrupted,omitempty"`
	ErrorRate    float64               `json:"error_rate"`
	MaxErrorRate float64               `json:"max_error_rate"`
	Bytes        int64                 `json:"bytes"`
	Seconds      float64               `json:"seconds"`
	DocsPerSec   float64               `json:"docs_per_second"`
	MBPerSec     float64               `json:"mb_per_second"`
	Collections  map[string]*CollStats `json:"collections"`
	Reasons      []ReasonCount         `json:"reject_reasons"`
	Samples      []string              `json:"reject_samples"`
	Warnings     []string              `json:"warnings"`
}

// CollStats are one collection's counts.
type CollStats struct {
	Docs      int64 `json:"documents"`
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Skipped   int64 `json:"skipped"`
	Rejected  int64 `json:"rejected"`
	// Unacknowledged: sent, but the server never answered (see Report).
	Unacknowledged int64 `json:"unacknowledged,omitempty"`
}

// ReasonCount is how many records were rejected for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// maxSamples bounds the reject examples kept for the report.
const maxSamples = 20

// stats collects counts from the producer and the sink's workers.
type stats struct {
	mu       sync.Mutex
	read     int64
	colls    map[string]*CollStats
	reasons  map[string]int64
	samples  []string
	warnings []string
}

func newStats() *stats {
	return &stats{colls: map[string]*CollStats{}, reasons: map[string]int64{}}
}

func (s *stats) coll(name string) *CollStats {
	c := s.colls[name]
	if c == nil {
		c = &CollStats{}
		s.colls[name] = c
	}
	return c
}

func (s *stats) update(name string, f func(*CollStats)) {
	s.mu.Lock()
	f(s.coll(name))
	s.mu.Unlock()
}

func (s *stats) addRead(n int64) {
	s.mu.Lock()
	s.read += n
	s.mu.Unlock()
}

func (s *stats) reject(coll string, r Reject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll(coll).Rejected++
	s.reasons[r.Reason]++
	if len(s.samples) < maxSamples {
		s.samples = append(s.samples, fmt.Sprintf("%s: %s: %s", r.Where(), r.Reason, r.Detail))
	}
}

func (s *stats) warn(msg string) {
	s.mu.Lock()
	s.warnings = append(s.warnings, msg)
	s.mu.Unlock()
}

// report fills the counts of rep.
func (s *stats) report(rep *Report, elapsed time.Duration, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep.Read = s.read
	rep.Collections = map[string]*CollStats{}
	for name, c := range s.colls {
		cp := *c
		rep.Collections[name] = &cp
		rep.Docs += c.Docs
		rep.Inserted += c.Inserted
		rep.Updated += c.Updated
		rep.Unchanged += c.Unchanged
		rep.Skipped += c.Skipped
		rep.Rejected += c.Rejected
		rep.Unacknowledged += c.Unacknowledged
	}
	if rep.Read > 0 {
		rep.ErrorRate = float64(rep.Rejected) / float64(rep.Read)
	}
	rep.Bytes = bytes
	rep.Seconds = elapsed.Seconds()
	if rep.Seconds > 0 {
		rep.DocsPerSec = float64(rep.Docs) / rep.Seconds
		rep.MBPerSec = float64(bytes) / 1e6 / rep.Seconds
	}
	rep.Reasons = rep.Reasons[:0]
	for r, n := range s.reasons {
		rep.Reasons = append(rep.Reasons, ReasonCount{Reason: r, Count: n})
	}
	sort.Slice(rep.Reasons, func(i, j int) bool {
		if rep.Reasons[i].Count != rep.Reasons[j].Count {
			return rep.Reasons[i].Count > rep.Reasons[j].Count
		}
		return rep.Reasons[i].Reason < rep.Reasons[j].Reason
	})
	rep.Samples = append([]string{}, s.samples...)
	rep.Warnings = append([]string{}, s.warnings...)
}
