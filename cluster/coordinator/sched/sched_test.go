package sched

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

func TestSkipWhileRunning(t *testing.T) {
	st := oneNode(t)
	ctx := context.Background()
	if err := st.PutJob(ctx, store.Job{Name: "j", Schedule: "@every 1s"}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	r := &recorder{behave: func(ctx context.Context, n int, run RunInfo, f Fence) (json.RawMessage, error) {
		if n == 1 {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return commit(ctx, f, n)
	}}
	lead(t, New(st, r, fastOptions()))
	waitFor(t, 10*time.Second, "a skipped slot", func() bool { return len(runsIn(st, "j", store.RunSkipped)) > 0 })
	skip := runsIn(st, "j", store.RunSkipped)[0]
	if !strings.Contains(skip.Reason, "still running") {
		t.Fatalf("skip reason = %q", skip.Reason)
	}
	if r.count() != 1 {
		t.Fatalf("runner called %d times while the first run ran, want 1", r.count())
	}
	close(release)
	waitFor(t, 10*time.Second, "the first run succeeds", func() bool { return len(runsIn(st, "j", store.RunSucceeded)) > 0 })
}

func TestRetriesWithinSlotAreBounded(t *testing.T) {
	st := oneNode(t)
	ctx := context.Background()
	if err := st.PutJob(ctx, store.Job{Name: "flaky", Schedule: "@every 2s"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutJob(ctx, store.Job{Name: "broken", Schedule: "@every 2s", MaxAttempts: 2}); err != nil {
		t.Fatal(err)
	}
	r := &recorder{behave: func(ctx context.Context, n int, run RunInfo, f Fence) (json.RawMessage, error) {
		if strings.HasPrefix(run.ID, "broken") {
			return nil, errors.New("primary unreachable")
		}
		if run.Attempt < 3 {
			return nil, errors.New("transient")
		}
		return commit(ctx, f, n)
	}}
	lead(t, New(st, r, fastOptions()))
	waitFor(t, 15*time.Second, "flaky succeeds", func() bool { return len(runsIn(st, "flaky", store.RunSucceeded)) > 0 })
	ok := runsIn(st, "flaky", store.RunSucceeded)[0]
	if ok.Attempt != 3 || ok.Trigger != store.TriggerRetry {
		t.Fatalf("success on attempt %d (%s), want 3 (retry)", ok.Attempt, ok.Trigger)
	}
	for _, f := range runsIn(st, "flaky", store.RunFailed) {
		if !f.Slot.Equal(ok.Slot) {
			t.Fatalf("a failed attempt of another slot: %+v", f)
		}
	}
	waitFor(t, 15*time.Second, "broken reaches a second slot", func() bool {
		runs := runsIn(st, "broken", "")
		return len(runs) > 0 && !runs[0].Slot.Equal(runs[len(runs)-1].Slot)
	})
	runs := runsIn(st, "broken", "")
	first := runs[len(runs)-1].Slot
	n := 0
	for _, r := range runs {
		if r.Slot.Equal(first) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("broken's first slot had %d attempts, want 2 (its MaxAttempts)", n)
	}
	if js := st.FSM().JobState("broken"); js.Failures < 2 {
		t.Fatalf("failures = %d", js.Failures)
	}
}

func TestTriggerNowAndBusy(t *testing.T) {
	st := oneNode(t)
	ctx := context.Background()
	if err := st.PutJob(ctx, store.Job{Name: "nightly", Schedule: "0 2 * * *"}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	r := &recorder{behave: func(ctx context.Context, n int, run RunInfo, f Fence) (json.RawMessage, error) {
		<-release
		return commit(ctx, f, n)
	}}
	s := New(st, r, fastOptions())
	if _, err := s.Trigger(ctx, "nightly", "alice"); !errors.Is(err, ErrNotLeading) {
		t.Fatalf("trigger before leading: %v", err)
	}
	lead(t, s)
	run, err := s.Trigger(ctx, "nightly", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if run.Trigger != store.TriggerManual || run.Who != "alice" {
		t.Fatalf("run: %+v", run)
	}
	if _, err := s.Trigger(ctx, "nightly", "bob"); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("second trigger: err = %v, want ErrBusy", err)
	}
	if _, err := s.Trigger(ctx, "nope", "bob"); !errors.Is(err, store.ErrUnknownJob) {
		t.Fatalf("unknown job: err = %v", err)
	}
	close(release)
	waitFor(t, 10*time.Second, "the manual run succeeds", func() bool { return len(runsIn(st, "nightly", store.RunSucceeded)) == 1 })
	if got := runsIn(st, "nightly", store.RunSucceeded)[0]; string(got.Result) != `{"call":1}` {
		t.Fatalf("result = %s", got.Result)
	}
}

// A slot missed while no leader ran: run once when young enough, recorded
// as skipped otherwise.
func TestCatchUpAtStart(t *testing.T) {
	st := oneNode(t)
	ctx := context.Background()
	now := time.Now().UTC()
	define := func(name string) {
		t.Helper()
		if err := st.PutJob(ctx, store.Job{Name: name, Schedule: "0 2 * * *", Timezone: "UTC"}); err != nil {
			t.Fatal(err)
		}
		// The group last ran this job three days ago.
		old := time.Date(now.Year(), now.Month(), now.Day()-3, 2, 0, 0, 0, time.UTC)
		run, err := st.Acquire(ctx, store.AcquireBody{Job: name, Slot: old, Trigger: store.TriggerSchedule})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Finish(ctx, store.FinishBody{Job: name, Token: run.Token, OK: true}); err != nil {
			t.Fatal(err)
		}
	}
	r := &recorder{}
	leadFor := func(window time.Duration, until func() bool) {
		t.Helper()
		s := New(st, r, Options{CatchUpWindow: window, HeartbeatInterval: 20 * time.Millisecond})
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Lead(lctx) }()
		waitFor(t, 10*time.Second, "the start decision", until)
		cancel()
		<-done
	}
	define("young")
	leadFor(48*time.Hour, func() bool { return len(runsIn(st, "young", store.RunSucceeded)) == 2 })
	got := runsIn(st, "young", store.RunSucceeded)[0]
	if got.Trigger != store.TriggerCatchUp || now.Sub(got.Slot) > 24*time.Hour {
		t.Fatalf("catch-up run: %+v", got)
	}
	if err := st.DeleteJobs(ctx, "young"); err != nil {
		t.Fatal(err)
	}
	define("old")
	leadFor(time.Nanosecond, func() bool { return len(runsIn(st, "old", store.RunSkipped)) == 1 })
	if r.count() != 1 {
		t.Fatalf("runner calls = %d, want 1 (only the young catch-up)", r.count())
	}
	if s := runsIn(st, "old", store.RunSkipped)[0]; !strings.Contains(s.Reason, "beyond") {
		t.Fatalf("skip reason: %q", s.Reason)
	}
}
