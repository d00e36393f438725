package sched

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/fault"
)

// execute runs a slot, retrying a failure within the slot, and records each
// outcome. When ctx ends (leadership lost, node stopping) it returns
// without recording: the lease stays, and the next leader takes it over.
func (s *Scheduler) execute(ctx context.Context, j JobSpec, sch *Schedule, run store.Run, prev *store.Run) {
	maxAttempts := s.opts.MaxAttempts
	if j.MaxAttempts > 0 {
		maxAttempts = j.MaxAttempts
	}
	backoff := s.opts.RetryBackoff
	for {
		result, err := s.attempt(ctx, j, run, prev)
		if ctx.Err() != nil {
			s.opts.Log.Warn("run interrupted; the next leader takes it over", "job", j.Name, "run", run.ID)
			return
		}
		done, ferr := s.st.Finish(ctx, finishBody(j.Name, run.Token, result, err))
		if ferr != nil {
			s.opts.Log.Error("cannot record the outcome of a run", "job", j.Name, "run", run.ID, "err", ferr)
			return
		}
		if s.opts.OnFinish != nil {
			s.opts.OnFinish(j, done)
		}
		if err == nil {
			s.opts.Log.Info("run succeeded", "job", j.Name, "run", run.ID, "attempt", run.Attempt)
			return
		}
		s.opts.Log.Error("run failed", "job", j.Name, "run", run.ID, "attempt", run.Attempt, "err", err)
		if run.Attempt >= maxAttempts || run.Trigger == store.TriggerManual {
			return
		}
		if c := fault.CategoryOf(err); c != "" {
			// A refusal, a verdict or a mistake in the job comes out the same
			// on a second attempt: only plain failures (a member down, a
			// storage unreachable) are retried.
			s.opts.Log.Warn("no retry: the failure is "+c+", not transient", "job", j.Name)
			return
		}
		if next := sch.Next(run.Slot); !next.IsZero() && !time.Now().Add(backoff).Before(next) {
			s.opts.Log.Warn("no retry: the next slot is due first", "job", j.Name, "next", next)
			return
		}
		if !sleep(ctx, backoff) {
			return
		}
		backoff *= 2
		if run, err = s.st.Acquire(ctx, store.AcquireBody{Job: j.Name, Slot: run.Slot, Trigger: store.TriggerRetry, Who: "scheduler"}); err != nil {
			s.opts.Log.Error("cannot take the lease for a retry", "job", j.Name, "err", err)
			return
		}
		s.setActive(j.Name, run.Token)
		prev = nil
	}
}

func finishBody(job string, token uint64, result json.RawMessage, err error) store.FinishBody {
	b := store.FinishBody{Job: job, Token: token, OK: err == nil, Result: result}
	if err != nil {
		b.Error, b.Category = err.Error(), fault.CategoryOf(err)
	}
	return b
}

// attempt runs the job once while renewing its lease; a lost lease
// cancels the job's context.
func (s *Scheduler) attempt(ctx context.Context, j JobSpec, run store.Run, prev *store.Run) (result json.RawMessage, err error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		s.heartbeat(runCtx, cancel, j.Name, run.Token)
	}()
	defer func() { <-hbDone }()
	defer cancel(nil)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", j.Name, p)
		}
	}()
	info := RunInfo{ID: run.ID, Token: run.Token, Slot: run.Slot, Trigger: run.Trigger, Attempt: run.Attempt, Who: run.Who, Previous: prev}
	f := &fence{st: s.st, job: j.Name, token: run.Token, grace: s.opts.commitGrace()}
	result, err = s.runner.Run(runCtx, j, info, f)
	if err == nil && context.Cause(runCtx) != nil && ctx.Err() == nil {
		// The lease was lost while the job reported success: that is only
		// possible if the job ignored its fence. Record it as failed.
		err = fmt.Errorf("lease lost during the run: %w", context.Cause(runCtx))
	}
	return result, err
}

// heartbeat renews the lease every HeartbeatInterval until ctx ends; a
// fenced or failed renewal cancels the run.
func (s *Scheduler) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, job string, token uint64) {
	t := time.NewTicker(s.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.st.Heartbeat(ctx, job, token)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrFenced), errors.Is(err, store.ErrNotLeader):
			s.opts.Log.Warn("lease lost; stopping the run", "job", job, "token", token, "err", err)
			cancel(err)
			return
		default:
			s.opts.Log.Warn("lease renewal failed; retrying", "job", job, "token", token, "err", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
