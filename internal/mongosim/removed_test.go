package mongosim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// lastEntry is the newest oplog entry of host, read without a read
// preference: mongod serves the local database in any state.
func lastEntry(t *testing.T, host string) bson.Raw {
	t.Helper()
	r := rawCmd(t, host, bson.D{{Key: "find", Value: "oplog.rs"}, {Key: "sort", Value: bson.D{{Key: "$natural", Value: -1}}},
		{Key: "limit", Value: 1}, {Key: "$db", Value: "local"}})
	batch, ok := r.Lookup("cursor", "firstBatch").ArrayOK()
	vals, _ := batch.Values()
	if !ok || len(vals) != 1 {
		t.Fatalf("oplog of %s: %s", host, r)
	}
	return vals[0].Document()
}

func hasEntry(t *testing.T, host string, e bson.Raw) bool {
	t.Helper()
	r := rawCmd(t, host, bson.D{{Key: "find", Value: "oplog.rs"}, {Key: "filter", Value: bson.D{{Key: "ts", Value: e.Lookup("ts")}, {Key: "t", Value: e.Lookup("t")}}},
		{Key: "$db", Value: "local"}})
	batch, _ := r.Lookup("cursor", "firstBatch").ArrayOK()
	vals, _ := batch.Values()
	return len(vals) > 0
}

func stateOf(s *Sim, host string) string {
	for _, st := range s.State() {
		if st.Host == host {
			return st.State
		}
	}
	return ""
}

// lyonTakesOver plays a site loss on the two-site set: Paris holds 3 w:1
// writes Lyon never had, p1 is stopped, Lyon forces a config of its own
// members and l1 becomes primary.
func lyonTakesOver(t *testing.T, s *Sim, rs config.ReplicaSet) {
	t.Helper()
	ctx := context.Background()
	p1, p2, l1, l2 := rs.Members[0].Host, rs.Members[1].Host, rs.Members[2].Host, rs.Members[3].Host
	orders := setClient(t, rs).Database("app").Collection("orders")
	for i := range 5 {
		if _, err := orders.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "tag", Value: "kept"}}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, s.PauseReplication(l1), s.PauseReplication(l2))
	w1 := direct(t, p1).Database("app").Collection("orders", options.Collection().SetWriteConcern(writeconcern.W1()))
	for i := 100; i < 103; i++ {
		if _, err := w1.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "tag", Value: "lost"}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "p2 to apply the w:1 writes", func() bool { return hasEntry(t, p2, lastEntry(t, p1)) })
	must(t, s.Stop(p1), s.Partition([]string{p1, p2}, []string{l1, l2}), s.ResumeReplication(l1), s.ResumeReplication(l2))
	l := direct(t, l1)
	old := runCmd(t, l, bson.D{{Key: "replSetGetConfig", Value: 1}}).Lookup("config").Document()
	force := bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: old.Lookup("version").Int32() + 1}, {Key: "members", Value: bson.A{
		bson.D{{Key: "_id", Value: 2}, {Key: "host", Value: l1}, {Key: "priority", Value: 0.5}},
		bson.D{{Key: "_id", Value: 3}, {Key: "host", Value: l2}, {Key: "priority", Value: 0}, {Key: "votes", Value: 0}, {Key: "hidden", Value: true}},
	}}, {Key: "settings", Value: old.Lookup("settings").Document()}}
	runCmd(t, l, bson.D{{Key: "replSetReconfig", Value: force}, {Key: "force", Value: true}})
	waitFor(t, 10*time.Second, "l1 to be primary", func() bool { return s.Primary(rs.Name) == l1 })
	lyon := direct(t, l1).Database("app").Collection("orders", options.Collection().SetWriteConcern(writeconcern.Majority()))
	if _, err := lyon.InsertOne(ctx, bson.D{{Key: "_id", Value: 200}, {Key: "tag", Value: "lyon"}}); err != nil {
		t.Fatal(err)
	}
}

