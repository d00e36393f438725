package progress

import (
	"context"
	"testing"
	"time"
)

func TestETA(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Snapshot
		want time.Duration
	}{
		{"nothing known", Snapshot{Documents: 10, Elapsed: time.Second}, 0},
		{"by documents", Snapshot{Documents: 10, DocumentsTotal: 40, Elapsed: time.Second}, 3 * time.Second},
		{"documents win over bytes", Snapshot{Documents: 10, DocumentsTotal: 20, Bytes: 1, BytesTotal: 100, Elapsed: time.Second}, time.Second},
		{"by bytes (a load's input)", Snapshot{Documents: 7, Bytes: 25, BytesTotal: 100, Elapsed: 5 * time.Second}, 15 * time.Second},
		{"done", Snapshot{Bytes: 100, BytesTotal: 100, Elapsed: time.Second}, 0},
		{"not started", Snapshot{BytesTotal: 100}, 0},
	} {
		if got := tc.s.ETA(); got != tc.want {
			t.Errorf("%s: ETA %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTracker(t *testing.T) {
	var none *Tracker // a nil tracker ignores everything
	none.SetPhase("load")
	none.Add(1, 1)
	none.AddBytesTotal(1)
	if s := none.Snapshot(); s != (Snapshot{}) {
		t.Fatalf("nil tracker: %+v", s)
	}
	tr := New()
	tr.SetPhase("load")
	tr.AddCollections(2, 30)
	tr.AddBytesTotal(1000)
	tr.Add(3, 200)
	tr.CollectionDone()
	s := tr.Snapshot()
	if s.Phase != "load" || s.Collections != 2 || s.CollectionsDone != 1 || s.Documents != 3 || s.DocumentsTotal != 30 ||
		s.Bytes != 200 || s.BytesTotal != 1000 {
		t.Fatalf("snapshot %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got []Snapshot
	tr.Report(ctx, time.Hour, func(s Snapshot) { got = append(got, s) })
	if len(got) != 1 || got[0].Documents != 3 {
		t.Fatalf("Report after the end: %+v, want one last snapshot", got)
	}
}
