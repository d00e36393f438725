package restore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/backuptest"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

// seed fills two databases with documents of varied types and an index.
func seed(t *testing.T, c *mongo.Client) {
	ctx := context.Background()
	for _, ns := range [][2]string{{"app", "users"}, {"app", "orders"}, {"shop", "items"}} {
		var docs []any
		for i := range 700 {
			docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("%s-%05d", ns[1], i)}, {Key: "n", Value: int32(i)},
				{Key: "big", Value: int64(i) << 40}, {Key: "f", Value: float64(i) / 3}, {Key: "at", Value: bson.DateTime(1700000000000 + int64(i))},
				{Key: "tags", Value: bson.A{"a", i % 3}}, {Key: "sub", Value: bson.D{{Key: "city", Value: "Lyon"}, {Key: "ok", Value: i%2 == 0}}}})
		}
		if _, err := c.Database(ns[0]).Collection(ns[1]).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Database("app").Collection("users").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "n", Value: 1}}, Options: options.Index().SetName("n_1")}); err != nil {
		t.Fatal(err)
	}
}

func TestDumpRestoreFerretDB(t *testing.T) {
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	dst := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	seed(t, src)
	st, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := backuptest.Dump(t, src, st, backuptest.Options{})
	if m.Totals.Documents != 2100 || m.Totals.Collections != 3 {
		t.Fatalf("manifest totals %+v", m.Totals)
	}
	if _, err := catalog.Verify(context.Background(), st, m, catalog.VerifyOptions{ReadData: true}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst, Parallelism: 2, BatchSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Verified || rep.Documents != 2100 {
		t.Fatalf("report %+v", rep)
	}
	for _, ns := range [][2]string{{"app", "users"}, {"app", "orders"}, {"shop", "items"}} {
		a, _ := restore.Digest(ctx, src.Database(ns[0]).Collection(ns[1]))
		b, _ := restore.Digest(ctx, dst.Database(ns[0]).Collection(ns[1]))
		if a.String() != b.String() || a.Count() != 700 {
			t.Fatalf("%v differs after restore", ns)
		}
	}
	specs, _ := dst.Database("app").Collection("users").Indexes().ListSpecifications(ctx)
	if len(specs) != 2 {
		t.Fatalf("indexes after restore: %v", specs)
	}

	// Again into the same target: refused without --drop, done with it.
	_, err = restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst})
	if !errors.Is(err, fault.ErrRefused) {
		t.Fatalf("restore over existing data: %v", err)
	}
	if _, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst, Drop: true}); err != nil {
		t.Fatalf("restore --drop: %v", err)
	}

	// Only one database, renamed.
	ns, _ := restore.NewNamespaces([]string{"shop.*"}, "shop.*", "shop_drill.*")
	rep, err = restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst, Namespaces: ns})
	if err != nil || len(rep.Collections) != 1 || rep.Collections[0].Target != "shop_drill.items" {
		t.Fatalf("remapped restore: %+v %v", rep, err)
	}
	if n, _ := dst.Database("shop_drill").Collection("items").CountDocuments(ctx, bson.D{}); n != 700 {
		t.Fatalf("remapped count %d", n)
	}
}

func TestEncryptedRestoreNeedsIdentity(t *testing.T) {
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	seed(t, src)
	id, _ := age.GenerateX25519Identity()
	st, _ := fs.New(t.TempDir())
	m := backuptest.Dump(t, src, st, backuptest.Options{Recipients: []age.Recipient{id.Recipient()}})
	ctx := context.Background()
	ns, _ := restore.NewNamespaces(nil, "*.*", "copy_*.*")
	_, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: src, Namespaces: ns})
	if !errors.Is(err, stream.ErrNoIdentity) {
		t.Fatalf("restore without identity: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: src, Namespaces: ns, Identities: []age.Identity{other}}); err == nil {
		t.Fatal("restored with the wrong identity")
	}
	if n, _ := src.Database("copy_app").Collection("users").CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("a failed restore wrote %d documents", n)
	}
	if _, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: src, Namespaces: ns, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
}
