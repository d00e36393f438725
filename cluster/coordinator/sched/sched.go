package sched

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// ErrNotLeading is returned by Trigger on a node whose scheduler does not
// lead (a follower, or a leader still starting).
var ErrNotLeading = errors.New("scheduler not leading on this node")

// Scheduler runs the jobs of the FSM while its node leads.
type Scheduler struct {
	st     *store.Store
	runner Runner
	opts   Options

	mu      sync.Mutex
	leadCtx context.Context // nil when not leading
	active  map[string]uint64
	wg      sync.WaitGroup
}

// New returns a scheduler for the node's store.
func New(st *store.Store, runner Runner, opts Options) *Scheduler {
	return &Scheduler{st: st, runner: runner, opts: opts.withDefaults(), active: map[string]uint64{}}
}

// Lead runs the schedules until ctx is cancelled (the node lost the
// leadership or stops), then waits for every run it started to return.
// Runs interrupted that way keep their lease in the FSM; the next leader
// takes them over once their heartbeat is stale.
func (s *Scheduler) Lead(ctx context.Context) error {
	if err := s.st.Barrier(ctx); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.leadCtx = ctx
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.leadCtx = nil
		s.mu.Unlock()
		s.wg.Wait()
	}()
	for _, j := range s.st.FSM().Jobs() {
		sch, err := ParseSchedule(j.Schedule, j.Timezone)
		if err != nil {
			s.opts.Log.Error("job not scheduled", "job", j.Name, "err", err)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.jobLoop(ctx, j, sch)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watchStale(ctx)
	}()
	<-ctx.Done()
	return nil
}

// jobLoop fires one job's slots: first what was missed, then each slot.
func (s *Scheduler) jobLoop(ctx context.Context, j JobSpec, sch *Schedule) {
	js := s.st.FSM().JobState(j.Name)
	now := time.Now()
	if s.opts.CatchUpWindow >= 0 {
		if d := AtStart(sch, js.LastSlot, now, s.opts.CatchUpWindow); d.Run {
			s.opts.Log.Info("catching up a missed slot", "job", j.Name, "slot", d.Slot, "reason", d.Reason)
			s.fire(ctx, j, sch, d.Slot, store.TriggerCatchUp)
		} else if !d.Slot.IsZero() {
			s.recordSkip(ctx, j, d.Slot, store.TriggerCatchUp, d.Reason)
		}
	}
	after := now
	if js.LastSlot.After(after) {
		after = js.LastSlot
	}
	for {
		next := sch.Next(after)
		if next.IsZero() {
			return
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.fire(ctx, j, sch, next, store.TriggerSchedule)
		after = next
	}
}

// fire starts a run for slot unless the previous run still runs, in which
// case the slot is recorded as skipped with the reason.
func (s *Scheduler) fire(ctx context.Context, j JobSpec, sch *Schedule, slot time.Time, trigger string) {
	if cur, ok := s.st.FSM().Current(j.Name); ok {
		s.recordSkip(ctx, j, slot, trigger, busyReason(cur))
		return
	}
	run, err := s.st.Acquire(ctx, store.AcquireBody{Job: j.Name, Slot: slot, Trigger: trigger, Who: "scheduler"})
	switch {
	case errors.Is(err, store.ErrBusy):
		s.recordSkip(ctx, j, slot, trigger, busyReason(run))
		return
	case errors.Is(err, store.ErrSlotDone):
		s.opts.Log.Debug("slot already handled", "job", j.Name, "slot", slot)
		return
	case err != nil:
		s.opts.Log.Error("cannot take the lease of a slot", "job", j.Name, "slot", slot, "err", err)
		return
	}
	s.start(ctx, j, sch, run, nil)
}

func busyReason(cur store.Run) string {
	return fmt.Sprintf("previous run %s (slot %s) still running on %s since %s",
		cur.ID, cur.Slot.Format(time.RFC3339), cur.Holder, cur.Start.Format(time.RFC3339))
}

func (s *Scheduler) recordSkip(ctx context.Context, j JobSpec, slot time.Time, trigger, reason string) {
	if _, err := s.st.Skip(ctx, store.SkipBody{Job: j.Name, Slot: slot, Trigger: trigger, Reason: reason}); err != nil && !errors.Is(err, store.ErrSlotDone) {
		s.opts.Log.Error("cannot record a skipped slot", "job", j.Name, "slot", slot, "err", err)
		return
	}
	s.opts.Log.Warn("slot skipped", "job", j.Name, "slot", slot, "reason", reason)
}

// Trigger starts a run of job now, outside its schedule. It fails with
// store.ErrBusy (and the running run) when the job is already running.
func (s *Scheduler) Trigger(ctx context.Context, job, who string) (store.Run, error) {
	s.mu.Lock()
	lctx := s.leadCtx
	s.mu.Unlock()
	if lctx == nil {
		return store.Run{}, ErrNotLeading
	}
	j, ok := s.st.FSM().Job(job)
	if !ok {
		return store.Run{}, fmt.Errorf("trigger %q: %w", job, store.ErrUnknownJob)
	}
	sch, err := ParseSchedule(j.Schedule, j.Timezone)
	if err != nil {
		return store.Run{}, fmt.Errorf("trigger %q: %w", job, err)
	}
	run, err := s.st.Acquire(ctx, store.AcquireBody{Job: job, Slot: time.Now(), Trigger: store.TriggerManual, Who: who})
	if err != nil {
		return run, err
	}
	s.start(lctx, j, sch, run, nil)
	return run, nil
}

// start executes run in its own goroutine, tracked until Lead returns.
func (s *Scheduler) start(ctx context.Context, j JobSpec, sch *Schedule, run store.Run, prev *store.Run) {
	s.mu.Lock()
	s.active[j.Name] = run.Token
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.active, j.Name)
			s.mu.Unlock()
		}()
		s.execute(ctx, j, sch, run, prev)
	}()
}

// setActive records the token a job runs under on this node.
func (s *Scheduler) setActive(job string, token uint64) {
	s.mu.Lock()
	s.active[job] = token
	s.mu.Unlock()
}

func (s *Scheduler) isActive(job string, token uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[job] == token
}

// Leading reports whether the scheduler runs the schedules right now.
func (s *Scheduler) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leadCtx != nil
}
