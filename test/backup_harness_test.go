package test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// Backup tests load the two cores hard: slower elections than the cluster
// tests keep a busy primary from being voted out mid-backup.
const (
	bkElection  = 5 * time.Second
	bkHeartbeat = 500 * time.Millisecond
)

// bkWorld is the backup test bed: a two-site replica set "main" (p1, p2 in
// Paris; l1 and the hidden lb in Lyon), a one-member scratch set to restore
// into, a real MinIO with a bucket per site, and a citadel config.
type bkWorld struct {
	sim     *mongosim.Sim
	host    map[string]string
	minio   *testbed.MinIO
	cfg     string
	env     []string
	lyon    storage.Storage // the backup bucket, read directly by tests
	scratch string          // host of the one-member scratch set
}

// bkOptions vary the config.
type bkOptions struct {
	encryption string // YAML of backups[0].encryption, or ""
	slice      string // pitr slice, default 10s
	drills     string // YAML of a drills: section, or ""
	oplogMax   int    // each member's oplog cap in bytes, default 512 MiB
}

func bkStart(t *testing.T, o bkOptions) *bkWorld {
	t.Helper()
	w := &bkWorld{host: map[string]string{}}
	main := config.ReplicaSet{Name: "main"}
	main.Settings.ElectionTimeout = config.Duration(bkElection)
	main.Settings.HeartbeatInterval = config.Duration(bkHeartbeat)
	two, half, zero := 2.0, 0.5, 0
	for _, n := range []string{"p1", "p2", "l1", "lb"} {
		w.host[n] = testbed.FreeAddr(t)
		m := config.Member{Host: w.host[n], Site: map[byte]string{'p': "paris", 'l': "lyon"}[n[0]]}
		switch n {
		case "p1":
			m.Priority = &two
		case "l1":
			m.Priority = &half
		case "lb":
			m.Hidden, m.Priority, m.Votes = true, new(float64), &zero
		}
		main.Members = append(main.Members, m)
	}
	w.scratch = testbed.FreeAddr(t)
	scratch := config.ReplicaSet{Name: "scratch", Members: []config.Member{{Host: w.scratch, Site: "paris"}}}
	scratch.Settings = main.Settings
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{main, scratch}, DataDir: t.TempDir(),
		ElectionTimeout: bkElection, HeartbeatInterval: bkHeartbeat, OplogMaxBytes: cmp.Or(o.oplogMax, 512<<20)})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	w.sim = sim
	bkInitiate(t, sim, main)
	bkInitiate(t, sim, scratch)
	w.minio = testbed.StartMinIOT(t)
	for _, bucket := range []string{"backups-lyon", "backups-paris"} {
		st, err := s3.New(s3.Config{Endpoint: w.minio.Endpoint, Bucket: bucket, Prefix: "citadel", AccessKey: w.minio.AccessKey, SecretKey: w.minio.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		// MinIO may answer "Server not initialized yet" just after it is ready.
		for try := 0; ; try++ {
			err := st.CreateBucket(context.Background(), false)
			if err == nil {
				break
			}
			if try == 50 {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if bucket == "backups-lyon" {
			w.lyon = st
		}
	}
	w.env = []string{"BK_AK=" + w.minio.AccessKey, "BK_SK=" + w.minio.SecretKey,
		"CITADEL_S3_ACCESS_KEY=" + w.minio.AccessKey, "CITADEL_S3_SECRET_KEY=" + w.minio.SecretKey}
	w.cfg = w.writeConfig(t, main, o)
	return w
}

func (w *bkWorld) writeConfig(t *testing.T, main config.ReplicaSet, o bkOptions) string {
	var b strings.Builder
	b.WriteString("sites:\n  - name: paris\n  - name: lyon\nmongodb:\n  connect_timeout: 30s\nreplica_sets:\n  - name: main\n")
	fmt.Fprintf(&b, "    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n", bkElection, bkHeartbeat)
	for _, m := range main.Members {
		fmt.Fprintf(&b, "      - {host: %q, site: %s, priority: %v, votes: %d, hidden: %v}\n", m.Host, m.Site, m.EffectivePriority(), m.EffectiveVotes(), m.Hidden)
	}
	fmt.Fprintf(&b, "  - name: scratch\n    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n      - {host: %q, site: paris}\n",
		bkElection, bkHeartbeat, w.scratch)
	b.WriteString("storages:\n")
	for _, s := range []struct{ name, site, bucket string }{{"minio-lyon", "lyon", "backups-lyon"}, {"minio-paris", "paris", "backups-paris"}} {
		fmt.Fprintf(&b, "  - name: %s\n    site: %s\n    s3: {endpoint: %q, bucket: %s, prefix: citadel, access_key_env: BK_AK, secret_key_env: BK_SK}\n", s.name, s.site, w.minio.Endpoint, s.bucket)
	}
	slice := o.slice
	if slice == "" {
		slice = "10s"
	}
	fmt.Fprintf(&b, "backups:\n  - name: nightly\n    replica_set: main\n    storage: minio-lyon\n    schedule: \"0 2 * * *\"\n    copy_to: [minio-paris]\n")
	fmt.Fprintf(&b, "    retention: {daily: 7, weekly: 4}\n    pitr: {enabled: true, slice: %s}\n    source: {prefer: hidden}\n    parallelism: 4\n", slice)
	if o.encryption != "" {
		b.WriteString(o.encryption)
	}
	b.WriteString(o.drills)
	path := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func bkInitiate(t *testing.T, sim *mongosim.Sim, rs config.ReplicaSet) {
	t.Helper()
	members := bson.A{}
	for i, m := range rs.Members {
		members = append(members, bson.D{{Key: "_id", Value: i}, {Key: "host", Value: m.Host}, {Key: "priority", Value: m.EffectivePriority()},
			{Key: "votes", Value: m.EffectiveVotes()}, {Key: "hidden", Value: m.Hidden}})
	}
	doc := bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: 1}, {Key: "members", Value: members},
		{Key: "settings", Value: bson.D{{Key: "electionTimeoutMillis", Value: bkElection.Milliseconds()}, {Key: "heartbeatIntervalMillis", Value: bkHeartbeat.Milliseconds()}}}}
	c := bkDirect(t, rs.Members[0].Host)
	if err := c.Database("admin").RunCommand(context.Background(), bson.D{{Key: "replSetInitiate", Value: doc}}).Err(); err != nil {
		t.Fatalf("replSetInitiate %s: %v", rs.Name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := sim.Primary(rs.Name) != ""
		for _, st := range sim.State() {
			if st.Set == rs.Name && st.State != "PRIMARY" && st.State != "SECONDARY" {
				ready = false
			}
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica set %s: no primary and secondaries after 30s", rs.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func bkDirect(t *testing.T, host string) *mongo.Client {
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + host + "/?directConnection=true").SetReadPreference(readpref.PrimaryPreferred()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// set connects to a set through discovery (writes go to the primary).
func (w *bkWorld) set(t *testing.T, name string) *mongo.Client {
	hosts := []string{w.scratch}
	if name == "main" {
		hosts = []string{w.host["p1"], w.host["p2"], w.host["l1"]}
	}
	c, err := mongo.Connect(options.Client().SetHosts(hosts).SetReplicaSet(name).SetTimeout(2 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// citadel runs the citadel binary with the world's config and credentials.
func (w *bkWorld) citadel(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	start := time.Now()
	code, out, errOut := citadel(t, w.env, append([]string{"--config", w.cfg}, args...)...)
	t.Logf("$ citadel %s → exit %d in %s\n%s%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), bkTrim(out), bkTrim(errOut))
	return code, out, errOut
}

func bkTrim(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…\n"
	}
	return s
}

// bkJSON decodes a command's -o json output.
func bkJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %q: %v", bkTrim(out), err)
	}
}

// waitApplied waits until every member of main holds n documents in
// db.coll (mongosim members answer slowly while they apply a big batch).
func (w *bkWorld) waitApplied(t *testing.T, db, coll string, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for _, name := range []string{"p1", "p2", "l1", "lb"} {
		c := bkDirect(t, w.host[name])
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			got, err := c.Database(db).Collection(coll).CountDocuments(ctx, bson.D{})
			cancel()
			if err == nil && got == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has %d documents in %s.%s, want %d (%v)", name, got, db, coll, n, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}
