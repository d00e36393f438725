package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// recipeSteps are the marked shell blocks of docs/restore-without-citadel.md,
// in the order the document gives them: the test runs exactly these.
var recipeSteps = []string{"check", "decrypt", "decompress", "set-aside", "pitr-choose", "pitr-decode"}

// TestRestoreWithoutCitadelRecipe runs docs/restore-without-citadel.md: an
// encrypted backup of a replica set and the PITR slices around it (one
// straddling the backup's end) are decoded by the document's own shell
// blocks, with the real jq, sha256sum, age and zstd; then every decoded
// document and oplog entry is compared, byte for byte, with what the
// source server holds. Only the downloads (mc) and mongorestore, which
// does not exist here, are left out.
func TestRestoreWithoutCitadelRecipe(t *testing.T) {
	requireRecipeTools(t)
	script := recipeScript(t)
	r := recipeBackup(t)

	// The downloads of steps 1 and PITR 2, as mc would make them.
	work := t.TempDir()
	copyTree(t, filepath.Join(r.store, "main", r.id), filepath.Join(work, "dump"))
	copyTree(t, filepath.Join(r.store, "main", "pitr"), filepath.Join(work, "pitr"))
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "IDENTITY="+r.identity)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the recipe's commands failed: %v\n%s\nscript:\n%s", err, b, script)
	}

	m := readRecipeManifest(t, filepath.Join(r.store, "main", r.id, "manifest.json"))
	chosen := straddledSlices(t, filepath.Join(r.store, "main", "pitr"), m.End.TS)
	direct := bkDirect(t, r.w.host["m1"])
	checkDump(t, filepath.Join(work, "dump"), r.want)
	checkOplog(t, "dump/oplog.bson (the backup's oplog)", filepath.Join(work, "dump", "oplog.bson"), direct, m.Start.TS, true, m.End.TS)
	checkOplog(t, "replay/oplog.bson (the PITR slices)", filepath.Join(work, "replay", "oplog.bson"), direct, chosen[0].After, false, chosen[len(chosen)-1].Upper)
	replayed := map[string]bool{}
	for _, e := range bsonFile(t, filepath.Join(work, "replay", "oplog.bson")) {
		if id, ok := e.Lookup("o", "_id").StringValueOK(); ok {
			replayed[id] = true
		}
	}
	if !replayed["b-000"] || !replayed["b-019"] || !replayed["a-000"] {
		t.Errorf("the replayed slices miss writes made after the backup's end (b-000 %v, b-019 %v, delete of a-000 %v)",
			replayed["b-000"], replayed["b-019"], replayed["a-000"])
	}
}

// requireRecipeTools skips the test when a command-line tool of the
// recipe is missing; under CI=true it fails instead.
func requireRecipeTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "jq", "sha256sum", "age", "zstd"} {
		if _, err := exec.LookPath(tool); err != nil {
			if testbed.InCI() {
				t.Fatalf("%s is not installed (CI=true: `make deps` installs the recipe's tools)", tool)
			}
			t.Skipf("%s is not installed: `make deps` installs it (skipped outside CI)", tool)
		}
	}
}

// recipeRun is an encrypted backup in a directory storage, with PITR
// slices before and after it, and the source's documents at its end.
type recipeRun struct {
	w               *bkWorld
	store, identity string
	id              string
	want            map[string][]bson.Raw
}

