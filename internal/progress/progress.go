// Package progress counts the work of a long job — a backup, restore,
// verify or copy, a dataset load — and reports snapshots of the counters
// at a steady pace. It is citadel's one progress design: the domain
// packages count (collections, documents, bytes, and what they expect
// of each when known), they never draw; the command line draws the bar
// (cmd/citadel/progress.go), the coordinator may publish the snapshots.
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
	BytesTotal      int64         `json:"bytes_total,omitempty"` // the input's size when known (a load's files)
	Elapsed         time.Duration `json:"elapsed"`
}

// Rate is documents per second so far.
func (s Snapshot) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Documents) / s.Elapsed.Seconds()
}

// ETA estimates the time left from the documents when their total is
// known, else from the bytes when theirs is; zero when unknown.
func (s Snapshot) ETA() time.Duration {
	done, total := s.Documents, s.DocumentsTotal
	if total <= 0 {
		done, total = s.Bytes, s.BytesTotal
	}
	if s.Elapsed <= 0 || done <= 0 || total <= done {
		return 0
	}
	rate := float64(done) / s.Elapsed.Seconds()
	return time.Duration(float64(total-done) / rate * float64(time.Second))
}

// Func receives snapshots.
type Func func(Snapshot)

// Tracker holds the counters; it is safe for concurrent use and a nil
// *Tracker ignores everything.
type Tracker struct {
	start                        time.Time
	phase                        atomic.Value
	colls, collsDone, docs, docT atomic.Int64
	bytes, bytesT                atomic.Int64
}

// New starts a tracker.
func New() *Tracker {
	t := &Tracker{start: time.Now()}
	t.phase.Store("")
	return t
}

// SetPhase names the current phase (dump, oplog, insert, verify, load,
// indexes...). A bar is drawn once the work names its first phase.
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

// AddBytesTotal adds to the number of bytes expected (the size of the
// input files of a load).
func (t *Tracker) AddBytesTotal(n int64) {
	if t != nil {
		t.bytesT.Add(n)
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
		Documents: t.docs.Load(), DocumentsTotal: t.docT.Load(), Bytes: t.bytes.Load(), BytesTotal: t.bytesT.Load(),
		Elapsed: time.Since(t.start)}
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
