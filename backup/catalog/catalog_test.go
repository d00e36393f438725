package catalog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/retention"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

var ctx = context.Background()

func newFS(t *testing.T) (*fs.Storage, string) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// makeBackup writes a small but real backup: two collections, a view and
// an oplog slice, ending at end.
func makeBackup(t *testing.T, st storage.Storage, rs string, end time.Time, codec stream.Codec) *manifest.Manifest {
	t.Helper()
	id := layout.NewID(end)
	w := archive.NewWriter(archive.Destination{Storage: st, Codec: codec}, rs, id)
	m := &manifest.Manifest{Tool: "test", Started: end.Add(-time.Minute), Finished: end,
		Start: manifest.OpTime{TS: manifest.Timestamp{T: uint32(end.Unix()) - 60, I: 1}},
		End:   manifest.OpTime{TS: manifest.Timestamp{T: uint32(end.Unix()), I: 1}, Wall: end}}
	for _, name := range []string{"users", "orders"} {
		md := &metadata.Metadata{CollectionName: name, Type: "collection",
			Indexes: []bson.D{{{Key: "v", Value: 2}, {Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "name", Value: "_id_"}}}}
		c, err := w.Collection(ctx, "app", name, md, 1, func(emit archive.Emit) error {
			for i := range 500 {
				doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "name", Value: name}, {Key: "n", Value: i * 7}})
				if err := emit(doc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		m.Collections = append(m.Collections, c)
	}
	v, err := w.View(ctx, "app", "big_orders", &metadata.Metadata{CollectionName: "big_orders", Type: "view",
		Options: bson.D{{Key: "viewOn", Value: "orders"}, {Key: "pipeline", Value: bson.A{}}}})
	if err != nil {
		t.Fatal(err)
	}
	m.Collections = append(m.Collections, v)
	m.Oplog, err = w.Oplog(ctx, func(emit archive.Emit) error {
		for i := uint32(0); i < 10; i++ {
			doc, _ := bson.Marshal(bson.D{{Key: "op", Value: "n"}, {Key: "ns", Value: ""}, {Key: "o", Value: bson.D{}},
				{Key: "ts", Value: bson.Timestamp{T: m.Start.TS.T + i, I: 1}}})
			if err := emit(doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.End.TS = m.Oplog.Last
	if err := w.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestListFindVerify(t *testing.T) {
	st, _ := newFS(t)
	old := makeBackup(t, st, "main", time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC), stream.Codec{})
	newer := makeBackup(t, st, "main", time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC), stream.Codec{Level: 1})
	// A killed run: objects but no manifest.
	storage.PutBytes(ctx, st, "main/20260103T020000Z-dead/app/users.bson.zst", []byte("partial"), storage.PutOptions{})

	entries, err := catalog.List(ctx, st, "")
	if err != nil || len(entries) != 3 {
		t.Fatalf("list: %v %v", entries, err)
	}
	if entries[2].Complete {
		t.Fatal("a backup without manifest is listed as complete")
	}
	m, err := catalog.Find(ctx, st, "", "latest")
	if err != nil || m.ID != newer.ID {
		t.Fatalf("latest = %v, %v", m, err)
	}
	if _, err := catalog.Find(ctx, st, "main", "20260103T020000Z-dead"); !errors.Is(err, catalog.ErrNoBackup) {
		t.Fatalf("an incomplete backup was found: %v", err)
	}
	if _, err := catalog.Find(ctx, st, "main", "yesterday"); !errors.Is(err, fault.ErrUsage) {
		t.Fatalf("bad id: %v", err)
	}
	for _, readData := range []bool{false, true} {
		rep, err := catalog.Verify(ctx, st, old, catalog.VerifyOptions{ReadData: readData})
		if err != nil || !rep.OK || rep.Objects != 6 {
			t.Fatalf("verify read-data=%v: %+v %v", readData, rep, err)
		}
		if readData && (rep.Documents != 1000 || rep.OplogEntries != 10) {
			t.Fatalf("read-data counts %+v", rep)
		}
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	st, dir := newFS(t)
	m := makeBackup(t, st, "main", time.Now(), stream.Codec{})
	dataKey := layout.Dir("main", m.ID) + m.Collections[1].Data.Key // app.users
	path := filepath.Join(dir, filepath.FromSlash(dataKey))
	orig, _ := os.ReadFile(path)

	// A flipped byte that keeps the size.
	flipped := append([]byte(nil), orig...)
	flipped[len(flipped)/2] ^= 0x40
	os.WriteFile(path, flipped, 0o600)
	for _, readData := range []bool{false, true} {
		_, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{ReadData: readData})
		if !errors.Is(err, fault.ErrVerification) || !strings.Contains(err.Error(), dataKey) {
			t.Fatalf("flipped byte, read-data=%v: %v", readData, err)
		}
	}

	// Damage upstream of the hash (the recorded SHA-256 matches the bad
	// bytes): only --read-data sees it.
	sum, size := stream.Digest(flipped)
	m2 := *m
	m2.Collections = append([]manifest.Collection(nil), m.Collections...)
	obj := *m2.Collections[1].Data
	obj.SHA256, obj.Size = sum, size
	m2.Collections[1].Data = &obj
	if _, err := catalog.Verify(ctx, st, &m2, catalog.VerifyOptions{}); err != nil {
		t.Fatalf("objects-only verify should pass when the record matches the bytes: %v", err)
	}
	if _, err := catalog.Verify(ctx, st, &m2, catalog.VerifyOptions{ReadData: true}); !errors.Is(err, fault.ErrVerification) {
		t.Fatalf("read-data missed corrupt content: %v", err)
	}

	// A deleted object.
	os.WriteFile(path, orig, 0o600)
	os.Remove(path)
	rep, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{})
	if !errors.Is(err, fault.ErrVerification) || len(rep.Problems) != 1 || rep.Problems[0].Key != dataKey || rep.Problems[0].Problem != "missing" {
		t.Fatalf("deleted object: %+v %v", rep, err)
	}
}

func TestEncryptedVerify(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	st, _ := newFS(t)
	m := makeBackup(t, st, "main", time.Now(), stream.Codec{Recipients: []age.Recipient{id.Recipient()}})
	if !m.Encrypted() || !strings.HasSuffix(m.Oplog.Object.Key, ".zst.age") {
		t.Fatalf("not encrypted: %+v", m.Oplog.Object)
	}
	if _, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{}); err != nil {
		t.Fatalf("objects-only verify needs no key: %v", err)
	}
	if _, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{ReadData: true}); !errors.Is(err, fault.ErrUsage) {
		t.Fatalf("read-data without identity: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{ReadData: true, Identities: []age.Identity{other}}); !errors.Is(err, fault.ErrVerification) {
		t.Fatalf("wrong identity: %v", err)
	}
	if _, err := catalog.Verify(ctx, st, m, catalog.VerifyOptions{ReadData: true, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
}

func TestCopy(t *testing.T) {
	src, _ := newFS(t)
	dst, _ := newFS(t)
	m := makeBackup(t, src, "main", time.Now(), stream.Codec{})
	res, err := catalog.Copy(ctx, src, archive.Destination{Storage: dst}, m, catalog.CopyOptions{})
	if err != nil || res.Objects != 7 {
		t.Fatalf("copy: %+v %v", res, err)
	}
	got, err := catalog.Find(ctx, dst, "main", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Verify(ctx, dst, got, catalog.VerifyOptions{ReadData: true}); err != nil {
		t.Fatal(err)
	}
	if res, err := catalog.Copy(ctx, src, archive.Destination{Storage: dst}, m, catalog.CopyOptions{}); err != nil || !res.AlreadyPresent {
		t.Fatalf("second copy: %+v %v", res, err)
	}
}

func TestCopyOfDamagedSourceLeavesNoBackup(t *testing.T) {
	src, dir := newFS(t)
	dst, _ := newFS(t)
	m := makeBackup(t, src, "main", time.Now(), stream.Codec{})
	path := filepath.Join(dir, filepath.FromSlash(layout.Dir("main", m.ID)+m.Oplog.Object.Key))
	b, _ := os.ReadFile(path)
	b[3] ^= 1
	os.WriteFile(path, b, 0o600)
	if _, err := catalog.Copy(ctx, src, archive.Destination{Storage: dst}, m, catalog.CopyOptions{}); err == nil || !strings.Contains(err.Error(), m.Oplog.Object.Key) {
		t.Fatalf("copy of a damaged backup: %v", err)
	}
	if _, err := catalog.Find(ctx, dst, "main", m.ID); !errors.Is(err, catalog.ErrNoBackup) {
		t.Fatalf("the target lists an unverified copy: %v", err)
	}
}

func TestPrune(t *testing.T) {
	st, _ := newFS(t)
	now := time.Now().Add(time.Hour) // the partial object is an hour old
	var ms []*manifest.Manifest
	for d := 5; d >= 1; d-- {
		ms = append(ms, makeBackup(t, st, "main", now.AddDate(0, 0, -d), stream.Codec{}))
	}
	storage.PutBytes(ctx, st, "main/20260301T000000Z-dead/app/x.bson.zst", []byte("old partial"), storage.PutOptions{})
	opts := catalog.PruneOptions{Policy: retention.Policy{Daily: 2, IncompleteAfter: time.Nanosecond}, Now: now, DryRun: true}
	res, err := catalog.Prune(ctx, st, "main", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Plan.Delete(); len(got) != 4 || res.DeletedObjects != 0 {
		t.Fatalf("dry run plan deletes %v, did %d", got, res.DeletedObjects)
	}
	opts.DryRun = false
	if res, err = catalog.Prune(ctx, st, "main", opts); err != nil {
		t.Fatal(err)
	}
	entries, _ := catalog.List(ctx, st, "main")
	if len(entries) != 2 || entries[0].ID != ms[3].ID || entries[1].ID != ms[4].ID {
		t.Fatalf("after prune: %+v", entries)
	}
	if res.DeletedObjects != 3*7+1 {
		t.Fatalf("deleted %d objects", res.DeletedObjects)
	}
}

// heldReader yields n bytes, then blocks until release is closed: a put
// that has not finished, as a killed process leaves it.
type heldReader struct {
	n       int
	release chan struct{}
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.n == 0 {
		<-h.release
		return 0, errors.New("released")
	}
	p = p[:min(len(p), h.n)]
	h.n -= len(p)
	return len(p), nil
}

// TestPruneRemovesLeftovers: on both backends, an interrupted run — an
// object and an unfinished write, or an unfinished write alone — is an
// incomplete backup that counts its leftovers; prune keeps it while it
// may still run, then removes everything under it; an incomplete backup
// under object lock stays whole.
func TestPruneRemovesLeftovers(t *testing.T) {
	for name, open := range bothBackends(t) {
		t.Run(name, func(t *testing.T) { testPruneLeftovers(t, open(t)) })
	}
}

// bothBackends opens an empty storage of each kind for a subtest: a
// directory, and a bucket with object lock on one real MinIO server.
func bothBackends(t *testing.T) map[string]func(t *testing.T) storage.Storage {
	srv := testbed.StartMinIOT(t)
	return map[string]func(t *testing.T) storage.Storage{
		"filesystem": func(t *testing.T) storage.Storage { st, _ := newFS(t); return st },
		"minio": func(t *testing.T) storage.Storage {
			st, err := s3.New(s3.Config{Endpoint: srv.Endpoint, Bucket: strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
				AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: 5 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateBucket(ctx, true); err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
}

func testPruneLeftovers(t *testing.T, st storage.Storage) {
	kept := makeBackup(t, st, "main", time.Now().Add(-time.Hour), stream.Codec{})
	release := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(release) }) }
	defer stop()
	unfinished := func(key string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := st.Put(ctx, key, &heldReader{n: 6 << 20, release: release}, storage.PutOptions{})
			done <- err
		}()
		return done
	}
	storage.PutBytes(ctx, st, "main/20260301T000000Z-dead/app/x.bson.zst", []byte("old partial"), storage.PutOptions{})
	puts := []chan error{unfinished("main/20260301T000000Z-dead/app/y.bson.zst"), unfinished("main/20260302T000000Z-0001/oplog.bson.zst")}
	locked := st.Capabilities().ObjectLock
	if locked {
		storage.PutBytes(ctx, st, "main/20260303T000000Z-10cc/app/x.bson.zst", []byte("locked"), storage.PutOptions{RetainUntil: time.Now().Add(72 * time.Hour)})
		puts = append(puts, unfinished("main/20260303T000000Z-10cc/app/y.bson.zst"))
	}
	incomplete := func() map[string]catalog.Entry {
		entries, err := catalog.List(ctx, st, "main")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]catalog.Entry{}
		for _, e := range entries {
			if !e.Complete {
				out[e.ID] = e
			}
		}
		return out
	}
	deadline := time.Now().Add(time.Minute)
	for {
		got := incomplete()
		if len(got) == len(puts) && got["20260302T000000Z-0001"].LeftoverBytes > 0 && got["20260301T000000Z-dead"].LeftoverBytes > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unfinished writes are not counted after a minute: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pol := retention.Policy{Daily: 1}
	res, err := catalog.Prune(ctx, st, "main", catalog.PruneOptions{Policy: pol, Now: time.Now()})
	if err != nil || res.RemovedLeftovers != 0 || len(incomplete()) != len(puts) {
		t.Fatalf("prune of recent incomplete backups removed %d leftovers (%v): %+v", res.RemovedLeftovers, err, incomplete())
	}
	res, err = catalog.Prune(ctx, st, "main", catalog.PruneOptions{Policy: pol, Now: time.Now().Add(25 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	left := incomplete()
	if _, ok := left["20260303T000000Z-10cc"]; len(left) != len(puts)-2 || locked && !ok {
		t.Fatalf("after prune a day later the incomplete backups are %+v", left)
	}
	if res.RemovedLeftovers != 2 {
		t.Errorf("prune removed %d leftovers, want the 2 unfinished writes of the unlocked backups", res.RemovedLeftovers)
	}
	if e := left["20260303T000000Z-10cc"]; locked && len(e.Leftovers) != 1 {
		t.Errorf("the locked incomplete backup lost its unfinished write: %+v", e)
	}
	stop()
	for _, p := range puts[:2] {
		if err := <-p; err == nil {
			t.Error("an unfinished write succeeded after prune removed it")
		}
	}
	if _, err := catalog.Find(ctx, st, "main", kept.ID); err != nil {
		t.Errorf("the complete backup is gone: %v", err)
	}
}
