package restore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/test/testbed"
)

// backupWithOplog writes a backup of app.users (50 documents) whose oplog
// inserts into app.users, into app.fresh (a namespace only the oplog
// knows) and into app.kept, then holds a command no restore can replay.
func backupWithOplog(t *testing.T, st storage.Storage) *manifest.Manifest {
	t.Helper()
	ctx := context.Background()
	end := time.Now().UTC()
	w := archive.NewWriter(archive.Destination{Storage: st}, "main", layout.NewID(end))
	m := &manifest.Manifest{Tool: "test", Started: end.Add(-time.Minute), Finished: end}
	md := &metadata.Metadata{CollectionName: "users", Type: "collection",
		Indexes: []bson.D{{{Key: "v", Value: 2}, {Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "name", Value: "_id_"}}}}
	c, err := w.Collection(ctx, "app", "users", md, 1, func(emit archive.Emit) error {
		for i := range 50 {
			doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "name", Value: "u"}})
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
	ts := uint32(end.Unix()) - 30
	entry := func(i uint32, op, ns string, o bson.D) []byte {
		doc, _ := bson.Marshal(bson.D{{Key: "ts", Value: bson.Timestamp{T: ts + i, I: 1}}, {Key: "t", Value: int64(1)}, {Key: "op", Value: op},
			{Key: "ns", Value: ns}, {Key: "o", Value: o}, {Key: "wall", Value: bson.NewDateTimeFromTime(end.Add(-time.Duration(30-i) * time.Second))}})
		return doc
	}
	m.Oplog, err = w.Oplog(ctx, func(emit archive.Emit) error {
		for _, e := range [][]byte{
			entry(0, "i", "app.users", bson.D{{Key: "_id", Value: 1000}}),
			entry(1, "i", "app.fresh", bson.D{{Key: "_id", Value: 1}}),
			entry(2, "i", "app.kept", bson.D{{Key: "_id", Value: 1}}),
			entry(3, "c", "app.$cmd", bson.D{{Key: "frobnicate", Value: "users"}}),
		} {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start = manifest.OpTime{TS: m.Oplog.First}
	m.End = manifest.OpTime{TS: m.Oplog.Last, Wall: end}
	if err := w.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFailedReplayCleansUp: a restore that fails during the oplog replay
// drops every collection it created — its planned target and the one
// only the replay wrote into — and names the one that existed before,
// which it leaves.
func TestFailedReplayCleansUp(t *testing.T) {
	ctx := context.Background()
	dst := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	st, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := backupWithOplog(t, st)
	if err := dst.Database("app").CreateCollection(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	_, err = restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst})
	if err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("restore through an unreplayable command: %v", err)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "dropped what it had created: app.fresh, app.users") ||
		!strings.Contains(err.Error(), "existed before the restore (check them): app.kept (1 documents)") {
		t.Errorf("the error does not account for the cleanup: %v", err)
	}
	names, err := dst.Database("app").ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(names); !slices.Equal(names, []string{"kept"}) {
		t.Errorf("after the failed restore app holds %v, want only the pre-existing kept", names)
	}
}

// TestDropAsksFirst: with Drop, ConfirmDrop sees each existing target and
// its document count before anything is written; a refusal writes nothing.
func TestDropAsksFirst(t *testing.T) {
	ctx := context.Background()
	dst := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	st, _ := fs.New(t.TempDir())
	m := backupWithOplog(t, st)
	users := dst.Database("app").Collection("users")
	if _, err := users.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: "live-1"}}, bson.D{{Key: "_id", Value: "live-2"}}}); err != nil {
		t.Fatal(err)
	}
	no := errors.New("operator said no")
	var asked []restore.Existing
	_, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst, Drop: true,
		ConfirmDrop: func(_ context.Context, drop []restore.Existing) error { asked = drop; return no }})
	if !errors.Is(err, no) {
		t.Fatalf("refused drop: %v", err)
	}
	if len(asked) != 1 || asked[0] != (restore.Existing{Namespace: "app.users", Type: "collection", Documents: 2}) {
		t.Errorf("ConfirmDrop was asked about %+v", asked)
	}
	if n, _ := users.CountDocuments(ctx, bson.D{}); n != 2 {
		t.Errorf("app.users holds %d documents after the refused drop, want its 2", n)
	}
	if names, _ := dst.Database("app").ListCollectionNames(ctx, bson.D{}); len(names) != 1 {
		t.Errorf("the refused restore created collections: %v", names)
	}
}
