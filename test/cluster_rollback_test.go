package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/test/testbed"
)

// withBackupStorage gives every config written from now on a MinIO
// storage in Lyon and a nightly backup of main into it: where rejoin saves
// what the returning members will roll back.
func (w *world) withBackupStorage(t *testing.T) storage.Storage {
	t.Helper()
	m := testbed.StartMinIOT(t)
	st, err := s3.New(s3.Config{Endpoint: m.Endpoint, Bucket: "backups-lyon", Prefix: "citadel", AccessKey: m.AccessKey, SecretKey: m.SecretKey})
	must(t, err)
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
	t.Setenv("CL_E2E_AK", m.AccessKey)
	t.Setenv("CL_E2E_SK", m.SecretKey)
	w.extra += fmt.Sprintf("storages:\n  - name: minio-lyon\n    site: lyon\n    s3: {endpoint: %q, bucket: backups-lyon, prefix: citadel, access_key_env: CL_E2E_AK, secret_key_env: CL_E2E_SK}\n", m.Endpoint) +
		"backups:\n  - {name: nightly, replica_set: main, storage: minio-lyon, schedule: \"0 2 * * *\", retention: {daily: 7}}\n"
	return st
}

// docsByTag reads the documents of app.orders with a tag, as extended
// JSON keyed by _id.
func docsByTag(t *testing.T, c *mongo.Client, tag string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cur, err := c.Database("app").Collection("orders").Find(ctx, bson.D{{Key: "tag", Value: tag}})
	must(t, err)
	defer cur.Close(ctx)
	out := map[string]string{}
	for cur.Next(ctx) {
		out[cur.Current.Lookup("_id").String()] = cur.Current.String()
	}
	must(t, cur.Err())
	return out
}

// savedRollback reads the rollback index at where (a rejoin's
// rollback_saved_to) and each member's saved documents of app.orders, as
// extended JSON keyed by _id.
func savedRollback(t *testing.T, st storage.Storage, where string) (cluster.RollbackIndex, map[string]map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir, ok := strings.CutPrefix(where, strings.TrimSuffix(st.String(), "/")+"/")
	if !ok || !strings.Contains(dir, "main/rollback/") {
		t.Fatalf("saved to %q, want under %s/main/rollback/", where, st)
	}
	b, err := storage.ReadAll(ctx, st, dir+cluster.RollbackIndexName)
	must(t, err)
	var idx cluster.RollbackIndex
	must(t, json.Unmarshal(b, &idx))
	docs := map[string]map[string]string{}
	for _, m := range idx.Members {
		docs[m.Host] = map[string]string{}
		for _, c := range m.Collections {
			if c.DB+"."+c.Name != "app.orders" {
				t.Errorf("%s: saved %s.%s, want only app.orders", m.Host, c.DB, c.Name)
			}
			r, err := stream.Open(ctx, st, dir+c.Data.Key, stream.Encoding{Compressed: c.Data.Compressed, Encrypted: c.Data.Encrypted}, nil,
				stream.Expect{Size: c.Data.Size, SHA256: c.Data.SHA256})
			must(t, err)
			dr := stream.NewDocReader(r)
			for {
				d, err := dr.Next()
				if err == io.EOF {
					break
				}
				must(t, err)
				docs[m.Host][d.Lookup("_id").String()] = d.String()
			}
			must(t, r.Close())
			if int(dr.Count()) != c.Documents {
				t.Errorf("%s: index says %d documents, object holds %d", m.Host, c.Documents, dr.Count())
			}
		}
	}
	return idx, docs
}

// checkSavedRollback: each returning member's saved documents are exactly
// the writes Lyon never had.
func (w *world) checkSavedRollback(t *testing.T, st storage.Storage, where string, lost map[string]string, names ...string) {
	t.Helper()
	idx, saved := savedRollback(t, st, where)
	t.Logf("MEASURED rollback saved to %s: %d member(s), format %d, compression %s", where, len(idx.Members), idx.Format, idx.Compression.Algorithm)
	if idx.ReplicaSet != "main" || idx.Site != "paris" || idx.Primary != w.host["l1"] || len(idx.Members) != len(names) {
		t.Errorf("index %+v", idx)
	}
	for _, n := range names {
		got := saved[w.host[n]]
		if len(got) != len(lost) {
			t.Errorf("%s: %d document(s) saved, want the %d Lyon never had", n, len(got), len(lost))
		}
		for id, want := range lost {
			if got[id] != want {
				t.Errorf("%s: document %s saved as %q, want %q", n, id, got[id], want)
			}
		}
	}
}

