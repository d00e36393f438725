// Package sched is the coordinator's scheduler. It runs on the raft leader
// only: it computes each job's slots in the job's time zone, takes a lease
// through raft for every run, renews it while the job runs, hands the job a
// Fence to check right before it commits, records the outcome, retries
// within the slot, catches up a slot missed while the group was down, and
// takes over the runs of a leader that died. The job layer plugs in through
// Runner. ../DESIGN.md has the protocol and the crash points.
package sched

import (
	"context"
	"encoding/json"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// JobSpec is a job definition as the FSM stores it.
type JobSpec = store.Job

// ErrFenced is returned by Fence.Check when the run's lease was taken over
// or ended: the job must not commit anything.
var ErrFenced = store.ErrFenced

// Runner executes one run of a job. It is the job layer's entry point.
//
// The contract:
//   - Do the work under ctx; ctx is cancelled when this node loses the
//     lease or the leadership, and the job must stop without committing.
//   - Name what the run writes after fence.Token() (or run.ID), so two
//     attempts never overwrite each other's objects.
//   - Call fence.Check right before the commit point (the manifest write)
//     and commit only if it returns nil, before the deadline it returns
//     (pass a context with that deadline to the write).
//   - When run.Previous is set and run.Previous.FencedAt is not zero, the
//     previous attempt may have committed before its node died: look for
//     its commit (named after run.Previous.Token) first, and return its
//     result instead of doing the work again.
//
// The returned JSON is stored whole as the run's result.
type Runner interface {
	Run(ctx context.Context, job JobSpec, run RunInfo, fence Fence) (json.RawMessage, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, job JobSpec, run RunInfo, fence Fence) (json.RawMessage, error)

// Run implements Runner.
func (f RunnerFunc) Run(ctx context.Context, job JobSpec, run RunInfo, fence Fence) (json.RawMessage, error) {
	return f(ctx, job, run, fence)
}

// RunInfo describes the run being executed.
type RunInfo struct {
	ID      string    `json:"id"`
	Token   uint64    `json:"token"`
	Slot    time.Time `json:"slot"`
	Trigger string    `json:"trigger"`
	Attempt int       `json:"attempt"`
	Who     string    `json:"who,omitempty"`
	// Previous is the abandoned attempt this run took over, if any.
	Previous *store.Run `json:"previous,omitempty"`
}

// Fence is the run's fencing check.
type Fence interface {
	// Token is the run's fencing token, unique and increasing.
	Token() uint64
	// Check verifies through raft that the token is still the job's
	// current lease. It returns the deadline before which the commit must
	// be complete: no other node can take the lease over before it.
	Check(ctx context.Context) (deadline time.Time, err error)
}

// fence is the Fence of one run.
type fence struct {
	st    *store.Store
	job   string
	token uint64
	grace time.Duration
}

func (f *fence) Token() uint64 { return f.token }

func (f *fence) Check(ctx context.Context) (time.Time, error) {
	start := time.Now() // before the proposal: the deadline errs early, never late
	if _, err := f.st.Fence(ctx, f.job, f.token); err != nil {
		return time.Time{}, err
	}
	return start.Add(f.grace), nil
}
