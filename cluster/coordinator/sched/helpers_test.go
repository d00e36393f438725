package sched

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// recorder is a Runner that records its calls and behaves as each test
// says: block until released, fail, or succeed.
type recorder struct {
	mu     sync.Mutex
	calls  []RunInfo
	behave func(ctx context.Context, n int, run RunInfo, f Fence) (json.RawMessage, error)
}

func (r *recorder) Run(ctx context.Context, job JobSpec, run RunInfo, f Fence) (json.RawMessage, error) {
	r.mu.Lock()
	r.calls = append(r.calls, run)
	n := len(r.calls)
	r.mu.Unlock()
	if r.behave == nil {
		return commit(ctx, f, n)
	}
	return r.behave(ctx, n, run, f)
}

// commit passes the fence and returns a result, as a job committing would.
func commit(ctx context.Context, f Fence, n int) (json.RawMessage, error) {
	if _, err := f.Check(ctx); err != nil {
		return nil, err
	}
	return json.RawMessage(fmt.Sprintf(`{"call":%d}`, n)), nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// oneNode starts a single-node in-memory raft group that leads.
func oneNode(t *testing.T) *store.Store {
	t.Helper()
	net := store.NewInmemNetwork()
	self := store.NodeInfo{ID: "n1", RaftAddress: "inmem-1"}
	st, err := store.Open(store.Config{
		NodeID: self.ID, RaftAddress: self.RaftAddress, Peers: []store.NodeInfo{self}, Transport: net.Transport(self.RaftAddress),
		HeartbeatTimeout: 100 * time.Millisecond, ElectionTimeout: 100 * time.Millisecond, LeaderLeaseTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	waitFor(t, 10*time.Second, "leadership", st.IsLeader)
	return st
}

func fastOptions() Options {
	return Options{HeartbeatInterval: 20 * time.Millisecond, LeaseTTL: 200 * time.Millisecond, RetryBackoff: 10 * time.Millisecond}
}

// lead runs the scheduler until the test ends.
func lead(t *testing.T, s *Scheduler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Lead(ctx); err != nil {
			t.Errorf("lead: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	waitFor(t, 5*time.Second, "the scheduler leads", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.leadCtx != nil
	})
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runsIn(st *store.Store, job, state string) []store.Run {
	var out []store.Run
	for _, r := range st.FSM().Runs(job, 0) {
		if state == "" || r.State == state {
			out = append(out, r)
		}
	}
	return out
}
