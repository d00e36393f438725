package mongosim

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Conformance under what an ordinary application does: index builds,
// entries applied twice, entries that cannot be applied, mongosh's
// initiate. Each test drives the set through the official driver only.

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), substr)
}

func startLoggedSim(t *testing.T, rs config.ReplicaSet) (*Sim, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	lg := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := Start(context.Background(), Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir(), Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, logs
}

func majority(c *mongo.Client, db string) *mongo.Database {
	return c.Database(db, options.Database().SetWriteConcern(writeconcern.Majority()))
}

// indexNames lists the index names a member reports, with their specs.
func indexSpecs(t *testing.T, c *mongo.Client, db, coll string) map[string]bson.Raw {
	t.Helper()
	cur, err := c.Database(db, options.Database().SetReadPreference(readpref.SecondaryPreferred())).Collection(coll).Indexes().List(context.Background())
	if err != nil {
		return nil
	}
	var specs []bson.Raw
	if cur.All(context.Background(), &specs) != nil {
		return nil
	}
	out := map[string]bson.Raw{}
	for _, s := range specs {
		out[s.Lookup("name").StringValue()] = s
	}
	return out
}

func TestIndexBuildsReplicate(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	coll := majority(c, "app").Collection("listings")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "email", Value: "a@x"}, {Key: "city", Value: "paris"}}}); err != nil {
		t.Fatal(err)
	}
	// Every kind the catalog keeps, as the driver sends them (the driver
	// adds nothing; SetVersion sends the "v" mongorestore always sends).
	models := []mongo.IndexModel{
		{Keys: bson.D{{Key: "city", Value: 1}}, Options: options.Index().SetName("plain").SetVersion(2)},
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetName("unique").SetUnique(true)},
		{Keys: bson.D{{Key: "city", Value: 1}, {Key: "price", Value: -1}}, Options: options.Index().SetName("compound")},
		{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetName("ttl").SetExpireAfterSeconds(3600)},
		{Keys: bson.D{{Key: "price", Value: 1}}, Options: options.Index().SetName("partial").SetUnique(true).
			SetPartialFilterExpression(bson.D{{Key: "price", Value: bson.D{{Key: "$gt", Value: 100}}}})},
		{Keys: bson.D{{Key: "loc", Value: "2dsphere"}}, Options: options.Index().SetName("geo")},
		{Keys: bson.D{{Key: "nick", Value: 1}}, Options: options.Index().SetName("sparse").SetSparse(true).SetUnique(true)},
	}
	if _, err := coll.Indexes().CreateMany(ctx, models); err != nil {
		t.Fatalf("createIndexes through the driver: %v", err)
	}
	// What mongorestore sends: the spec with v and background.
	if err := c.Database("app").RunCommand(ctx, bson.D{{Key: "createIndexes", Value: "listings"}, {Key: "indexes", Value: bson.A{
		bson.D{{Key: "v", Value: 2}, {Key: "key", Value: bson.D{{Key: "host", Value: 1}}}, {Key: "name", Value: "restored"}, {Key: "background", Value: true}}}}}).Err(); err != nil {
		t.Fatalf("createIndexes with v and background: %v", err)
	}
	want := []string{"_id_", "plain", "unique", "compound", "ttl", "partial", "geo", "sparse", "restored"}
	for _, m := range rs.Members {
		dc := direct(t, m.Host)
		waitFor(t, 10*time.Second, "every index listed on "+m.Host, func() bool {
			specs := indexSpecs(t, dc, "app", "listings")
			for _, n := range want {
				if specs[n] == nil {
					return false
				}
			}
			return true
		})
		specs := indexSpecs(t, dc, "app", "listings")
		for _, n := range want {
			if v, ok := specs[n].Lookup("v").AsInt64OK(); !ok || v != 2 {
				t.Errorf("%s: index %s shows v %v, want 2 as mongod: %s", m.Host, n, specs[n].Lookup("v"), specs[n])
			}
		}
		if specs["ttl"].Lookup("expireAfterSeconds").IsNumber() == false || specs["geo"].Lookup("key", "loc").StringValue() != "2dsphere" ||
			specs["partial"].Lookup("partialFilterExpression").Type == 0 || specs["unique"].Lookup("unique").Boolean() != true {
			t.Errorf("%s: full specs not kept: %v", m.Host, specs)
		}
	}
	// Replication did not stop: a w:majority write still returns.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := coll.InsertOne(wctx, bson.D{{Key: "_id", Value: 2}, {Key: "email", Value: "b@x"}}); err != nil {
		t.Fatalf("w:majority insert after the index builds: %v", err)
	}
	// The unique index is enforced: a duplicate email is refused with 11000.
	if _, err := coll.InsertOne(wctx, bson.D{{Key: "_id", Value: 3}, {Key: "email", Value: "b@x"}}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate email: %v, want E11000", err)
	}
}

