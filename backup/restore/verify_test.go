package restore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/backuptest"
	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

// TestRestoreVerification: a default restore proves the data by the
// digest of what the target acknowledged and by the target's count; a
// manifest that disagrees fails it (exit 3), naming the collection; a
// read-back restore also scans the target and says so.
func TestRestoreVerification(t *testing.T) {
	ctx := context.Background()
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	dst := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	seed(t, src)
	st, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := backuptest.Dump(t, src, st, backuptest.Options{})

	rep, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst})
	if err != nil || !rep.Verified || rep.Verification != restore.VerifiedAcknowledged {
		t.Fatalf("default restore: %+v, %v", rep, err)
	}
	for _, c := range rep.Collections {
		if !c.Verified || c.Documents != 700 || c.Final != 700 {
			t.Fatalf("collection report %+v", c)
		}
	}

	rb, _ := restore.NewNamespaces(nil, "*.*", "rb_*.*")
	rep, err = restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Target: dst, Namespaces: rb, ReadBack: true})
	if err != nil || !rep.Verified || rep.Verification != restore.VerifiedReadBack {
		t.Fatalf("read-back restore: %+v, %v", rep, err)
	}

	// The manifest says app.users held one more document than the stored
	// object does: the restore must not pass it as verified.
	bad := *m
	bad.Collections = append(bad.Collections[:0:0], m.Collections...)
	for i, c := range bad.Collections {
		if c.Namespace() == "app.users" {
			var d digest.Digest
			d.Add([]byte("not in the backup"))
			bad.Collections[i].Documents++
			bad.Collections[i].Digest = d.String()
		}
	}
	ns, _ := restore.NewNamespaces([]string{"app.users"}, "app.*", "bad.*")
	_, err = restore.Run(ctx, restore.Options{Storage: st, Manifest: &bad, Target: dst, Namespaces: ns})
	if !errors.Is(err, fault.ErrVerification) || !strings.Contains(err.Error(), "bad.users acknowledged 700 documents") ||
		!strings.Contains(err.Error(), "counts 700 documents") {
		t.Fatalf("restore against a disagreeing manifest: %v", err)
	}
}

// TestCount: the target's count comes from its collection statistics and
// matches the documents, 0 for an empty collection; a missing collection
// is NamespaceNotFound.
func TestCount(t *testing.T) {
	ctx := context.Background()
	c := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	seed(t, c)
	if _, err := c.Database("app").Collection("users").DeleteOne(ctx, bson.D{{Key: "n", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	n, err := restore.Count(ctx, c.Database("app").Collection("users"))
	if err != nil || n != 699 {
		t.Fatalf("count: %d, %v", n, err)
	}
	if err := c.Database("app").CreateCollection(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if n, err := restore.Count(ctx, c.Database("app").Collection("empty")); err != nil || n != 0 {
		t.Fatalf("count of an empty collection: %d, %v", n, err)
	}
	_, err = restore.Count(ctx, c.Database("app").Collection("missing"))
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 26 {
		t.Fatalf("count of a missing collection: %v", err)
	}
}
