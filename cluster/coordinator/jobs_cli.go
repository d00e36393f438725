package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// Errors of the CLI's job commands; test them with errors.Is. A busy job
// (a run already in progress) is api.ErrBusy wrapped in fault.ErrRefused.
var (
	// ErrNoJob: the group has no job of that name (or none for the
	// backup or drill asked); also fault.ErrUsage (exit 2).
	ErrNoJob = errors.New("no such job on the coordinator")
	// ErrRunFailed: the run ended failed or skipped.
	ErrRunFailed = errors.New("the run failed")
	// ErrWaitTimeout: the run was still going when the wait's timeout came.
	ErrWaitTimeout = errors.New("the run did not end before the timeout")
	// ErrUnreachable: no coordinator node answered.
	ErrUnreachable = errors.New("no coordinator node answered")
)

// requestTimeout bounds the job commands' requests once a node answered:
// a trigger is a raft proposal the node bounds at 15 s.
const requestTimeout = 20 * time.Second

// JobsClient reaches the group's jobs through one node that answers (its
// followers forward the triggers to the leader). Not safe for concurrent
// use.
type JobsClient struct {
	a     Access
	addrs []string
	at    int
	c     *api.Client
}

// addresses is url alone, else the configured nodes' API addresses.
func addresses(url string, configured []config.CoordinatorNode) []string {
	if url != "" {
		return []string{url}
	}
	var out []string
	for _, n := range configured {
		out = append(out, n.HTTPAddress)
	}
	return out
}

// ConnectJobs returns a client of the first node that answers /v1/status:
// url, else the configured nodes in order (a.Timeout, 3 s by default, each).
func ConnectJobs(ctx context.Context, a Access, url string, configured []config.CoordinatorNode) (*JobsClient, error) {
	j := &JobsClient{a: a, addrs: addresses(url, configured), at: -1}
	if len(j.addrs) == 0 {
		return nil, fmt.Errorf("%w: no node to ask: give --coordinator URL (or CITADEL_COORDINATOR) or list coordinator.nodes in the config", ErrUnreachable)
	}
	if err := j.move(ctx); err != nil {
		return nil, err
	}
	return j, nil
}

// Node is the API address of the node in use.
func (j *JobsClient) Node() string { return j.addrs[j.at] }

