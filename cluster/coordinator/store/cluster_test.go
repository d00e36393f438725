package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

type testGroup struct {
	t     *testing.T
	net   *InmemNetwork
	peers []NodeInfo
	dir   string
	nodes map[string]*Store
}

func fastConfig(id, addr, dir string) Config {
	return Config{
		NodeID: id, RaftAddress: addr, DataDir: dir,
		HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, ApplyTimeout: 5 * time.Second,
		SnapshotInterval: time.Hour, SnapshotThreshold: 1 << 20, TrailingLogs: 2,
	}
}

// newGroup starts n nodes on an in-memory network with on-disk stores.
func newGroup(t *testing.T, n int) *testGroup {
	g := &testGroup{t: t, net: NewInmemNetwork(), dir: t.TempDir(), nodes: map[string]*Store{}}
	for i := range n {
		g.peers = append(g.peers, NodeInfo{ID: fmt.Sprintf("n%d", i+1), RaftAddress: fmt.Sprintf("inmem-%d", i+1)})
	}
	for _, p := range g.peers {
		g.start(p, g.peers)
	}
	t.Cleanup(func() {
		for _, s := range g.nodes {
			_ = s.Close()
		}
	})
	return g
}

func (g *testGroup) config(p NodeInfo, peers []NodeInfo) Config {
	cfg := fastConfig(p.ID, p.RaftAddress, filepath.Join(g.dir, p.ID))
	cfg.Peers = peers
	cfg.Transport = g.net.Transport(p.RaftAddress)
	return cfg
}

func (g *testGroup) start(p NodeInfo, peers []NodeInfo) *Store {
	g.t.Helper()
	s, err := Open(g.config(p, peers))
	if err != nil {
		g.t.Fatalf("open %s: %v", p.ID, err)
	}
	g.nodes[p.ID] = s
	return s
}

func (g *testGroup) stop(id string) {
	g.t.Helper()
	if err := g.nodes[id].Close(); err != nil {
		g.t.Fatalf("stop %s: %v", id, err)
	}
	delete(g.nodes, id)
}

