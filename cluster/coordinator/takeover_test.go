package coordinator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

var nightly = []store.Job{{Name: "nightly", Kind: "backup", Schedule: "0 2 * * *", Params: []byte(`{"backup":"main"}`)}}

// A job triggered through a follower runs on the leader, once.
func TestTriggerThroughFollowerRunsOnLeader(t *testing.T) {
	g := newGroup(t, 3, true, nightly)
	g.startAll()
	l, f := g.ready(), g.follower()
	run, err := g.client(f).Trigger(context.Background(), "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if run.Holder != l.opts.NodeID || run.Who != "alice" {
		t.Fatalf("run %+v: want holder %s, who alice", run, l.opts.NodeID)
	}
	waitFor(t, 10*time.Second, "the run succeeds", func() bool { return len(runsIn(f, "nightly", store.RunSucceeded)) == 1 })
	calls := g.callsSnapshot()
	if len(calls) != 1 || calls[0].Node != l.opts.NodeID {
		t.Fatalf("runner calls: %+v", calls)
	}
	if got := g.bucket.committed(run.Slot); len(got) != 1 || got[0] != run.Token {
		t.Fatalf("manifests for the slot: %v", got)
	}
}

// The leader dies while a run is in progress: the next leader sees the
// heartbeat go stale, takes the lease over with a higher token and runs
// the slot again; exactly one manifest lands.
func TestLeaseTakeoverAfterLeaderShutdown(t *testing.T) {
	g := newGroup(t, 3, true, nightly)
	g.startAll()
	l := g.ready()
	g.setHook(func(ctx context.Context, c call) error {
		if c.Node == l.opts.NodeID { // the first leader never gets to commit
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	first, err := l.Scheduler().Trigger(context.Background(), "nightly", "alice")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first run starts", func() bool { return len(g.callsSnapshot()) == 1 })
	g.stop(l.opts.NodeID)
	nl := g.leader()
	waitFor(t, 20*time.Second, "the takeover succeeds", func() bool { return len(runsIn(nl, "nightly", store.RunSucceeded)) == 1 })
	done := runsIn(nl, "nightly", store.RunSucceeded)[0]
	if done.Trigger != store.TriggerTakeover || done.Replaces != first.Token || done.Token <= first.Token || !done.Slot.Equal(first.Slot) {
		t.Fatalf("takeover run: %+v (first %+v)", done, first)
	}
	if ab := runsIn(nl, "nightly", store.RunAbandoned); len(ab) != 1 || ab[0].Token != first.Token {
		t.Fatalf("abandoned runs: %+v", ab)
	}
	calls := g.callsSnapshot()
	if len(calls) != 2 || calls[1].Run.Previous == nil || calls[1].Run.Previous.Token != first.Token {
		t.Fatalf("the takeover was not told about the previous attempt: %+v", calls)
	}
	if got := g.bucket.committed(first.Slot); len(got) != 1 || got[0] != done.Token {
		t.Fatalf("manifests for the slot: %v, want exactly [%d]", got, done.Token)
	}
}

// A leader cut off from the others while its job runs: its job ignores the
// cancellation and tries to commit late. The fence refuses it; only the new
// leader's run commits.
func TestDeposedLeaderLateManifestIsFenced(t *testing.T) {
	g := newGroup(t, 3, true, nightly)
	g.startAll()
	l := g.ready()
	late := make(chan error, 1)
	proceed := make(chan struct{})
	g.setHook(func(ctx context.Context, c call) error {
		if c.Node == l.opts.NodeID {
			<-proceed // a job deaf to ctx: stuck in a slow upload
		}
		return nil
	})
	first, err := l.Scheduler().Trigger(context.Background(), "nightly", "alice")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first run starts", func() bool { return len(g.callsSnapshot()) == 1 })
	g.net.Isolate(l.opts.RaftAddress)
	var nl *Node
	waitFor(t, 20*time.Second, "a new leader among the others", func() bool {
		for _, n := range g.nodes {
			if n != l && n.Store().IsLeader() {
				nl = n
				return true
			}
		}
		return false
	})
	waitFor(t, 20*time.Second, "the takeover succeeds", func() bool { return len(runsIn(nl, "nightly", store.RunSucceeded)) == 1 })
	// Now the deposed leader's job wakes up and tries to commit.
	go func() {
		_, err := l.Store().Fence(context.Background(), "nightly", first.Token)
		late <- err
	}()
	close(proceed)
	if err := <-late; err == nil {
		t.Fatal("the deposed leader passed its fence")
	}
	waitFor(t, 10*time.Second, "the deposed job returns", func() bool { return len(g.callsSnapshot()) == 2 })
	time.Sleep(100 * time.Millisecond) // let a wrongly passing commit land, if any
	done := runsIn(nl, "nightly", store.RunSucceeded)[0]
	if got := g.bucket.committed(first.Slot); len(got) != 1 || got[0] != done.Token {
		t.Fatalf("manifests for the slot: %v, want only the new leader's [%d]", got, done.Token)
	}
	if _, err := nl.Store().Fence(context.Background(), "nightly", first.Token); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("fence of the old token on the new leader: %v", err)
	}
}

// Two nodes lost for good: recover on the third, which becomes a one-node
// group, elects itself, keeps the state and runs the next slot.
func TestRecoverSurvivorRunsNextSlot(t *testing.T) {
	every := []store.Job{{Name: "often", Kind: "backup", Schedule: "@every 1s"}}
	g := newGroup(t, 3, true, every)
	g.startAll()
	l := g.ready()
	if err := l.Store().AppendAudit(context.Background(), store.AuditRecord{Who: "alice", Action: "cluster.switchover", Target: "main", Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a scheduled run succeeds", func() bool { return len(runsIn(l, "often", store.RunSucceeded)) >= 1 })
	survivor := "n3"
	waitFor(t, 10*time.Second, "the survivor has the audit record", func() bool {
		return len(g.nodes[survivor].Store().FSM().Audit(time.Time{}, "", 0)) == 1
	})
	before := len(runsIn(g.nodes[survivor], "often", store.RunSucceeded))
	for _, id := range []string{"n1", "n2", "n3"} {
		g.stop(id)
	}
	if err := Recover(g.options(survivor), []string{survivor}); err != nil {
		t.Fatal(err)
	}
	recovered := time.Now()
	n := g.start(survivor)
	waitFor(t, 20*time.Second, "the survivor leads alone", n.Store().IsLeader)
	if servers, err := n.Store().Servers(); err != nil || len(servers) != 1 {
		t.Fatalf("servers after recovery: %+v %v", servers, err)
	}
	if a := n.Store().FSM().Audit(time.Time{}, "", 0); len(a) != 1 {
		t.Fatalf("audit after recovery: %+v", a)
	}
	waitFor(t, 20*time.Second, "a slot after the recovery runs", func() bool {
		for _, r := range runsIn(n, "often", store.RunSucceeded) {
			if r.Holder == survivor && r.Slot.After(recovered) {
				return true
			}
		}
		return false
	})
	if got := len(runsIn(n, "often", store.RunSucceeded)); got <= before {
		t.Fatalf("succeeded runs %d, want more than the %d before recovery", got, before)
	}
}