// recipeBackup writes a backup of a seeded set with citadel, encrypted
// to a new age key, between two runs of the PITR archiver: the second
// run's first slice starts where the first stopped, before the backup's
// end, so it straddles that end.
func recipeBackup(t *testing.T) recipeRun {
	t.Helper()
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	r := recipeRun{store: t.TempDir(), identity: filepath.Join(keys, "identity.txt")}
	recipients := filepath.Join(keys, "recipients.txt")
	if err := os.WriteFile(r.identity, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recipients, []byte(id.Recipient().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.w = bkSmallWorld(t, fmt.Sprintf("  - name: nas\n    site: lyon\n    filesystem: {path: %q}\n", r.store),
		fmt.Sprintf("    storage: nas\n    encryption: {recipients_file: %q}\n", recipients))
	src := r.w.smallSet(t)
	seedRecipe(t, src)

	// A first archiver run commits a slice before the backup exists.
	r.w.archiveUntil(t, r.store, 1, func(i int) { bkInsert(t, src, "opendata", "listings", fmt.Sprintf("w0-%d", i), 1) })
	bkInsert(t, src, "opendata", "listings", "a", 20) // after that slice, before the backup
	if _, err := src.Database("opendata").Collection("stations").UpdateOne(ctx, bson.D{{Key: "_id", Value: "st-3"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "alt", Value: 120.5}}}}); err != nil {
		t.Fatal(err)
	}
	r.want = recipeSource(t, src)
	code, out, _ := r.w.citadel(t, "-o", "json", "backup", "run")
	if code != 0 {
		t.Fatalf("backup run: exit %d", code)
	}
	var run struct{ Backup struct{ ID string } }
	bkJSON(t, out, &run)
	r.id = run.Backup.ID

	// Writes after the backup, then the archiver again.
	bkInsert(t, src, "opendata", "listings", "b", 20)
	if _, err := src.Database("opendata").Collection("listings").DeleteOne(ctx, bson.D{{Key: "_id", Value: "a-000"}}); err != nil {
		t.Fatal(err)
	}
	r.w.archiveUntil(t, r.store, 3, func(i int) { bkInsert(t, src, "opendata", "listings", fmt.Sprintf("c-%d", i), 1) })
	return r
}

// recipeScript extracts the marked blocks of the document into one bash
// script that stops at the first failing command and says which step.
func recipeScript(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(fixture(t, "docs/restore-without-citadel.md"))
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`^<!-- recipe: ([a-z-]+) -->$`)
	var names []string
	script := "set -euo pipefail\n"
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		mk := marker.FindStringSubmatch(sc.Text())
		if mk == nil {
			continue
		}
		if !sc.Scan() || sc.Text() != "```sh" {
			t.Fatalf("docs/restore-without-citadel.md: the marker of step %s is not followed by a ```sh block", mk[1])
		}
		names = append(names, mk[1])
		script += fmt.Sprintf("echo '### recipe step %s' >&2\n", mk[1])
		for sc.Scan() && sc.Text() != "```" {
			script += sc.Text() + "\n"
		}
	}
	if !slices.Equal(names, recipeSteps) {
		t.Fatalf("docs/restore-without-citadel.md marks the steps %v, want %v", names, recipeSteps)
	}
	return script
}

