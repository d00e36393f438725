package mongosim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

func hasKeys(t *testing.T, what string, doc bson.Raw, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := doc.LookupErr(k); err != nil {
			t.Errorf("%s lacks %q: %s", what, k, doc)
		}
	}
}

func runCmd(t *testing.T, c *mongo.Client, cmd bson.D) bson.Raw {
	t.Helper()
	raw, err := c.Database("admin").RunCommand(context.Background(), cmd).Raw()
	if err != nil {
		t.Fatalf("%s: %v", cmd[0].Key, err)
	}
	return raw
}

func cmdError(err error) mongo.CommandError {
	var ce mongo.CommandError
	errors.As(err, &ce)
	return ce
}

// topologyWatcher records the driver's view of the topology.
type topologyWatcher struct {
	mu      sync.Mutex
	kind    string
	primary string
	changed chan struct{}
}

func (w *topologyWatcher) monitor() *event.ServerMonitor {
	w.changed = make(chan struct{}, 1000)
	return &event.ServerMonitor{TopologyDescriptionChanged: func(e *event.TopologyDescriptionChangedEvent) {
		w.mu.Lock()
		w.kind, w.primary = e.NewDescription.Kind, ""
		for _, s := range e.NewDescription.Servers {
			if s.Kind == "RSPrimary" {
				w.primary = s.Addr.String()
			}
		}
		w.mu.Unlock()
		w.changed <- struct{}{}
	}}
}

func (w *topologyWatcher) get() (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kind, w.primary
}

func TestDiscoveryHelloAndStatus(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	ctx := context.Background()
	uninit := runCmd(t, direct(t, rs.Members[1].Host), bson.D{{Key: "hello", Value: 1}})
	if b, _ := uninit.Lookup("isreplicaset").BooleanOK(); !b {
		t.Errorf("uninitiated hello: %s", uninit)
	}
	_, err := direct(t, rs.Members[1].Host).Database("admin").RunCommand(ctx, bson.D{{Key: "replSetGetStatus", Value: 1}}).Raw()
	if ce := cmdError(err); ce.Code != 94 || ce.Name != "NotYetInitialized" {
		t.Errorf("status before initiate: %v", err)
	}
	initiate(t, s, rs)
	w := &topologyWatcher{}
	c := setClient(t, rs, options.Client().SetServerMonitor(w.monitor()))
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		t.Fatal(err)
	}
	if kind, primary := w.get(); kind != "ReplicaSetWithPrimary" || primary != rs.Members[0].Host {
		t.Fatalf("driver sees %s with primary %q", kind, primary)
	}
	hello := runCmd(t, direct(t, rs.Members[0].Host), bson.D{{Key: "hello", Value: 1}})
	hasKeys(t, "primary hello", hello, "setName", "setVersion", "hosts", "primary", "me", "isWritablePrimary",
		"secondary", "tags", "electionId", "lastWrite", "topologyVersion", "maxWireVersion")
	hidden := runCmd(t, direct(t, rs.Members[3].Host), bson.D{{Key: "isMaster", Value: 1}})
	if h, _ := hidden.Lookup("hidden").BooleanOK(); !h || hidden.Lookup("ismaster").Boolean() {
		t.Errorf("hidden member's isMaster: %s", hidden)
	}
	st := runCmd(t, c, bson.D{{Key: "replSetGetStatus", Value: 1}})
	hasKeys(t, "replSetGetStatus", st, "set", "term", "majorityVoteCount", "writeMajorityCount", "optimes", "members")
	members, _ := st.Lookup("members").Array().Values()
	if len(members) != 4 {
		t.Fatalf("members: %d", len(members))
	}
	for i, m := range members {
		hasKeys(t, "member", m.Document(), "_id", "name", "health", "state", "stateStr", "optime", "optimeDate", "syncSourceHost", "configVersion")
		if i > 0 {
			hasKeys(t, "other member", m.Document(), "lastHeartbeat", "pingMs")
		} else if !m.Document().Lookup("self").Boolean() {
			t.Error("self not marked")
		}
	}
	if v := st.Lookup("majorityVoteCount").Int32(); v != 2 {
		t.Errorf("majorityVoteCount %d", v)
	}
	bi := runCmd(t, c, bson.D{{Key: "buildInfo", Value: 1}})
	if !bi.Lookup("mongosim").Boolean() || bi.Lookup("version").StringValue() != Version {
		t.Errorf("buildInfo: %s", bi)
	}
}