// Must show (issue 10, defect 4): before the returning Paris members are
// added back, rejoin saves the documents they will roll back (the 5 w:1
// writes Lyon never had), read from the members, to the backup storage
// under main/rollback/<time>/ in the backup's format, and prints where;
// then they roll those writes back and are secondaries.
func TestClusterRejoinSavesWhatItRollsBack(t *testing.T) {
	w := startWorld(t)
	st := w.withBackupStorage(t)
	cfg := w.layoutA(t)
	if code, _, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	app := w.setClient(t, "p1", "p2", "l1", "lb")
	insert(t, app, writeconcern.Majority(), 20, "before")
	lost := w.loseParis(t, app, cfg)
	if len(lost) != 5 {
		t.Fatalf("%d lost writes, want 5", len(lost))
	}
	lyon := w.setClient(t, "l1", "lb")
	insert(t, lyon, writeconcern.Majority(), 3, "after")
	must(t, w.sim.Start(w.host["p1"]))
	must(t, w.sim.Start(w.host["p2"]))
	w.sim.Heal()
	w.waitState(t, cfg, 10*time.Second, "REMOVED", "p1", "p2")

	code, out, errOut := run(t, cfg, "cluster", "rejoin", "--rs", "main", "--site", "paris")
	if code != 0 {
		t.Fatalf("rejoin exit %d\n%s\n%s", code, out, errOut)
	}
	_, after, ok := strings.Cut(out, "rollback: 10 document(s) saved to ")
	if !ok {
		t.Fatalf("rejoin does not print where the 5 documents of each member were saved:\n%s", out)
	}
	where, _, _ := strings.Cut(after, "\n")
	w.checkSavedRollback(t, st, where, lost, "p1", "p2")

	w.waitState(t, cfg, 20*time.Second, "SECONDARY", "p1", "p2")
	w.checkRolledBack(t, lyon, "l1", "p1", "p2")
}

// Must show (issue 10, defect 4): a returning member whose divergent writes
// cannot be examined is not added back without --accept-unexamined. Here
// Lyon writes long enough after the failover that its oplog (capped small)
// no longer holds the point it shares with the Paris members: what they
// will roll back cannot be told apart from what Lyon already had.
func TestClusterRejoinRefusesUnexamined(t *testing.T) {
	w := startWorldOplog(t, 256<<10)
	st := w.withBackupStorage(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	w.extra += fmt.Sprintf("audit: {path: %q}\n", auditPath)
	cfg := w.layoutA(t)
	if code, _, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	app := w.setClient(t, "p1", "p2", "l1", "lb")
	insert(t, app, writeconcern.Majority(), 20, "before")
	w.loseParis(t, app, cfg)

	lyon := w.setClient(t, "l1", "lb")
	pad := strings.Repeat("x", 1000)
	docs := make([]any, 400)
	for i := range docs {
		docs[i] = bson.D{{Key: "tag", Value: "after"}, {Key: "n", Value: i}, {Key: "pad", Value: pad}}
	}
	_, err := lyon.Database("app").Collection("padding").InsertMany(context.Background(), docs)
	must(t, err)
	must(t, w.sim.Start(w.host["p1"]))
	must(t, w.sim.Start(w.host["p2"]))
	w.sim.Heal()
	w.waitState(t, cfg, 10*time.Second, "REMOVED", "p1", "p2")

	code, out, errOut := run(t, cfg, "cluster", "rejoin", "--rs", "main", "--site", "paris")
	if code != 4 || !strings.Contains(errOut, "not known in full") || !strings.Contains(errOut, "--accept-unexamined") || !strings.Contains(out, "not found") {
		t.Fatalf("rejoin of unexamined members: exit %d, want 4 naming --accept-unexamined\n%s\n%s", code, out, errOut)
	}
	stat := status(t, cfg)
	for _, n := range []string{"p1", "p2"} {
		if m := stat.member(w.host[n]); m.InConfig || m.State != "REMOVED" {
			t.Errorf("%s was changed by a refused rejoin: %+v", n, m)
		}
	}
	if infos, err := storage.Collect(context.Background(), st, "main/rollback/"); err != nil || len(infos) != 0 {
		t.Errorf("a refused rejoin saved %v (%v)", infos, err)
	}
	// The refusal is in the audit trail: the last line, as refused.
	data, err := os.ReadFile(auditPath)
	must(t, err)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	var last struct {
		Action, Target, Outcome, Error string
		Parameters                     map[string]any
	}
	must(t, json.Unmarshal(lines[len(lines)-1], &last))
	if last.Action != "cluster.rejoin" || last.Target != "main" || last.Outcome != "refused" || !strings.Contains(last.Error, "--accept-unexamined") ||
		last.Parameters["site"] != "paris" {
		t.Errorf("last audit line %s, want the refused rejoin", lines[len(lines)-1])
	}
}

// loseParis is the failover scenario: Paris takes 5 w:1 writes Lyon never
// sees, then Paris is lost and the set is forced onto Lyon. It returns the
// documents of those 5 writes.
func (w *world) loseParis(t *testing.T, app *mongo.Client, cfg string) map[string]string {
	t.Helper()
	for _, n := range []string{"l1", "lb"} {
		must(t, w.sim.PauseReplication(w.host[n]))
	}
	insert(t, app, writeconcern.W1(), 5, "lost")
	lost := docsByTag(t, app, "lost")
	time.Sleep(500 * time.Millisecond) // p2 applies them
	must(t, w.sim.Stop(w.host["p1"]))
	must(t, w.sim.Partition([]string{w.host["p1"], w.host["p2"]}, []string{w.host["l1"], w.host["lb"]}))
	for _, n := range []string{"l1", "lb"} {
		must(t, w.sim.ResumeReplication(w.host[n]))
	}
	must(t, w.sim.Stop(w.host["p2"]))
	time.Sleep(2 * e2eElection)
	if code, _, _ := run(t, cfg, "cluster", "failover", "--rs", "main", "--to-site", "lyon", "--force", "--yes", "--save-dir", t.TempDir()); code != 0 {
		t.Fatalf("failover exit %d", code)
	}
	return lost
}
