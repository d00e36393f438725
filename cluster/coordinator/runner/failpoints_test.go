package runner

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/internal/failpoint"
)

// countingFence counts its checks; fails makes the n-th check (from 1) fail.
type countingFence struct {
	checks, fails int
}

func (f *countingFence) Token() uint64 { return 7 }
func (f *countingFence) Check(context.Context) (time.Time, error) {
	f.checks++
	if f.checks == f.fails {
		return time.Time{}, sched.ErrFenced
	}
	return time.Now().Add(time.Second), nil
}

// TestBeforeManifestFailpoint: without the failpoint the manifest is
// fenced once; with it, the run pauses after the fence and fences again
// for a fresh deadline, and a fence lost during the pause stops the
// commit.
func TestBeforeManifestFailpoint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fp     failpoint.Set
		fails  int
		checks int
		err    error
	}{
		{"no failpoint", nil, 0, 1, nil},
		{"paused, fenced again", failpoint.Set{failpoint.BeforeManifest: 10 * time.Millisecond}, 0, 2, nil},
		{"fence lost in the pause", failpoint.Set{failpoint.BeforeManifest: 10 * time.Millisecond}, 2, 2, sched.ErrFenced},
		{"other failpoints ignored", failpoint.Set{"elsewhere": time.Hour}, 0, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{fp: tc.fp}
			f := &countingFence{fails: tc.fails}
			deadline, err := r.beforeManifest(context.Background(), slog.New(slog.DiscardHandler), "20260101T000000Z-0007", f)
			if !errors.Is(err, tc.err) || f.checks != tc.checks {
				t.Fatalf("err %v after %d checks, want %v after %d", err, f.checks, tc.err, tc.checks)
			}
			if err == nil && !deadline.After(time.Now()) {
				t.Fatalf("deadline %s already past", deadline)
			}
		})
	}
}