// Must show: after a forced reconfig without Paris and a heal, the Paris
// members are REMOVED — hello and replSetGetStatus answer as mongod's do,
// they keep their divergent entries, their local database stays readable
// without a read preference, other reads are refused — and only once added
// back do they roll back and sync.
func TestRemovedMembersKeepTheirHistory(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	p1, p2, l1 := rs.Members[0].Host, rs.Members[1].Host, rs.Members[2].Host
	lyonTakesOver(t, s, rs)
	divergent := lastEntry(t, p2)
	if hasEntry(t, l1, divergent) {
		t.Fatal("l1 holds p2's last entry: nothing diverged")
	}
	s.Heal()
	must(t, s.Start(p1))
	waitFor(t, 10*time.Second, "p1 and p2 to be REMOVED", func() bool { return stateOf(s, p1) == "REMOVED" && stateOf(s, p2) == "REMOVED" })
	time.Sleep(10 * testHeartbeat)

	hello := rawCmd(t, p2, bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	if hello.Lookup("isWritablePrimary").Boolean() || hello.Lookup("secondary").Boolean() || !hello.Lookup("isreplicaset").Boolean() ||
		hello.Lookup("info").StringValue() != "Does not have a valid replica set config" {
		t.Errorf("hello of a REMOVED member: %s", hello)
	}
	if _, err := hello.LookupErr("setName"); err == nil {
		t.Errorf("hello of a REMOVED member names a set: %s", hello)
	}
	wantCode(t, "replSetGetStatus on REMOVED", rawCmd(t, p2, bson.D{{Key: "replSetGetStatus", Value: 1}, {Key: "$db", Value: "admin"}}),
		93, "InvalidReplicaSetConfig")
	if got := lastEntry(t, p2); string(got) != string(divergent) {
		t.Fatalf("REMOVED p2 changed its oplog: last entry %s, was %s", got, divergent)
	}
	conf := rawCmd(t, p2, bson.D{{Key: "find", Value: "system.replset"}, {Key: "$db", Value: "local"}})
	if n, _ := conf.Lookup("cursor", "firstBatch").Array().Values(); len(n) != 1 {
		t.Errorf("local.system.replset on REMOVED: %s", conf)
	}
	read := bson.D{{Key: "find", Value: "orders"}, {Key: "$db", Value: "app"}}
	wantCode(t, "read without secondaryOk", rawCmd(t, p2, read), 13435, "NotPrimaryNoSecondaryOk")
	read = append(read, bson.E{Key: "$readPreference", Value: bson.D{{Key: "mode", Value: "secondaryPreferred"}}})
	wantCode(t, "read with secondaryOk", rawCmd(t, p2, read), 13436, "NotPrimaryOrSecondary")
	projected := rawCmd(t, p2, bson.D{{Key: "find", Value: "oplog.rs"}, {Key: "projection", Value: bson.D{{Key: "ts", Value: 1}, {Key: "op", Value: 1}}},
		{Key: "limit", Value: 1}, {Key: "$db", Value: "local"}})
	if first := projected.Lookup("cursor", "firstBatch", "0").Document(); len(mustElems(t, first)) != 2 {
		t.Errorf("projected oplog entry: %s", first)
	}

	// Added back, p2 rolls its divergent writes back and syncs; p1 stays out.
	l := direct(t, l1)
	cfg := runCmd(t, l, bson.D{{Key: "replSetGetConfig", Value: 1}}).Lookup("config").Document()
	members, _ := cfg.Lookup("members").Array().Values()
	next := bson.A{}
	for _, m := range members {
		next = append(next, m.Document())
	}
	next = append(next, bson.D{{Key: "_id", Value: 5}, {Key: "host", Value: p2}, {Key: "priority", Value: 0.25}})
	runCmd(t, l, bson.D{{Key: "replSetReconfig", Value: bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: cfg.Lookup("version").Int32() + 1},
		{Key: "members", Value: next}, {Key: "settings", Value: cfg.Lookup("settings").Document()}}}, {Key: "maxTimeMS", Value: 10000}})
	waitFor(t, 20*time.Second, "p2 to roll back and catch up", func() bool {
		return stateOf(s, p2) == "SECONDARY" && !hasEntry(t, p2, divergent) && hasEntry(t, p2, lastEntry(t, l1))
	})
	files, _ := filepath.Glob(filepath.Join(s.opts.DataDir, rs.Name, sanitize(p2), "rollback", "removed.*.bson"))
	if len(files) != 1 {
		t.Errorf("rollback files of p2: %v", files)
	} else if fi, err := os.Stat(files[0]); err != nil || fi.Size() == 0 {
		t.Errorf("rollback file %s: %v", files[0], err)
	}
	if st := stateOf(s, p1); st != "REMOVED" || !hasEntry(t, p1, divergent) {
		t.Errorf("p1, not added back: %s, divergent entry kept: %t", st, hasEntry(t, p1, divergent))
	}
}

func mustElems(t *testing.T, d bson.Raw) []bson.RawElement {
	t.Helper()
	e, err := d.Elements()
	if err != nil {
		t.Fatal(err)
	}
	return e
}
