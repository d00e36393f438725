package coordinator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/test/testbed"
)

// The CLI's sink skips a node that does not answer and lands the record
// through the next one, a follower forwarding it to the leader; with no
// node answering it fails naming each node (the trail then warns).
func TestConfiguredAuditSinkTriesEachNode(t *testing.T) {
	g := newGroup(t, 3, true, nil)
	g.startAll()
	l, f := g.ready(), g.follower()
	down := config.CoordinatorNode{ID: "gone", HTTPAddress: testbed.FreeAddr(t)}
	nodes := []config.CoordinatorNode{down, {ID: f.opts.NodeID, HTTPAddress: f.HTTPAddr()}}
	sink := ConfiguredAuditSink(Access{Token: testToken, Who: "alice"}, nodes, 2*time.Second)
	ctx := context.Background()
	rec := audit.Record{Time: time.Now().UTC(), Who: "carol", Action: "ingest.load", Target: "opendata.listings", Outcome: "ok"}
	if err := sink.Write(ctx, rec); err != nil {
		t.Fatalf("write through the follower: %v", err)
	}
	waitFor(t, 10*time.Second, "the leader has the record", func() bool {
		a := l.Store().FSM().Audit(time.Time{}, "ingest.", 0)
		return len(a) == 1 && a[0].Who == "carol" && a[0].Target == "opendata.listings"
	})

	err := ConfiguredAuditSink(Access{Token: testToken}, []config.CoordinatorNode{down}, time.Second).Write(ctx, rec)
	if err == nil || !strings.Contains(err.Error(), "node gone") {
		t.Fatalf("no node answering: %v, want an error naming the node", err)
	}
}
