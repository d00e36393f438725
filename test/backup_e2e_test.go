package test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/restore"
)

// TestBackupE2ESmoke: backup of a quiet set from the hidden Lyon member,
// copied to Paris, restored into the scratch set, equal document for document.
func TestBackupE2ESmoke(t *testing.T) {
	w := bkStart(t, bkOptions{})
	ctx := context.Background()
	src := w.set(t, "main")
	var docs []any
	for i := range 500 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: fmt.Sprint(i)}})
	}
	if _, err := src.Database("app").Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	code, out, _ := w.citadel(t, "-o", "json", "backup", "run")
	if code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	var res struct {
		Backup struct{ ID, Source string }
	}
	bkJSON(t, out, &res)
	if res.Backup.Source != w.host["lb"] {
		t.Errorf("backup read from %s, want the hidden Lyon member %s", res.Backup.Source, w.host["lb"])
	}
	if code, _, _ := w.citadel(t, "restore", res.Backup.ID, "--to-rs", "scratch"); code != 0 {
		t.Fatalf("restore exit %d", code)
	}
	a, _ := restore.Digest(ctx, src.Database("app").Collection("c"))
	b, _ := restore.Digest(ctx, w.set(t, "scratch").Database("app").Collection("c"))
	if a.String() != b.String() || b.Count() != 500 {
		t.Fatalf("restored %d documents, digest %s; source %d, %s", b.Count(), b, a.Count(), a)
	}
}
