package mongosim

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

const (
	testElection  = 600 * time.Millisecond
	testHeartbeat = 100 * time.Millisecond
)

// twoSite returns a four-member two-site set on free loopback ports:
// p1 (priority 2), p2 in Paris; l1 (priority 0.5) and a hidden l2 in Lyon.
func twoSite(t testing.TB) config.ReplicaSet {
	pri := func(f float64) *float64 { return &f }
	zero := 0
	rs := config.ReplicaSet{Name: "rs0", Members: []config.Member{
		{Host: testbed.FreeAddr(t), Site: "paris", Priority: pri(2), Tags: map[string]string{"site": "paris"}},
		{Host: testbed.FreeAddr(t), Site: "paris", Tags: map[string]string{"site": "paris"}},
		{Host: testbed.FreeAddr(t), Site: "lyon", Priority: pri(0.5), Tags: map[string]string{"site": "lyon"}},
		{Host: testbed.FreeAddr(t), Site: "lyon", Hidden: true, Priority: pri(0), Votes: &zero, Tags: map[string]string{"site": "lyon", "role": "backup"}},
	}}
	rs.Settings.ElectionTimeout = config.Duration(testElection)
	rs.Settings.HeartbeatInterval = config.Duration(testHeartbeat)
	return rs
}

func startSim(t testing.TB, sets ...config.ReplicaSet) *Sim {
	t.Helper()
	var logger *slog.Logger
	if os.Getenv("MONGOSIM_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := Start(context.Background(), Options{Sets: sets, DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		testbed.Unavailable(t, "mongosim (embedded FerretDB)", err)
	}
	t.Cleanup(s.Close)
	return s
}

// initiateDoc is the replSetInitiate config for a citadel replica set.
func initiateDoc(rs config.ReplicaSet) bson.D {
	members := bson.A{}
	for i, m := range rs.Members {
		d := bson.D{{Key: "_id", Value: i}, {Key: "host", Value: m.Host}, {Key: "priority", Value: m.EffectivePriority()},
			{Key: "votes", Value: m.EffectiveVotes()}}
		if m.Hidden {
			d = append(d, bson.E{Key: "hidden", Value: true})
		}
		if m.Arbiter {
			d = append(d, bson.E{Key: "arbiterOnly", Value: true})
		}
		tags := bson.D{}
		for _, k := range sortedKeys(m.Tags) {
			tags = append(tags, bson.E{Key: k, Value: m.Tags[k]})
		}
		d = append(d, bson.E{Key: "tags", Value: tags})
		members = append(members, d)
	}
	return bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: 1}, {Key: "members", Value: members},
		{Key: "settings", Value: bson.D{{Key: "electionTimeoutMillis", Value: rs.Settings.ElectionTimeout.D().Milliseconds()},
			{Key: "heartbeatIntervalMillis", Value: rs.Settings.HeartbeatInterval.D().Milliseconds()}}}}
}

func direct(t testing.TB, host string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + host + "/?directConnection=true").
		SetReadPreference(readpref.PrimaryPreferred()).SetTimeout(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func setClient(t testing.TB, rs config.ReplicaSet, opts ...*options.ClientOptions) *mongo.Client {
	t.Helper()
	var hosts []string
	for _, m := range rs.Members {
		hosts = append(hosts, m.Host)
	}
	o := options.Client().ApplyURI("mongodb://" + strings.Join(hosts, ",") + "/?replicaSet=" + rs.Name).SetTimeout(30 * time.Second)
	c, err := mongo.Connect(append([]*options.ClientOptions{o}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// initiate runs replSetInitiate on the first member and waits for it to
// be primary with every data member a secondary.
func initiate(t testing.TB, s *Sim, rs config.ReplicaSet) {
	t.Helper()
	ctx := context.Background()
	if err := direct(t, rs.Members[0].Host).Database("admin").RunCommand(ctx, bson.D{{Key: "replSetInitiate", Value: initiateDoc(rs)}}).Err(); err != nil {
		t.Fatalf("replSetInitiate: %v", err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("state: %+v", s.State())
		}
	}()
	waitFor(t, 20*time.Second, "a primary and secondaries", func() bool {
		if s.Primary(rs.Name) == "" {
			return false
		}
		for _, st := range s.State() {
			if st.Set == rs.Name && st.State != "PRIMARY" && st.State != "SECONDARY" && st.State != "ARBITER" {
				return false
			}
		}
		return true
	})
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
