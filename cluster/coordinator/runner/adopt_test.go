package runner

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/snapshot"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
)

// recorder keeps the catalog entries the runner writes.
type recorder struct {
	mu      sync.Mutex
	entries []store.CatalogEntry
}

func (r *recorder) PutCatalog(_ context.Context, b store.CatalogPutBody) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, b.Entries...)
	return nil
}

func (r *recorder) PutDrill(context.Context, store.DrillRecord) error { return nil }

type fixedFence uint64

func (f fixedFence) Token() uint64 { return uint64(f) }
func (f fixedFence) Check(context.Context) (time.Time, error) {
	return time.Now().Add(time.Second), nil
}

// TestAdoptsTheCommittedBackupOfAFencedAttempt: a run that takes over an
// attempt which passed its fence finds that attempt's backup (named after
// its token) in the storage and reports it, copied to copy_to, instead of
// taking a second one; a fenced attempt without a backup is not adopted.
func TestAdoptsTheCommittedBackupOfAFencedAttempt(t *testing.T) {
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	if _, err := src.Database("app").Collection("c").InsertOne(t.Context(), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := &config.Config{File: "test.yaml", MongoDB: config.MongoDB{ConnectTimeout: config.Duration(time.Second)},
		ReplicaSets: []config.ReplicaSet{{Name: "main", Members: []config.Member{{Host: testbed.FreeAddr(t), Site: "paris"}}}},
		Storages: []config.Storage{{Name: "local", Filesystem: &config.Filesystem{Path: filepath.Join(dir, "local")}},
			{Name: "copy", Filesystem: &config.Filesystem{Path: filepath.Join(dir, "copy")}}},
		Backups: []config.Backup{{Name: "nightly", ReplicaSet: "main", Storage: "local", CopyTo: []string{"copy"}}}}
	st, err := fs.Create(cfg.Storages[0].Filesystem.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Create(cfg.Storages[1].Filesystem.Path); err != nil {
		t.Fatal(err)
	}
	// The previous attempt (token 7) committed its backup, then its node died.
	start := time.Now().Add(-time.Minute)
	id := TokenID(start.Add(time.Second), 7)
	w := archive.NewWriter(archive.Destination{Storage: st}, "main", id)
	colls, err := snapshot.Dump(t.Context(), src, w, snapshot.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Tool: "test", Collections: colls, Started: start, Finished: time.Now()}
	if m.Oplog, err = w.Oplog(t.Context(), func(archive.Emit) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(t.Context(), m); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	r := New(jobs.Env{Config: cfg})
	r.SetCatalog(rec)
	job := sched.JobSpec{Name: "backup-nightly", Kind: KindBackup, Params: json.RawMessage(`{"backup":"nightly"}`)}
	prev := &store.Run{ID: "backup-nightly-7", Token: 7, Start: start, FencedAt: start.Add(30 * time.Second), State: store.RunAbandoned}
	out, err := r.Run(t.Context(), job, sched.RunInfo{Token: 8, Trigger: store.TriggerTakeover, Previous: prev}, fixedFence(8))
	if err != nil {
		t.Fatal(err)
	}
	var res BackupResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.AdoptedFrom != 7 || res.Token != 8 || res.Backup.ID != id || len(res.Copies) != 1 || res.Copies[0].ID != id {
		t.Fatalf("result %s, want backup %s adopted from token 7 and copied", out, id)
	}
	if entries, _ := catalog.List(t.Context(), st, "main"); len(entries) != 1 {
		t.Fatalf("%d backups in the storage after the adoption, want the one", len(entries))
	}
	if len(rec.entries) != 2 || rec.entries[0].Storage != "local" || rec.entries[1].Storage != "copy" || rec.entries[0].ID != id {
		t.Errorf("catalog entries %+v", rec.entries)
	}

	// Token 9 passed its fence too but left nothing: the run takes its own
	// backup (here it cannot: the set has no members), never adopts.
	prev = &store.Run{ID: "backup-nightly-9", Token: 9, Start: start, FencedAt: start.Add(30 * time.Second)}
	out, err = r.Run(t.Context(), job, sched.RunInfo{Token: 10, Previous: prev}, fixedFence(10))
	if err == nil || out != nil {
		t.Fatalf("no backup of token 9: result %s, err %v; want the attempt at a new backup to fail", out, err)
	}
}
