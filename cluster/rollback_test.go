package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func rawDoc(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLostDocuments: what a member's divergent writes leave, per
// namespace, each document once with its state after the last write.
func TestLostDocuments(t *testing.T) {
	id := func(n int32) bson.RawValue { return rawDoc(t, bson.D{{Key: "_id", Value: n}}).Lookup("_id") }
	doc := func(n int32, v string) bson.Raw {
		return rawDoc(t, bson.D{{Key: "_id", Value: n}, {Key: "v", Value: v}})
	}
	// Oldest first here; the walk gives them newest first.
	oldest := []OplogEntry{
		{Op: "i", NS: "app.orders", ID: id(1), Image: doc(1, "a")},
		{Op: "i", NS: "app.orders", ID: id(2), Image: doc(2, "b")},
		{Op: "u", NS: "app.orders", ID: id(1), Image: doc(1, "a2")}, // a replacement
		{Op: "u", NS: "app.orders", ID: id(3)},                      // a diff of a document the primary has
		{Op: "d", NS: "app.orders", ID: id(2)},
		{Op: "i", NS: "app.users", ID: id(1), Image: doc(1, "u")},
		{Op: "c", NS: "app.$cmd"},
		{Op: "n"},
	}
	walked := make([]OplogEntry, len(oldest))
	for i, e := range oldest {
		walked[len(oldest)-1-i] = e
	}
	lost := lostDocuments(walked)
	orders := lost["app.orders"]
	if len(lost) != 2 || len(orders) != 3 || len(lost["app.users"]) != 1 {
		t.Fatalf("lost %v", lost)
	}
	if orders[0].image.Lookup("v").StringValue() != "a2" || orders[0].deleted {
		t.Errorf("document 1 keeps its last version: %v", orders[0])
	}
	if !orders[1].deleted || orders[1].image != nil {
		t.Errorf("document 2 was deleted: %v", orders[1])
	}
	if orders[2].image != nil || orders[2].deleted {
		t.Errorf("document 3 has no whole version in the oplog: %v", orders[2])
	}
	if h := held(orders); len(h) != 2 {
		t.Errorf("held %v, want documents 1 and 3", h)
	}
}

// TestEntryWrites: the _id and whole document of each kind of entry, and
// the operations of a transaction's applyOps.
func TestEntryWrites(t *testing.T) {
	d := rawDoc(t, bson.D{{Key: "_id", Value: 7}, {Key: "x", Value: 1}})
	idOnly := rawDoc(t, bson.D{{Key: "_id", Value: 7}})
	diff := rawDoc(t, bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{{Key: "u", Value: bson.D{{Key: "x", Value: 2}}}}}})
	txn := rawDoc(t, bson.D{{Key: "applyOps", Value: bson.A{
		bson.D{{Key: "op", Value: "i"}, {Key: "ns", Value: "app.a"}, {Key: "o", Value: d}},
		bson.D{{Key: "op", Value: "u"}, {Key: "ns", Value: "app.b"}, {Key: "o", Value: diff}, {Key: "o2", Value: idOnly}},
	}}})
	for _, tc := range []struct {
		name  string
		raw   rawEntry
		n     int
		image bool
	}{
		{"insert", rawEntry{Op: "i", NS: "app.a", O: d}, 1, true},
		{"replacement", rawEntry{Op: "u", NS: "app.a", O: d, O2: idOnly}, 1, true},
		{"diff", rawEntry{Op: "u", NS: "app.a", O: diff, O2: idOnly}, 1, false},
		{"delete", rawEntry{Op: "d", NS: "app.a", O: idOnly}, 1, false},
		{"transaction", rawEntry{Op: "c", NS: "admin.$cmd", O: txn}, 2, true},
	} {
		w := tc.raw.writes()
		if len(w) != tc.n || w[0].ID.Type == 0 || (w[0].Image != nil) != tc.image {
			t.Errorf("%s: %+v", tc.name, w)
		}
	}
	if w := (rawEntry{Op: "c", NS: "app.$cmd", O: rawDoc(t, bson.D{{Key: "create", Value: "x"}})}).writes(); len(w) != 1 || w[0].ID.Type != 0 {
		t.Errorf("a command writes no document: %+v", w)
	}
}