// bkSmallWorld is a one-member replica set "main" (a pure data path: no
// replication behaviour is under test) with a citadel config holding the
// given storages and one backup configuration "nightly" of main (extra:
// its storage and other fields, indented four spaces).
func bkSmallWorld(t *testing.T, storages, extra string) *bkWorld {
	t.Helper()
	w := &bkWorld{host: map[string]string{"m1": testbed.FreeAddr(t)}}
	set := config.ReplicaSet{Name: "main", Members: []config.Member{{Host: w.host["m1"], Site: "lyon"}}}
	set.Settings.ElectionTimeout = config.Duration(bkElection)
	set.Settings.HeartbeatInterval = config.Duration(bkHeartbeat)
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{set}, DataDir: t.TempDir(),
		ElectionTimeout: bkElection, HeartbeatInterval: bkHeartbeat})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	w.sim = sim
	bkInitiate(t, sim, set)
	yaml := fmt.Sprintf("sites:\n  - name: paris\n  - name: lyon\nmongodb:\n  connect_timeout: 30s\nreplica_sets:\n  - name: main\n"+
		"    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n      - {host: %q, site: lyon}\n"+
		"storages:\n%sbackups:\n  - name: nightly\n    replica_set: main\n    schedule: \"0 2 * * *\"\n"+
		"    pitr: {enabled: true, slice: 10s}\n    source: {allow_primary: true}\n%s", bkElection, bkHeartbeat, w.host["m1"], storages, extra)
	w.cfg = filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(w.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// smallSet connects to the set of bkSmallWorld.
func (w *bkWorld) smallSet(t *testing.T) *mongo.Client {
	c, err := mongo.Connect(options.Client().SetHosts([]string{w.host["m1"]}).SetReplicaSet("main").SetTimeout(2 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

// archiveUntil runs `citadel backup pitr` until the storage holds n slice
// records, calling write(i) between polls so that there is something to
// archive, then stops it.
func (w *bkWorld) archiveUntil(t *testing.T, store string, n int, write func(i int)) {
	t.Helper()
	cmd := w.bkStartCitadel(t, "backup", "pitr", "--rs", "main")
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-done
	}
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; ; i++ {
		records, _ := filepath.Glob(filepath.Join(store, "main", "pitr", "*.json"))
		switch {
		case len(records) >= n:
			stop()
			return
		case time.Now().After(deadline):
			stop()
			t.Fatalf("%d slice records after 2 minutes, want %d", len(records), n)
		}
		select {
		case <-done:
			t.Fatalf("citadel backup pitr stopped with %d slice records, want %d", len(records), n)
		default:
		}
		write(i)
		time.Sleep(300 * time.Millisecond)
	}
}

// seedRecipe writes documents of the common BSON types, with indexes.
func seedRecipe(t *testing.T, c *mongo.Client) {
	t.Helper()
	ctx := context.Background()
	var listings, stations []any
	for i := range 300 {
		listings = append(listings, bson.D{{Key: "_id", Value: fmt.Sprintf("base-%03d", i)}, {Key: "city", Value: []string{"Paris", "Lyon"}[i%2]},
			{Key: "n", Value: int32(i)}, {Key: "big", Value: int64(i) << 40}, {Key: "price", Value: float64(i) / 7},
			{Key: "since", Value: bson.DateTime(1700000000000 + int64(i)*86400000)}, {Key: "superhost", Value: i%3 == 0},
			{Key: "host", Value: bson.D{{Key: "name", Value: fmt.Sprintf("hôte %d", i)}, {Key: "langs", Value: bson.A{"fr", "en"}}}},
			{Key: "oid", Value: bson.NewObjectIDFromTimestamp(time.Unix(1700000000+int64(i), 0))}, {Key: "license", Value: nil}})
	}
	for i := range 10 {
		stations = append(stations, bson.D{{Key: "_id", Value: fmt.Sprintf("st-%d", i)}, {Key: "alt", Value: float64(i * 10)}})
	}
	if _, err := c.Database("opendata").Collection("listings").InsertMany(ctx, listings); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Database("opendata").Collection("stations").InsertMany(ctx, stations); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Database("opendata").Collection("listings").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "city", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
}

// recipeSource reads every document of the source's collections.
func recipeSource(t *testing.T, c *mongo.Client) map[string][]bson.Raw {
	t.Helper()
	out := map[string][]bson.Raw{}
	for _, coll := range []string{"listings", "stations"} {
		cur, err := c.Database("opendata").Collection(coll).Find(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(context.Background()) {
			out["opendata."+coll] = append(out["opendata."+coll], slices.Clone(cur.Current))
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		cur.Close(context.Background())
	}
	return out
}

// recipeTS is an oplog timestamp as the manifest and slice records write it.
type recipeTS struct{ T, I uint32 }

func (a recipeTS) before(b recipeTS) bool { return a.T < b.T || a.T == b.T && a.I < b.I }

func (a recipeTS) bson() bson.Timestamp { return bson.Timestamp{T: a.T, I: a.I} }

type recipeManifest struct {
	Start, End struct{ TS recipeTS }
}

func readRecipeManifest(t *testing.T, path string) recipeManifest {
	t.Helper()
	var m recipeManifest
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type recipeSlice struct{ After, Upper recipeTS }

// straddledSlices returns the slices a restore from a backup ending at end
// replays (upper after end, as citadel's planner takes them), and checks
// that the first one straddles the end: the case the recipe once dropped.
func straddledSlices(t *testing.T, dir string, end recipeTS) []recipeSlice {
	t.Helper()
	records, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var chosen []recipeSlice
	for _, r := range records {
		var s recipeSlice
		b, err := os.ReadFile(r)
		if err == nil {
			err = json.Unmarshal(b, &s)
		}
		if err != nil {
			t.Fatal(err)
		}
		if end.before(s.Upper) {
			chosen = append(chosen, s)
		}
	}
	slices.SortFunc(chosen, func(a, b recipeSlice) int {
		if a.Upper.before(b.Upper) {
			return -1
		}
		return 1
	})
	if len(chosen) < 2 || !chosen[0].After.before(end) {
		t.Fatalf("slices after the backup's end %v: %+v; want at least two, the first straddling the end", end, chosen)
	}
	return chosen
}

// checkDump compares each decoded collection with the source's documents,
// byte for byte, and checks the metadata is canonical Extended JSON.
func checkDump(t *testing.T, dir string, want map[string][]bson.Raw) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(path, ".age") || strings.HasSuffix(path, ".zst")) {
			t.Errorf("an encrypted or compressed file remains: %s", path)
		}
		return err
	})
	for ns, docs := range want {
		db, coll, _ := strings.Cut(ns, ".")
		got := bsonFile(t, filepath.Join(dir, db, coll+".bson"))
		byID := map[string]bson.Raw{}
		for _, d := range got {
			byID[d.Lookup("_id").String()] = d
		}
		if len(got) != len(docs) || len(byID) != len(docs) {
			t.Errorf("%s: %d documents decoded (%d distinct), the source holds %d", ns, len(got), len(byID), len(docs))
		}
		for _, d := range docs {
			id := d.Lookup("_id").String()
			if g, ok := byID[id]; !ok || !bytes.Equal(g, d) {
				t.Errorf("%s: document %s decoded as %v, the source holds %v", ns, id, g, d)
			}
		}
		var meta struct {
			CollectionName string   `bson:"collectionName"`
			Indexes        []bson.M `bson:"indexes"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, db, coll+".metadata.json"))
		if err == nil {
			err = bson.UnmarshalExtJSON(raw, true, &meta)
		}
		if err != nil || meta.CollectionName != coll || len(meta.Indexes) == 0 {
			t.Errorf("%s.metadata.json: %+v (%v)\n%s", ns, meta, err, raw)
		}
	}
}

// checkOplog compares a decoded oplog file with the source's oplog entries
// from from (included or not) to to, byte for byte and in order.
func checkOplog(t *testing.T, what, path string, c *mongo.Client, from recipeTS, inclusive bool, to recipeTS) {
	t.Helper()
	op := "$gt"
	if inclusive {
		op = "$gte"
	}
	filter := bson.D{{Key: "ts", Value: bson.D{{Key: op, Value: from.bson()}, {Key: "$lte", Value: to.bson()}}}}
	cur, err := c.Database("local").Collection("oplog.rs").Find(context.Background(), filter, options.Find().SetBatchSize(5000))
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(context.Background())
	var want []bson.Raw
	for cur.Next(context.Background()) {
		want = append(want, slices.Clone(cur.Current))
	}
	got := bsonFile(t, path)
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%s: %d entries, the source's oplog has %d from %v to %v", what, len(got), len(want), from, to)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: entry %d is %v, the source's is %v", what, i, got[i], want[i])
		}
	}
}

// bsonFile splits a file of concatenated BSON documents.
func bsonFile(t *testing.T, path string) []bson.Raw {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	for len(b) > 0 {
		n := int(binary.LittleEndian.Uint32(b))
		if n < 5 || n > len(b) {
			t.Fatalf("%s: a document of %d bytes with %d left", path, n, len(b))
		}
		d := bson.Raw(b[:n])
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: document %d: %v", path, len(out), err)
		}
		out = append(out, d)
		b = b[n:]
	}
	return out
}

// copyTree copies a directory as `mc cp --recursive` downloads one.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-r", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -r %s %s: %v\n%s", from, to, err, out)
	}
}
