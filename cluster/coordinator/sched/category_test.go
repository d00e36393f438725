package sched

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/fault"
)

// A refused or failed-verification run keeps its category in the history
// (a CLI waiting on it exits 4 or 3, as the direct command) and is not
// retried within its slot: a second attempt would say the same.
func TestCategorizedFailureRecordedNotRetried(t *testing.T) {
	st := oneNode(t)
	ctx := context.Background()
	for _, name := range []string{"refused", "verdict"} {
		if err := st.PutJob(ctx, store.Job{Name: name, Schedule: "@every 2s", MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
	}
	r := &recorder{behave: func(ctx context.Context, n int, run RunInfo, f Fence) (json.RawMessage, error) {
		if run.Attempt > 1 {
			t.Errorf("run %s retried (attempt %d)", run.ID, run.Attempt)
		}
		if strings.HasPrefix(run.ID, "refused") {
			return nil, fault.Refused("target is a production set")
		}
		return nil, fault.Verification("drill weekly failed: rto over max_rto")
	}}
	lead(t, New(st, r, fastOptions()))
	want := map[string]string{"refused": fault.CategoryRefused, "verdict": fault.CategoryVerification}
	for name, cat := range want {
		waitFor(t, 15*time.Second, name+" reaches a second slot", func() bool {
			runs := runsIn(st, name, store.RunFailed)
			return len(runs) > 1 && !runs[0].Slot.Equal(runs[len(runs)-1].Slot)
		})
		for _, run := range runsIn(st, name, store.RunFailed) {
			if run.Category != cat || run.Attempt != 1 {
				t.Fatalf("%s run %s: category %q attempt %d, want %q and 1", name, run.ID, run.Category, run.Attempt, cat)
			}
		}
	}
}
