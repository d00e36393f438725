package test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/oplog"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/drill/probes"
	"github.com/noscites/citadel/ingest/fixtureset"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// TestDrillProbesRecordTiedToEnd: probes.Record, over a member whose
// oplog after the backup's end holds no write to a dataset, records its
// answers (only their digests for an encrypted backup); after a write to the dataset's collection past that end (what a
// write during the probe pass leaves in the oplog), the dataset's answers
// are not recorded and Skipped names the write; a write elsewhere in the
// database leaves them recorded.
func TestDrillProbesRecordTiedToEnd(t *testing.T) {
	host := testbed.FreeAddr(t)
	rs := config.ReplicaSet{Name: "one", Members: []config.Member{{Host: host, Site: "paris"}}}
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir(),
		ElectionTimeout: bkElection, HeartbeatInterval: bkHeartbeat})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	bkInitiate(t, sim, rs)
	c := bkDirect(t, host)
	db := c.Database("data", options.Database().SetWriteConcern(writeconcern.Majority()))
	fixtureset.Load(t, db, t.TempDir(), "airbnb")

	m := &manifest.Manifest{ReplicaSet: "one", Collections: []manifest.Collection{{DB: "data", Name: "listings", Type: "collection"}}}
	end := func() {
		pos, err := oplog.Hello(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		m.End = pos.Last
	}
	record := func(what string, digestsOnly bool) manifest.DatasetProbes {
		t.Helper()
		m.Probes = nil
		probes.Record(context.Background(), c, m, digestsOnly, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if len(m.Probes) != 1 || m.Probes[0].Dataset != "airbnb" || m.Probes[0].Database != "data" {
			t.Fatalf("%s: probes %+v", what, m.Probes)
		}
		t.Logf("%s: %d answers in %s, skipped %q", what, len(m.Probes[0].Answers), m.Probes[0].Duration, m.Probes[0].Skipped)
		return m.Probes[0]
	}

	end()
	p := record("no write after the end", false)
	if p.Skipped != "" || len(p.Answers) == 0 {
		t.Fatalf("answers not recorded: %+v", p)
	}
	// An encrypted backup's manifest (in clear) keeps the digests only.
	for i, a := range record("encrypted backup", true).Answers {
		if a.Rows != nil || a.SHA256 != p.Answers[i].SHA256 || p.Answers[i].Rows == nil {
			t.Errorf("digest-only answer %s: rows %v, sha256 %s (clear: %s)", a.Name, a.Rows, a.SHA256, p.Answers[i].SHA256)
		}
	}
	if _, err := db.Collection("notes").InsertOne(context.Background(), bson.D{{Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if p := record("a write to another collection", false); p.Skipped != "" || len(p.Answers) == 0 {
		t.Fatalf("a write outside the dataset skipped it: %+v", p)
	}
	if _, err := db.Collection("listings").InsertOne(context.Background(), bson.D{{Key: "city", Value: "paris"}}); err != nil {
		t.Fatal(err)
	}
	if p := record("a write to the listings", false); len(p.Answers) != 0 || !strings.Contains(p.Skipped, "data.listings was written") {
		t.Fatalf("answers recorded after a write to the dataset past the end: %+v", p)
	}
}
