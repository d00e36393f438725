package coordinator

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/test/testbed"
)

// Three nodes on real TCP loopback ports with bolt stores on disk: a
// leader is elected, a job triggered through a follower runs, a restarted
// node reuses its state (no second bootstrap), and a fourth node joins as a
// non-voter, is promoted once caught up, then removed.
func TestThreeNodesOverTCP(t *testing.T) {
	g := newGroup(t, 3, false, nightly)
	g.startAll()
	ctx := context.Background()
	f := g.follower()
	run, err := g.client(f).Trigger(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the run succeeds everywhere", func() bool {
		for _, n := range g.nodes {
			if len(runsIn(n, "nightly", store.RunSucceeded)) != 1 {
				return false
			}
		}
		return true
	})

	// Restart a follower: it reuses its raft state from disk.
	id := f.opts.NodeID
	if _, err := os.Stat(filepath.Join(g.opts[id].DataDir, "raft.db")); err != nil {
		t.Fatalf("no bolt store on disk: %v", err)
	}
	g.stop(id)
	n := g.start(id)
	waitFor(t, 20*time.Second, "the restarted node has its history", func() bool {
		runs := runsIn(n, "nightly", store.RunSucceeded)
		return len(runs) == 1 && runs[0].ID == run.ID
	})
	if !contains(g.logs.String(), "bootstrapped coordinator group", 3) {
		t.Fatal("a restart bootstrapped again")
	}
	waitFor(t, 20*time.Second, "the restarted node follows the leader", func() bool {
		lid, _ := n.Store().Leader()
		return lid != "" && lid != id || n.Store().IsLeader()
	})

	// A fourth node joins through a follower's API.
	via := g.follower()
	four := g.opts["n1"]
	four.NodeID, four.Nodes = "n4", nil
	four.RaftAddress, four.HTTPAddress = testbed.FreeAddr(t), testbed.FreeAddr(t)
	four.DataDir = filepath.Join(t.TempDir(), "n4")
	g.opts["n4"] = four
	n4 := g.start("n4")
	err = g.client(via).AddNode(ctx, store.NodeInfo{ID: "n4", Site: "witness", RaftAddress: four.RaftAddress, HTTPAddress: four.HTTPAddress})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "n4 is promoted to voter", func() bool {
		servers, err := g.leader().Store().Servers()
		if err != nil {
			return false
		}
		for _, s := range servers {
			if s.ID == "n4" {
				return s.Voter
			}
		}
		return false
	})
	if len(runsIn(n4, "nightly", store.RunSucceeded)) != 1 {
		t.Fatal("n4 did not receive the history")
	}
	if err := g.client(g.leader()).RemoveNode(ctx, "n4"); err != nil {
		t.Fatal(err)
	}
	servers, err := g.leader().Store().Servers()
	if err != nil || len(servers) != 3 {
		t.Fatalf("servers after remove: %+v %v", servers, err)
	}
}

func contains(s, sub string, times int) bool {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n == times
}