// TestRejoinGate: rejoin goes on only when every returning member was
// examined in full and what it rolls back was saved; otherwise it refuses
// (fault.ErrRefused, exit 4) unless --accept-unexamined.
func TestRejoinGate(t *testing.T) {
	d, err := NewDialer(config.MongoDB{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(d, slog.New(slog.DiscardHandler), nil)
	doc := rawDoc(t, bson.D{{Key: "_id", Value: 1}})
	examined := func() *examination {
		return &examination{report: RollbackReport{Host: "p1:27017"}, docs: map[string][]bson.Raw{"app.orders": {doc}}, from: "collections"}
	}
	unexamined := func() *examination {
		x := &examination{report: RollbackReport{Host: "p2:27017"}}
		x.unexamined("the point it shares with the primary is not found")
		return x
	}
	nothing := &examination{report: RollbackReport{Host: "p1:27017"}, docs: map[string][]bson.Raw{}}
	dir := t.TempDir()
	store := RollbackStoreFor(&config.Config{}, "main", dir, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		name    string
		exams   []*examination
		store   *RollbackStore
		accept  bool
		refused string // "" when rejoin goes on
		saved   bool
	}{
		{"examined and saved", []*examination{examined()}, store, false, "", true},
		{"nothing to roll back, no storage", []*examination{nothing}, nil, false, "", false},
		{"unexamined", []*examination{examined(), unexamined()}, store, false, "p2:27017 (the point it shares", false},
		{"unexamined, accepted", []*examination{examined(), unexamined()}, store, true, "", true},
		{"nowhere to save", []*examination{examined()}, nil, false, "could not be saved", false},
		{"nowhere to save, accepted", []*examination{examined()}, nil, true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &RejoinReport{Set: "main", Site: "paris", Primary: "l1:27017"}
			for _, x := range tc.exams {
				rep.Rollback = append(rep.Rollback, x.report)
			}
			err := m.keepRollback(context.Background(), rep, tc.exams, RejoinOptions{AcceptUnexamined: tc.accept, Rollback: tc.store})
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (!errors.Is(err, fault.ErrRefused) || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "--accept-unexamined")):
				t.Fatalf("err %v, want a refusal naming %q and --accept-unexamined", err, tc.refused)
			}
			if saved := rep.RollbackSavedTo != ""; saved != tc.saved {
				t.Errorf("saved to %q, want saved %t", rep.RollbackSavedTo, tc.saved)
			}
			if tc.saved && rep.Rollback[0].Saved != 1 {
				t.Errorf("saved documents %d, want 1", rep.Rollback[0].Saved)
			}
		})
	}
}

// TestRollbackSaveFormat: the saved documents are a backup collection
// object (zstd, age when the set's backup is encrypted; size and SHA-256
// in the index) under <rs>/rollback/<time>/<host>/<db>/<coll>.bson.zst[.age],
// and the index is written last.
func TestRollbackSaveFormat(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipients := filepath.Join(t.TempDir(), "recipients.txt")
	if err := os.WriteFile(recipients, []byte(id.Recipient().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name      string
		store     func(dir string) *RollbackStore
		suffix    string
		encrypted bool
	}{
		{"no backup of the set: --save-dir, zstd", func(dir string) *RollbackStore {
			return RollbackStoreFor(&config.Config{}, "main", dir, log)
		}, ".bson.zst", false},
		{"the set's encrypted backup", func(dir string) *RollbackStore {
			cfg := &config.Config{Storages: []config.Storage{{Name: "local", Filesystem: &config.Filesystem{Path: dir}}},
				Backups: []config.Backup{{Name: "nightly", ReplicaSet: "main", Storage: "local", Encryption: &config.Encryption{RecipientsFile: recipients}}}}
			return RollbackStoreFor(cfg, "main", "", log)
		}, ".bson.zst.age", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			store := tc.store(dir)
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			store.now = func() time.Time { return at }
			docs := []bson.Raw{rawDoc(t, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: "a"}}), rawDoc(t, bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: "b"}})}
			x := &examination{report: RollbackReport{Host: "p1:27017", CommonTS: OpTime{TS: bson.Timestamp{T: 5, I: 1}, Term: 2}},
				docs: map[string][]bson.Raw{"app.orders": docs}, from: "oplog"}
			where, err := store.save(context.Background(), &RejoinReport{Set: "main", Site: "paris", Primary: "l1:27017"}, []*examination{x})
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, "main", "rollback", "20260301T100000Z"); !strings.Contains(where, want) {
				t.Errorf("saved to %q, want %s", where, want)
			}
			checkSaved(t, dir, at, tc.suffix, tc.encrypted, []age.Identity{id}, docs)
		})
	}
}

// checkSaved reads back the index and the one collection saved under dir.
func checkSaved(t *testing.T, dir string, at time.Time, suffix string, encrypted bool, ids []age.Identity, docs []bson.Raw) {
	t.Helper()
	st, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := storage.ReadAll(ctx, st, RollbackDir("main", at)+RollbackIndexName)
	if err != nil {
		t.Fatal(err)
	}
	var idx RollbackIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Format != RollbackFormat || idx.ReplicaSet != "main" || idx.Compression.Algorithm != stream.Zstd || (idx.Encryption != nil) != encrypted ||
		len(idx.Members) != 1 || idx.Members[0].ReadFrom != "oplog" || len(idx.Members[0].Collections) != 1 {
		t.Fatalf("index %s", b)
	}
	c := idx.Members[0].Collections[0]
	if c.DB != "app" || c.Name != "orders" || c.Documents != 2 || c.Data.Key != "p1:27017/app/orders"+suffix || !c.Data.Compressed || c.Data.Encrypted != encrypted {
		t.Fatalf("collection %+v", c)
	}
	r, err := stream.Open(ctx, st, RollbackDir("main", at)+c.Data.Key, stream.Encoding{Compressed: true, Encrypted: encrypted}, ids,
		stream.Expect{Size: c.Data.Size, SHA256: c.Data.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	dr := stream.NewDocReader(r)
	for i := 0; ; i++ {
		d, err := dr.Next()
		if err == io.EOF {
			if i != len(docs) {
				t.Errorf("%d documents read back, want %d", i, len(docs))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(docs) || !bytes.Equal(d, docs[i]) {
			t.Errorf("document %d is %v", i, d)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