// move switches to the next node after the one in use (in order, wrapping
// around) that answers /v1/status.
func (j *JobsClient) move(ctx context.Context) error {
	var errs []error
	for i := 1; i <= len(j.addrs); i++ {
		at := (j.at + i) % len(j.addrs)
		addr := j.addrs[at]
		probe, err := j.a.Client(addr)
		if err != nil {
			return err
		}
		if _, err = probe.Status(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		work := j.a
		work.Timeout = max(work.Timeout, requestTimeout)
		if j.c, err = work.Client(addr); err != nil {
			return err
		}
		j.at = at
		return nil
	}
	return fmt.Errorf("%w (%s): start citadel server on a quorum of nodes, or run the command without the coordinator", ErrUnreachable, errors.Join(errs...))
}

// JobStatus is one job of `citadel coordinator jobs`: its definition, FSM
// state and next slot, and its newest run.
type JobStatus struct {
	api.JobView
	Last *store.Run `json:"last,omitempty"`
}

// Jobs lists the group's jobs, each with its newest run.
func (j *JobsClient) Jobs(ctx context.Context) ([]JobStatus, error) {
	views, err := j.c.Jobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list jobs on %s: %w", j.Node(), err)
	}
	out := make([]JobStatus, 0, len(views))
	for _, v := range views {
		js := JobStatus{JobView: v}
		runs, err := j.c.Runs(ctx, v.Name, 1)
		if err != nil {
			return nil, fmt.Errorf("read the runs of %s on %s: %w", v.Name, j.Node(), err)
		}
		if len(runs) > 0 {
			js.Last = &runs[0]
		}
		out = append(out, js)
	}
	slices.SortFunc(out, func(a, b JobStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Job returns one job's view; ErrNoJob names the jobs there are.
func (j *JobsClient) Job(ctx context.Context, name string) (api.JobView, error) {
	views, err := j.c.Jobs(ctx)
	if err != nil {
		return api.JobView{}, fmt.Errorf("list jobs on %s: %w", j.Node(), err)
	}
	names := make([]string, 0, len(views))
	for _, v := range views {
		if v.Name == name {
			return v, nil
		}
		names = append(names, v.Name)
	}
	return api.JobView{}, noJob(name, names)
}

func noJob(name string, names []string) error {
	slices.Sort(names)
	list := strings.Join(names, ", ")
	if list == "" {
		list = "none"
	}
	return fault.Wrap(fault.ErrUsage, fmt.Errorf("%w: %q (jobs: %s): citadel coordinator jobs lists them", ErrNoJob, name, list), "")
}

// History returns a job's runs, newest first (limit 0: the API's 100).
func (j *JobsClient) History(ctx context.Context, name string, limit int) ([]store.Run, error) {
	if _, err := j.Job(ctx, name); err != nil {
		return nil, err
	}
	runs, err := j.c.Runs(ctx, name, limit)
	if err != nil {
		return nil, fmt.Errorf("read the runs of %s on %s: %w", name, j.Node(), err)
	}
	return runs, nil
}

// Trigger starts a run of the job now, through the node in use (a
// follower forwards it to the leader). A job already running is refused:
// api.ErrBusy and fault.ErrRefused, the message naming the running run.
func (j *JobsClient) Trigger(ctx context.Context, name string) (store.Run, error) {
	run, err := j.c.Trigger(ctx, name)
	var ae *api.Error
	switch {
	case err == nil:
		return run, nil
	case errors.Is(err, api.ErrNotFound):
		if _, jerr := j.Job(ctx, name); jerr != nil {
			return store.Run{}, jerr
		}
		return store.Run{}, fault.Wrap(fault.ErrUsage, fmt.Errorf("%w: %q: %w", ErrNoJob, name, err), "")
	case errors.Is(err, api.ErrBusy) && errors.As(err, &ae) && ae.Run != nil:
		r := ae.Run
		return *r, fault.Wrap(fault.ErrRefused, err, fmt.Sprintf("job %s is already running (run %s on %s since %s): wait for it with citadel coordinator runs %s",
			name, r.ID, r.Holder, r.Start.Local().Format(time.RFC3339), name))
	case errors.Is(err, api.ErrBusy):
		return store.Run{}, fault.Wrap(fault.ErrRefused, err, fmt.Sprintf("job %s is already running: wait for it with citadel coordinator runs %s", name, name))
	}
	return store.Run{}, fmt.Errorf("trigger %s through %s: %w", name, j.Node(), err)
}

// WaitOptions bound Wait.
type WaitOptions struct {
	// Timeout ends the wait with ErrWaitTimeout (0: only ctx ends it).
	Timeout time.Duration
	// Poll is the time between two reads of the history (default 500 ms).
	Poll time.Duration
	// OnChange is told when the run followed changes: a takeover's new
	// attempt, or a new state.
	OnChange func(store.Run)
}

// Wait follows run until it ends and returns its last state. A run taken
// over by a new leader (abandoned, replaced by a higher token) is followed
// to its replacement. A node that stops answering is replaced by the next
// configured one that does. The outcome is Outcome's to judge.
func (j *JobsClient) Wait(ctx context.Context, run store.Run, o WaitOptions) (store.Run, error) {
	poll := o.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	var deadline time.Time
	if o.Timeout > 0 {
		deadline = time.Now().Add(o.Timeout)
	}
	cur := run
	var lastErr error
	for {
		r, ok, err := j.find(ctx, cur)
		if err == nil {
			lastErr = nil
			if ok {
				if (r.ID != cur.ID || r.State != cur.State) && o.OnChange != nil {
					o.OnChange(r)
				}
				cur = r
				if r.State != store.RunRunning && r.State != store.RunAbandoned {
					return cur, nil
				}
			}
		} else if ctx.Err() == nil {
			// The node went away (a leader killed): the next that answers.
			lastErr = fmt.Errorf("%s: %w", j.Node(), err)
			if merr := j.move(ctx); merr != nil {
				lastErr = merr
			}
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			err := fmt.Errorf("%w: run %s of %s still %s after %s: it goes on; follow it with citadel coordinator runs %s",
				ErrWaitTimeout, cur.ID, cur.Job, cur.State, o.Timeout, cur.Job)
			if lastErr != nil {
				err = fmt.Errorf("%w (last read: %w)", err, lastErr)
			}
			return cur, err
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return cur, fmt.Errorf("wait for run %s of %s (it goes on): %w", cur.ID, cur.Job, ctx.Err())
		case <-t.C:
		}
	}
}

// find reads cur's latest state (followed through takeovers) from the
// job's newest runs: a few while it holds the lease (only a takeover or a
// skipped slot comes after it), more when it is not among them.
func (j *JobsClient) find(ctx context.Context, cur store.Run) (store.Run, bool, error) {
	for _, n := range []int{10, 200} {
		runs, err := j.c.Runs(ctx, cur.Job, n)
		if err != nil {
			return cur, false, err
		}
		if r, ok := follow(runs, cur); ok || len(runs) < n {
			return r, ok, nil
		}
	}
	return cur, false, nil
}

// follow finds cur in runs (newest first), following takeovers: an
// abandoned run's replacement is the run whose Replaces is its token.
// ok is false when cur is not there yet (a follower that has not applied
// it).
func follow(runs []store.Run, cur store.Run) (store.Run, bool) {
	i := slices.IndexFunc(runs, func(r store.Run) bool { return r.ID == cur.ID })
	if i < 0 {
		return cur, false
	}
	r := runs[i]
	for hops := 0; r.State == store.RunAbandoned && hops < len(runs); hops++ {
		k := slices.IndexFunc(runs, func(n store.Run) bool { return n.Replaces != 0 && n.Replaces == r.Token })
		if k < 0 {
			break
		}
		r = runs[k]
	}
	return r, true
}