func TestReappliedInsertsReplaceDocuments(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	// The secondary already holds the documents the next entries insert
	// (as after a rollback, or a batch applied before a stop cut it off):
	// written to its own storage behind the set's back, with stale content.
	p2 := rs.Members[1].Host
	behind := connectURI(t, s.Member(p2).FerretURI())
	var stale []any
	for i := 0; i < 10; i++ {
		stale = append(stale, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: "stale"}})
	}
	if _, err := behind.Database("app").Collection("orders").InsertMany(ctx, stale); err != nil {
		t.Fatal(err)
	}
	var fresh []any
	for i := 0; i < 20; i++ {
		fresh = append(fresh, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: "fresh"}})
	}
	if _, err := majority(c, "app").Collection("orders").InsertMany(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	sec := direct(t, p2).Database("app", options.Database().SetReadPreference(readpref.SecondaryPreferred())).Collection("orders")
	waitFor(t, 10*time.Second, "the secondary to apply the inserts over the documents it held", func() bool {
		n, err := sec.CountDocuments(ctx, bson.D{{Key: "v", Value: "fresh"}})
		return err == nil && n == 20
	})
	if n, _ := sec.CountDocuments(ctx, bson.D{}); n != 20 {
		t.Fatalf("secondary holds %d documents, want 20", n)
	}
}

func TestUnappliableEntryBacksOffAndIsReported(t *testing.T) {
	rs := twoSite(t)
	s, logs := startLoggedSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	coll := majority(c, "app").Collection("users")
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	p2 := rs.Members[1].Host
	waitFor(t, 10*time.Second, "the unique index on the secondary", func() bool { return len(indexSpecs(t, direct(t, p2), "app", "users")) == 2 })
	// A conflicting document on one secondary only: the primary's insert
	// cannot be applied there.
	behind := connectURI(t, s.Member(p2).FerretURI()).Database("app").Collection("users")
	if _, err := behind.InsertOne(ctx, bson.D{{Key: "_id", Value: "intruder"}, {Key: "email", Value: "a@x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "u1"}, {Key: "email", Value: "a@x"}}); err != nil {
		t.Fatal(err)
	}
	admin := direct(t, p2)
	var self bson.Raw
	waitFor(t, 10*time.Second, "the stuck member to report itself RECOVERING", func() bool {
		self = memberStatus(t, admin, p2)
		return self.Lookup("stateStr").StringValue() == "RECOVERING"
	})
	if msg := self.Lookup("infoMessage").StringValue(); !strings.Contains(msg, "app.users") || !strings.Contains(msg, "E11000") {
		t.Errorf("infoMessage %q: want the entry's namespace and the error", msg)
	}
	primary := direct(t, s.Primary(rs.Name))
	if msg := memberStatus(t, primary, p2).Lookup("lastHeartbeatMessage").StringValue(); !strings.Contains(msg, "cannot apply") {
		t.Errorf("primary's view of %s: lastHeartbeatMessage %q", p2, msg)
	}
	time.Sleep(3 * time.Second) // retries go on, with a backoff, unlogged
	if n := logs.count("cannot apply oplog entries"); n != 1 {
		t.Errorf("the failure was logged %d times in 3 s of retries, want once", n)
	}
	// The conflict removed, the member applies again and is SECONDARY.
	if _, err := behind.DeleteOne(ctx, bson.D{{Key: "_id", Value: "intruder"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the member to apply again", func() bool {
		st := memberStatus(t, admin, p2)
		return st.Lookup("stateStr").StringValue() == "SECONDARY" && st.Lookup("infoMessage").StringValue() == ""
	})
	n, err := admin.Database("app", options.Database().SetReadPreference(readpref.SecondaryPreferred())).Collection("users").CountDocuments(ctx, bson.D{{Key: "_id", Value: "u1"}})
	if err != nil || n != 1 {
		t.Fatalf("u1 on the recovered member: %d (%v)", n, err)
	}
}

// memberStatus is host's entry in replSetGetStatus as c's member sees it.
func memberStatus(t *testing.T, c *mongo.Client, host string) bson.Raw {
	t.Helper()
	st := runCmd(t, c, bson.D{{Key: "replSetGetStatus", Value: 1}})
	vals, _ := st.Lookup("members").Array().Values()
	for _, v := range vals {
		if d := v.Document(); d.Lookup("name").StringValue() == host {
			return d
		}
	}
	t.Fatalf("%s not in replSetGetStatus: %s", host, st)
	return nil
}

func connectURI(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func TestInitiateWithoutVersion(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	doc := initiateDoc(rs)
	var noVersion bson.D
	for _, e := range doc {
		if e.Key != "version" {
			noVersion = append(noVersion, e)
		}
	}
	c := direct(t, rs.Members[0].Host)
	if err := c.Database("admin").RunCommand(context.Background(), bson.D{{Key: "replSetInitiate", Value: noVersion}}).Err(); err != nil {
		t.Fatalf("replSetInitiate without version (the manual's example): %v", err)
	}
	waitFor(t, 20*time.Second, "a primary", func() bool { return s.Primary(rs.Name) != "" })
	cfg := runCmd(t, direct(t, s.Primary(rs.Name)), bson.D{{Key: "replSetGetConfig", Value: 1}})
	if v, _ := cfg.Lookup("config", "version").AsInt64OK(); v != 1 {
		t.Fatalf("config version %d, want 1", v)
	}
	// An explicit version other than 1 is still refused, as by mongod.
	rs2 := twoSite(t)
	s2 := startSim(t, rs2)
	_ = s2
	bad := initiateDoc(rs2)
	for i := range bad {
		if bad[i].Key == "version" {
			bad[i].Value = 2
		}
	}
	err := direct(t, rs2.Members[0].Host).Database("admin").RunCommand(context.Background(), bson.D{{Key: "replSetInitiate", Value: bad}}).Err()
	if ce := cmdError(err); ce.Code != 93 || !strings.Contains(ce.Message, "version 1") {
		t.Fatalf("initiate with version 2: %v, want 93 naming version 1", err)
	}
}
