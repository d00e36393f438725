package archiver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/pitr"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongoconn"
)

// fakeStore is the leadership flag and the recorded states.
type fakeStore struct {
	leader atomic.Bool
	fsm    *store.FSM
	mu     sync.Mutex
	puts   []store.PITRState
}

func (s *fakeStore) IsLeader() bool  { return s.leader.Load() }
func (s *fakeStore) FSM() *store.FSM { return s.fsm }
func (s *fakeStore) PutPITR(_ context.Context, p store.PITRState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts = append(s.puts, p)
	return nil
}

func (s *fakeStore) last() store.PITRState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.puts) == 0 {
		return store.PITRState{}
	}
	return s.puts[len(s.puts)-1]
}

// waitFor polls cond for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}

// TestArchiverFollowsTheSetOnTheLeaderOnly: nothing runs on a follower;
// on the leader an archiver whose source is lost is started again (a new
// source chosen) with its state recorded; losing leadership cancels it.
func TestArchiverFollowsTheSetOnTheLeaderOnly(t *testing.T) {
	st := &fakeStore{fsm: store.NewFSM(nil)}
	cfg := &config.Config{Backups: []config.Backup{{Name: "nightly", ReplicaSet: "main", PITR: config.PITR{Enabled: true}},
		{Name: "other", ReplicaSet: "main"}}}
	var calls, running atomic.Int32
	run := func(ctx context.Context, _ jobs.Env, req jobs.PITRRequest) error {
		n := calls.Add(1)
		if req.Job != "nightly" {
			return fmt.Errorf("archiver of %s started: only nightly has pitr", req.Job)
		}
		req.OnStart(fmt.Sprintf("m%d", n), "lyon", time.Second)
		if n%3 != 0 { // the source dies, then the next one steps up
			return fmt.Errorf("%w: m%d does not answer", pitr.ErrSourceLost, n)
		}
		req.OnSlice(&manifest.Slice{ReplicaSet: "main", After: manifest.Timestamp{T: 10}, Upper: manifest.Timestamp{T: 20, I: uint32(n)}, Source: fmt.Sprintf("m%d", n)})
		running.Add(1)
		defer running.Add(-1)
		<-ctx.Done()
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(t.Context())
	a := Start(ctx, Options{Env: jobs.Env{Config: cfg}, Store: st, Poll: 5 * time.Millisecond,
		Retry: mongoconn.Retry{Base: time.Millisecond, Max: 2 * time.Millisecond}, pitr: run})

	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d archivers started on a follower", n)
	}
	st.leader.Store(true)
	waitFor(t, "the third source archives", func() bool { return running.Load() == 1 })
	got := st.last()
	want := store.PITRState{ReplicaSet: "main", Source: "m3", Position: store.OpTime{T: 20, I: 3}, Restarts: 2,
		SliceKey: "main/pitr/0000000010.0000000000-0000000020.0000000003.json", LastError: got.LastError}
	if got != want || got.LastError == "" {
		t.Fatalf("state %+v, want %+v with the last error", got, want)
	}

	st.leader.Store(false)
	waitFor(t, "the archiver cancelled with the leadership", func() bool { return running.Load() == 0 })
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d archiver starts, want 3", n)
	}
	st.leader.Store(true) // leader again: a new term, a new archiver
	waitFor(t, "the archiver of the next term", func() bool { return calls.Load() > 3 })
	cancel()
	a.Wait()
	if running.Load() != 0 {
		t.Fatal("an archiver still runs after Wait")
	}
}