// leader waits for exactly one leader among the running nodes.
func (g *testGroup) leader() *Store {
	g.t.Helper()
	var found *Store
	waitFor(g.t, 20*time.Second, "a single leader", func() bool {
		found = nil
		for _, s := range g.nodes {
			if s.IsLeader() {
				if found != nil {
					return false
				}
				found = s
			}
		}
		return found != nil
	})
	return found
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGroupElectsLeaderAndReplicates(t *testing.T) {
	g := newGroup(t, 3)
	l := g.leader()
	ctx := context.Background()
	if err := l.PutJob(ctx, Job{Name: "nightly", Schedule: "0 2 * * *"}); err != nil {
		t.Fatal(err)
	}
	for id, s := range g.nodes {
		waitFor(t, 10*time.Second, id+" applies the job", func() bool { _, ok := s.FSM().Job("nightly"); return ok })
		if s != l {
			if err := s.PutJob(ctx, Job{Name: "x"}); !errors.Is(err, ErrNotLeader) {
				t.Fatalf("proposal on follower %s: err = %v, want ErrNotLeader", id, err)
			}
			if lid, _ := s.Leader(); lid != l.ID() {
				t.Fatalf("%s thinks the leader is %q, want %q", id, lid, l.ID())
			}
		}
	}
}

// A run whose lease was taken over can no longer pass its fence through
// raft, and a deposed leader cannot fence at all.
func TestFenceRefusesStaleToken(t *testing.T) {
	g := newGroup(t, 3)
	ctx := context.Background()
	l := g.leader()
	if err := l.PutJob(ctx, Job{Name: "nightly"}); err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	old, err := l.Acquire(ctx, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Fence(ctx, "nightly", old.Token); err != nil {
		t.Fatalf("fence of the current token: %v", err)
	}
	// The old leader goes away; a new one takes the lease over.
	g.net.Isolate(l.cfg.RaftAddress)
	var nl *Store
	waitFor(t, 20*time.Second, "a new leader", func() bool {
		for _, s := range g.nodes {
			if s != l && s.IsLeader() {
				nl = s
				return true
			}
		}
		return false
	})
	waitFor(t, 10*time.Second, "the new leader sees the lease", func() bool { _, ok := nl.FSM().Current("nightly"); return ok })
	taken, err := nl.Acquire(ctx, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerTakeover, Replaces: old.Token})
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if taken.Token <= old.Token {
		t.Fatalf("new token %d not above the old %d", taken.Token, old.Token)
	}
	if _, err := nl.Fence(ctx, "nightly", old.Token); !errors.Is(err, ErrFenced) {
		t.Fatalf("fence of the stale token: err = %v, want ErrFenced", err)
	}
	shortCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := l.Fence(shortCtx, "nightly", old.Token); err == nil {
		t.Fatal("the isolated old leader passed a fence")
	}
	if _, err := nl.Fence(ctx, "nightly", taken.Token); err != nil {
		t.Fatalf("fence of the new token: %v", err)
	}
}

// A node added after a snapshot compacted the log is brought up by
// InstallSnapshot: its FSM, restored from the snapshot plus the entries
// after it, equals the leader's. It joins as a non-voter and is promoted.
func TestSnapshotInstallOnJoiningNode(t *testing.T) {
	g := newGroup(t, 3)
	ctx := context.Background()
	l := g.leader()
	// TrailingLogs is 2: after the snapshot the log no longer reaches back.
	for i := range 30 {
		if err := l.AppendAudit(ctx, AuditRecord{Who: "t", Action: "test", Target: fmt.Sprint(i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := l.PutPITR(ctx, PITRState{ReplicaSet: "main", Position: OpTime{T: 5}}); err != nil {
		t.Fatal(err)
	}
	n4 := NodeInfo{ID: "n4", RaftAddress: "inmem-4", HTTPAddress: "127.0.0.1:1"}
	s4 := g.start(n4, nil) // not a peer: it waits to be added
	if err := l.AddNonvoter(ctx, n4); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "n4 catches up", func() bool { return len(s4.FSM().PITR()) == 1 && len(s4.FSM().Nodes()) == 1 })
	if snaps, _ := filepath.Glob(filepath.Join(g.dir, "n4", "snapshots", "*")); len(snaps) == 0 {
		t.Fatal("n4 caught up without installing a snapshot: the test does not test restore")
	}
	if !reflect.DeepEqual(stateJSON(t, s4.FSM()), stateJSON(t, l.FSM())) {
		t.Fatal("the joined node's state differs from the leader's")
	}
	if err := l.Promote(ctx, "n4"); err != nil {
		t.Fatal(err)
	}
	servers, err := l.Servers()
	if err != nil {
		t.Fatal(err)
	}
	voters := 0
	for _, s := range servers {
		if s.Voter {
			voters++
		}
	}
	if voters != 4 {
		t.Fatalf("voters = %d, want 4: %+v", voters, servers)
	}
	if err := l.Remove(ctx, "n4"); err != nil {
		t.Fatal(err)
	}
	if len(l.FSM().Nodes()) != 0 {
		t.Fatalf("directory after remove: %+v", l.FSM().Nodes())
	}
}

func stateJSON(t *testing.T, f *FSM) map[string]any {
	t.Helper()
	f.mu.RLock()
	data, err := json.Marshal(f.st)
	f.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Two of three nodes lost for good: Recover on the third rewrites its
// configuration; it elects itself and keeps the state.
func TestRecoverFromSurvivor(t *testing.T) {
	g := newGroup(t, 3)
	ctx := context.Background()
	l := g.leader()
	if err := l.PutJob(ctx, Job{Name: "nightly"}); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendAudit(ctx, AuditRecord{Who: "alice", Action: "cluster.failover", Target: "main", Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	survivor := g.peers[2]
	s := g.nodes[survivor.ID]
	waitFor(t, 10*time.Second, "the survivor applies the audit record", func() bool { return len(s.FSM().Audit(time.Time{}, "", 0)) == 1 })
	for _, p := range g.peers {
		g.stop(p.ID)
	}
	if err := Recover(g.config(survivor, nil), []NodeInfo{survivor}); err != nil {
		t.Fatal(err)
	}
	s = g.start(survivor, g.peers) // the original peer list no longer matters
	waitFor(t, 20*time.Second, "the survivor elects itself", s.IsLeader)
	if _, ok := s.FSM().Job("nightly"); !ok {
		t.Fatal("the job definition was lost")
	}
	if a := s.FSM().Audit(time.Time{}, "", 0); len(a) != 1 || a[0].Action != "cluster.failover" {
		t.Fatalf("audit after recovery: %+v", a)
	}
	if err := s.PutJob(ctx, Job{Name: "after"}); err != nil {
		t.Fatalf("the recovered node cannot commit alone: %v", err)
	}
	if servers, _ := s.Servers(); len(servers) != 1 {
		t.Fatalf("servers after recovery: %+v", servers)
	}
}
