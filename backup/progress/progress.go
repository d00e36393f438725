// Package progress counts the work of a long backup, restore or verify
// (collections, documents, bytes) and reports snapshots of the counters at
// a steady pace, so the command line can draw a bar with rate and ETA.
package progress

import (
	"context"
	"sync/atomic"
	"time"
)

// Snapshot is the state of the counters at one moment.
type Snapshot struct {
	Phase           string        `json:"phase"`
	Collections     int64         `json:"collections"`
	CollectionsDone int64         `json:"collections_done"`
	Documents       int64         `json:"documents"`
	DocumentsTotal  int64         `json:"documents_total"` // an estimate; 0 when unknown
	Bytes           int64         `json:"bytes"`
	Elapsed         time.Duration `json:"elapsed"`
}

// Rate is documents per second so far.
func (s Snapshot) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Documents) / s.Elapsed.Seconds()
}

// ETA estimates the time left; zero when unknown.
func (s Snapshot) ETA() time.Duration {
	r := s.Rate()
	if r <= 0 || s.DocumentsTotal <= s.Documents {
		return 0
	}
	return time.Duration(float64(s.DocumentsTotal-s.Documents) / r * float64(time.Second))
}

// Func receives snapshots.
type Func func(Snapshot)

// Tracker holds the counters; it is safe for concurrent use and a nil
// *Tracker ignores everything.
type Tracker struct {
	start                        time.Time
	phase                        atomic.Value
	colls, collsDone, docs, docT atomic.Int64
	bytes                        atomic.Int64
}

// New starts a tracker.
func New() *Tracker {
	t := &Tracker{start: time.Now()}
	t.phase.Store("")
	return t
}

// SetPhase names the current phase (dump, oplog, insert, verify, replay).
func (t *Tracker) SetPhase(p string) {
	if t != nil {
		t.phase.Store(p)
	}
}

// AddCollections adds to the number of collections to process and the
// estimated number of documents.
func (t *Tracker) AddCollections(n int, docs int64) {
	if t != nil {
		t.colls.Add(int64(n))
		t.docT.Add(docs)
	}
}

// CollectionDone counts a finished collection.
func (t *Tracker) CollectionDone() {
	if t != nil {
		t.collsDone.Add(1)
	}
}

// Add counts documents and bytes.
func (t *Tracker) Add(docs, bytes int64) {
	if t != nil {
		t.docs.Add(docs)
		t.bytes.Add(bytes)
	}
}

// Snapshot reads the counters.
func (t *Tracker) Snapshot() Snapshot {
	if t == nil {
		return Snapshot{}
	}
	return Snapshot{Phase: t.phase.Load().(string), Collections: t.colls.Load(), CollectionsDone: t.collsDone.Load(),
		Documents: t.docs.Load(), DocumentsTotal: t.docT.Load(), Bytes: t.bytes.Load(), Elapsed: time.Since(t.start)}
}

// Report calls fn every interval until ctx ends, then once more. Run it
// in its own goroutine; it returns when ctx is done.
func (t *Tracker) Report(ctx context.Context, interval time.Duration, fn Func) {
	if t == nil || fn == nil {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fn(t.Snapshot())
			return
		case <-tick.C:
			fn(t.Snapshot())
		}
	}
}