func TestReconfigRulesThroughDriver(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	conf := runCmd(t, c, bson.D{{Key: "replSetGetConfig", Value: 1}, {Key: "commitmentStatus", Value: true}})
	if !conf.Lookup("commitmentStatus").Boolean() {
		t.Errorf("commitmentStatus: %s", conf)
	}
	cfg := initiateDoc(rs)
	members := cfg[2].Value.(bson.A)
	cfg[1].Value = 3 // version after the step-up rewrote the term
	l1 := members[2].(bson.D)
	l1[3].Value = 0 // votes
	l1[2].Value = 0.0
	l2 := members[3].(bson.D)
	l2[3].Value = 1
	err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "replSetReconfig", Value: cfg}}).Err()
	if ce := cmdError(err); ce.Code != 93 || ce.Name != "InvalidReplicaSetConfig" {
		t.Fatalf("two voting changes: %v", err)
	}
	t.Logf("two voting changes refused: %v", err)

	// Lose Paris: Lyon has no primary; a forced reconfig there keeps Lyon only.
	paris := []string{rs.Members[0].Host, rs.Members[1].Host}
	lyon := []string{rs.Members[2].Host, rs.Members[3].Host}
	if err := s.Partition(paris, lyon); err != nil {
		t.Fatal(err)
	}
	l := direct(t, lyon[0])
	old := runCmd(t, l, bson.D{{Key: "replSetGetConfig", Value: 1}}).Lookup("config").Document()
	oldVersion := old.Lookup("version").Int32()
	force := bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: oldVersion + 1}, {Key: "members", Value: bson.A{
		bson.D{{Key: "_id", Value: 2}, {Key: "host", Value: lyon[0]}, {Key: "priority", Value: 0.5}},
		bson.D{{Key: "_id", Value: 3}, {Key: "host", Value: lyon[1]}, {Key: "priority", Value: 0}, {Key: "votes", Value: 0}, {Key: "hidden", Value: true}},
	}}, {Key: "settings", Value: old.Lookup("settings").Document()}}
	runCmd(t, l, bson.D{{Key: "replSetReconfig", Value: force}, {Key: "force", Value: true}})
	got := runCmd(t, l, bson.D{{Key: "replSetGetConfig", Value: 1}}).Lookup("config").Document().Lookup("version").Int32()
	if got < oldVersion+10000 {
		t.Fatalf("forced version %d did not jump from %d", got, oldVersion)
	}
	t.Logf("force reconfig on the minority: version %d -> %d", oldVersion, got)
	waitFor(t, 10*time.Second, "a Lyon primary", func() bool { return s.Primary(rs.Name) == lyon[0] || primaryOf(s, lyon[0]) })
}

func primaryOf(s *Sim, host string) bool {
	for _, st := range s.State() {
		if st.Host == host && st.State == "PRIMARY" {
			return true
		}
	}
	return false
}

func TestFailoverRetryableWrites(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	w := &topologyWatcher{}
	c := setClient(t, rs, options.Client().SetServerMonitor(w.monitor()).SetRetryWrites(true))
	coll := c.Database("app").Collection("orders")
	old := s.Primary(rs.Name)
	const n = 60
	errs := make(chan error, n)
	go func() {
		for i := 0; i < n; i++ {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "at", Value: time.Now()}})
			errs <- err
			time.Sleep(15 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	stopped := time.Now()
	if err := s.Stop(old); err != nil {
		t.Fatal(err)
	}
	var seen time.Duration
	waitFor(t, 20*time.Second, "the driver to see a new primary", func() bool {
		kind, p := w.get()
		if kind == "ReplicaSetWithPrimary" && p != "" && p != old {
			seen = time.Since(stopped)
			return true
		}
		return false
	})
	t.Logf("driver saw new primary after %v (election timeout %v + heartbeat %v)", seen, testElection, testHeartbeat)
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("insert %d across failover: %v", i, err)
		}
	}
	count, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil || count != n {
		t.Fatalf("count %d (%v), want %d: each retryable write exactly once", count, err, n)
	}
	if err := s.Start(old); err != nil {
		t.Fatal(err)
	}
	oc := direct(t, old).Database("app").Collection("orders")
	waitFor(t, 20*time.Second, "the old primary to catch up", func() bool {
		k, err := oc.CountDocuments(ctx, bson.D{})
		return err == nil && k == n
	})
}

