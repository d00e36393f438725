package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// rsWorld is the setup the restore-safety findings were made on: a
// one-member simulated set rs1 that an application uses, backed up by
// citadel to a filesystem storage, and restored into itself.
type rsWorld struct {
	host string // rs1's only member
	dir  string // the filesystem storage
	cfg  string
}

func rsStart(t *testing.T) *rsWorld {
	t.Helper()
	w := &rsWorld{host: testbed.FreeAddr(t), dir: t.TempDir()}
	rs := config.ReplicaSet{Name: "rs1", Members: []config.Member{{Host: w.host, Site: "paris"}}}
	rs.Settings.ElectionTimeout = config.Duration(bkElection)
	rs.Settings.HeartbeatInterval = config.Duration(bkHeartbeat)
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir(),
		ElectionTimeout: bkElection, HeartbeatInterval: bkHeartbeat})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	bkInitiate(t, sim, rs)
	var b strings.Builder
	b.WriteString("sites:\n  - name: paris\n  - name: lyon\nmongodb:\n  connect_timeout: 30s\nreplica_sets:\n  - name: rs1\n")
	fmt.Fprintf(&b, "    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n      - {host: %q, site: paris}\n", bkElection, bkHeartbeat, w.host)
	fmt.Fprintf(&b, "storages:\n  - name: local\n    site: paris\n    filesystem: {path: %q}\n", w.dir)
	b.WriteString("backups:\n  - name: nightly\n    replica_set: rs1\n    storage: local\n    schedule: \"0 2 * * *\"\n")
	b.WriteString("    retention: {daily: 7}\n    source: {allow_primary: true}\n")
	w.cfg = filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(w.cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// client connects to rs1 through discovery.
func (w *rsWorld) client(t *testing.T) *mongo.Client {
	c, err := mongo.Connect(options.Client().SetHosts([]string{w.host}).SetReplicaSet("rs1").SetTimeout(2 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// citadel runs the binary with the world's config, logging what it printed.
func (w *rsWorld) citadel(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := citadel(t, nil, append([]string{"--config", w.cfg}, args...)...)
	t.Logf("$ citadel %s → exit %d\n%s%s", strings.Join(args, " "), code, bkTrim(out), bkTrim(errOut))
	return code, out, errOut
}

// backup runs `backup run` and returns the new backup's id.
func (w *rsWorld) backup(t *testing.T) string {
	t.Helper()
	code, out, _ := w.citadel(t, "-o", "json", "backup", "run")
	if code != 0 {
		t.Fatalf("backup run: exit %d", code)
	}
	var res struct{ Backup struct{ ID string } }
	bkJSON(t, out, &res)
	return res.Backup.ID
}

// rsFill inserts n documents tagged tag into coll (w:majority).
func rsFill(t *testing.T, coll *mongo.Collection, tag string, n int) {
	t.Helper()
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("%s-%04d", tag, i)}, {Key: "tag", Value: tag}, {Key: "pad", Value: strings.Repeat("p", 100)}}
	}
	if _, err := coll.InsertMany(context.Background(), docs); err != nil {
		t.Fatalf("insert into %s: %v", coll.Name(), err)
	}
}

// rsCount counts documents of coll matching filter.
func rsCount(t *testing.T, coll *mongo.Collection, filter bson.D) int64 {
	t.Helper()
	n, err := coll.CountDocuments(context.Background(), filter)
	if err != nil {
		t.Fatalf("count %s: %v", coll.Name(), err)
	}
	return n
}

// rsCollections lists the collections of a database of the target.
func rsCollections(t *testing.T, c *mongo.Client, db string) []string {
	t.Helper()
	names, err := c.Database(db).ListCollectionNames(context.Background(), bson.D{})
	if err != nil {
		t.Fatalf("list collections of %s: %v", db, err)
	}
	return names
}
