package sched

import (
	"context"
	"errors"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// observation is the last heartbeat this leader saw for a lease, and when
// it saw it change, on this node's monotonic clock.
type observation struct {
	heartbeat time.Time
	fencedAt  time.Time
	seen      time.Time
}

// watchStale takes over the leases of runs that no node renews any more.
// Staleness is judged only by what this leader observes: a lease is stale
// after LeaseTTL of this node's own clock without a change of its
// heartbeat, so clock offsets between nodes never shorten a lease.
func (s *Scheduler) watchStale(ctx context.Context) {
	seen := map[uint64]*observation{}
	period := s.opts.HeartbeatInterval / 2
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		now := time.Now()
		running := map[uint64]bool{}
		for _, r := range s.st.FSM().Running() {
			running[r.Token] = true
			if s.isActive(r.Job, r.Token) {
				continue
			}
			o := seen[r.Token]
			if o == nil || !o.heartbeat.Equal(r.Heartbeat) || !o.fencedAt.Equal(r.FencedAt) {
				seen[r.Token] = &observation{heartbeat: r.Heartbeat, fencedAt: r.FencedAt, seen: now}
				continue
			}
			if now.Sub(o.seen) >= s.opts.LeaseTTL {
				s.takeOver(ctx, r)
			}
		}
		for tok := range seen {
			if !running[tok] {
				delete(seen, tok)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// takeOver abandons a stale run and reruns (or resumes) its slot here.
func (s *Scheduler) takeOver(ctx context.Context, stale store.Run) {
	j, ok := s.st.FSM().Job(stale.Job)
	if !ok {
		s.opts.Log.Warn("stale lease of a job no longer defined", "job", stale.Job, "run", stale.ID)
		return
	}
	sch, err := ParseSchedule(j.Schedule, j.Timezone)
	if err != nil {
		s.opts.Log.Error("cannot take over a run", "job", j.Name, "err", err)
		return
	}
	run, err := s.st.Acquire(ctx, store.AcquireBody{Job: j.Name, Slot: stale.Slot, Trigger: store.TriggerTakeover,
		Replaces: stale.Token, Who: "scheduler", Reason: "took over " + stale.ID + " from " + stale.Holder})
	if err != nil {
		if !errors.Is(err, store.ErrFenced) {
			s.opts.Log.Error("cannot take over a stale lease", "job", j.Name, "run", stale.ID, "err", err)
		}
		return
	}
	s.opts.Log.Warn("took over a stale run", "job", j.Name, "stale", stale.ID, "holder", stale.Holder, "run", run.ID,
		"fenced_before", !stale.FencedAt.IsZero())
	s.start(ctx, j, sch, run, &stale)
}