func TestPartitionRollsBackW1(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	maj := c.Database("app", options.Database().SetWriteConcern(writeconcern.Majority())).Collection("ledger")
	for i := 0; i < 20; i++ {
		if _, err := maj.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "kind", Value: "majority"}}); err != nil {
			t.Fatal(err)
		}
	}
	old := s.Primary(rs.Name)
	var rest []string
	for _, m := range rs.Members {
		if m.Host != old {
			rest = append(rest, m.Host)
		}
	}
	if err := s.Partition([]string{old}, rest); err != nil {
		t.Fatal(err)
	}
	w1 := direct(t, old).Database("app", options.Database().SetWriteConcern(writeconcern.W1())).Collection("ledger")
	accepted := 0
	for i := 100; i < 110; i++ {
		if _, err := w1.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "kind", Value: "w1"}}); err == nil {
			accepted++
		}
	}
	if accepted == 0 {
		t.Fatal("the isolated primary accepted no w:1 write before stepping down")
	}
	waitFor(t, 10*time.Second, "a primary on the majority side", func() bool {
		p := s.Primary(rs.Name)
		return p != "" && p != old
	})
	s.Heal()
	for _, m := range rs.Members {
		mc := direct(t, m.Host).Database("app", options.Database().SetReadPreference(readpref.SecondaryPreferred())).Collection("ledger")
		waitFor(t, 20*time.Second, "rollback and catch-up on "+m.Host, func() bool {
			nw1, err1 := mc.CountDocuments(ctx, bson.D{{Key: "kind", Value: "w1"}})
			nmaj, err2 := mc.CountDocuments(ctx, bson.D{{Key: "kind", Value: "majority"}})
			return err1 == nil && err2 == nil && nw1 == 0 && nmaj == 20
		})
	}
	t.Logf("%d w:1 writes rolled back on %s; 20 w:majority writes on every member", accepted, old)
}

func TestOplogTailing(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	oplogColl := c.Database("local").Collection("oplog.rs")
	var last bson.Raw
	if err := oplogColl.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "$natural", Value: -1}})).Decode(&last); err != nil {
		t.Fatal(err)
	}
	t0, i0 := last.Lookup("ts").Timestamp()
	cur, err := oplogColl.Find(ctx, bson.D{{Key: "ts", Value: bson.D{{Key: "$gt", Value: bson.Timestamp{T: t0, I: i0}}}}},
		options.Find().SetCursorType(options.TailableAwait).SetMaxAwaitTime(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(ctx)
	coll := c.Database("shop").Collection("items")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"c", "i", "u", "d"}
	var prevT, prevI uint32 = t0, i0
	for i := 0; i < len(want); {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ok := cur.Next(tctx)
		cancel()
		if !ok {
			t.Fatalf("tailing stopped after %d entries: %v", i, cur.Err())
		}
		e := cur.Current
		op := e.Lookup("op").StringValue()
		if op == "n" {
			continue
		}
		if op != want[i] {
			t.Fatalf("entry %d op %q, want %q: %s", i, op, want[i], e)
		}
		hasKeys(t, "oplog entry", e, "ts", "t", "v", "op", "ns", "ui", "o", "wall")
		if op == "u" {
			hasKeys(t, "update entry", e, "o2")
			if e.Lookup("o", "n").Int32() != 2 {
				t.Errorf("update entry is not the full new document: %s", e)
			}
		}
		if e.Lookup("v").Int64() != 2 || e.Lookup("t").Type != bson.TypeInt64 || e.Lookup("wall").Type != bson.TypeDateTime {
			t.Errorf("entry format: %s", e)
		}
		if sub, _, _ := e.Lookup("ui").BinaryOK(); sub != 4 {
			t.Errorf("ui is not a UUID: %s", e)
		}
		ts, ti := e.Lookup("ts").Timestamp()
		if ts < prevT || (ts == prevT && ti <= prevI) {
			t.Fatalf("entries out of order: %d,%d after %d,%d", ts, ti, prevT, prevI)
		}
		prevT, prevI = ts, ti
		i++
	}
	_ = s
}
