package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// TestIngestIntoReplicaSet loads every dataset's fixtures twice into a
// four-member two-site simulated set, as a user's deployment is: the
// loaders build their indexes after the load and write with w:majority,
// so a set whose secondaries cannot replay an index build hangs here.
func TestIngestIntoReplicaSet(t *testing.T) {
	rs := config.ReplicaSet{Name: "main"}
	two, half, zero := 2.0, 0.5, 0
	hosts := map[string]string{}
	for _, n := range []string{"p1", "p2", "l1", "lb"} {
		hosts[n] = testbed.FreeAddr(t)
		m := config.Member{Host: hosts[n], Site: map[byte]string{'p': "paris", 'l': "lyon"}[n[0]]}
		switch n {
		case "p1":
			m.Priority = &two
		case "l1":
			m.Priority = &half
		case "lb":
			m.Hidden, m.Priority, m.Votes = true, new(float64), &zero
		}
		rs.Members = append(rs.Members, m)
	}
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir(),
		ElectionTimeout: bkElection, HeartbeatInterval: bkHeartbeat})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	bkInitiate(t, sim, rs)
	uri := fmt.Sprintf("mongodb://%s,%s,%s/?replicaSet=main", hosts["p1"], hosts["p2"], hosts["l1"])
	env := []string{"CITADEL_INGEST_URI=" + uri, "CITADEL_CONFIG=/nonexistent/citadel.yaml", "CITADEL_PSEUDONYM_KEY=an e2e pseudonymisation key"}

	start := time.Now()
	loadTwice(t, env, 18, 8, "airbnb", "--city", "paris", fixture(t, "ingest/airbnb/testdata/listings-paris-2024.csv"))
	loadTwice(t, env, 21, 5, "dvf", fixture(t, "ingest/dvf/testdata/valeursfoncieres-2022.txt"), fixture(t, "ingest/dvf/testdata/valeursfoncieres-2019-latin1.txt"))
	loadTwice(t, env, 31, 4, "edstats", fixture(t, "ingest/edstats/testdata/edstats"))
	books, err := weather.FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	loadTwice(t, env, 32, 7, "weather", "--infoclimat", fixture(t, "ingest/weather/testdata/infoclimat-hdf-2024-10.json"),
		"--wunderground", books["ILAMAD25"], "--station", "ILAMAD25", "--wunderground", books["IICHTE19"], "--station", "IICHTE19")
	sales, logs, err := supermarket.FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	loadTwice(t, env, 42, 11, "supermarket", "--logs", logs, sales)
	t.Logf("five datasets loaded twice into a four-member set in %s", time.Since(start).Round(time.Millisecond))

	// Every member, the hidden one included, holds the same collections,
	// documents and indexes as the primary.
	want := memberCatalog(t, hosts["p1"])
	if len(want) == 0 {
		t.Fatal("the primary holds no collection")
	}
	for _, n := range []string{"p2", "l1", "lb"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := memberCatalog(t, hosts[n])
			if fmt.Sprint(got) == fmt.Sprint(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s differs from the primary:\n got %v\nwant %v", n, got, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// memberCatalog maps db.coll to "documents/indexes" as one member holds them.
func memberCatalog(t *testing.T, host string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := bkDirect(t, host)
	dbs, err := c.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		t.Fatalf("list databases on %s: %v", host, err)
	}
	out := map[string]string{}
	for _, db := range dbs {
		if db == "admin" || db == "local" || db == "config" {
			continue
		}
		d := c.Database(db, options.Database().SetReadPreference(readpref.SecondaryPreferred()))
		names, err := d.ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Fatalf("list collections of %s on %s: %v", db, host, err)
		}
		for _, coll := range names {
			n, err := d.Collection(coll).CountDocuments(ctx, bson.D{})
			if err != nil {
				t.Fatalf("count %s.%s on %s: %v", db, coll, host, err)
			}
			cur, err := d.Collection(coll).Indexes().List(ctx)
			if err != nil {
				t.Fatalf("list indexes of %s.%s on %s: %v", db, coll, host, err)
			}
			var idx []bson.Raw
			if err := cur.All(ctx, &idx); err != nil {
				t.Fatal(err)
			}
			out[db+"."+coll] = fmt.Sprintf("%d/%d", n, len(idx))
		}
	}
	return out
}
