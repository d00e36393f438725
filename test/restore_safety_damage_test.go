package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/storage/fs"
)

// TestRestoreSafetyDamagedObject: a backup with one damaged object (a
// flipped byte, same size) is a verification failure. The precheck finds
// it before anything is written (exit 3 naming the key, no new
// collection); with --skip-precheck the restore fails midway, still exit
// 3 naming the key, and drops what it created — but never a collection
// that existed before it started.
func TestRestoreSafetyDamagedObject(t *testing.T) {
	w := rsStart(t)
	ctx := context.Background()
	app := w.client(t)
	db := app.Database("corrupt")
	rsFill(t, db.Collection("listings"), "l", 3000)
	rsFill(t, db.Collection("listings_rejects"), "r", 12)
	id := w.backup(t)
	if err := db.Drop(ctx); err != nil {
		t.Fatal(err)
	}

	st, err := fs.New(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := catalog.Find(ctx, st, "rs1", id)
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, c := range m.Collections {
		if c.Namespace() == "corrupt.listings" {
			key = layout.Dir("rs1", id) + c.Data.Key
		}
	}
	path := filepath.Join(w.dir, filepath.FromSlash(key))
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), orig...)
	damaged[len(damaged)/2] ^= 0x20
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}

	code, _, errOut := w.citadel(t, "restore", id, "--to-rs", "rs1")
	if code != 3 || !strings.Contains(errOut, key) {
		t.Errorf("restore of a damaged backup: exit %d, want 3 naming %s", code, key)
	}
	if names := rsCollections(t, app, "corrupt"); len(names) != 0 {
		t.Errorf("the refused restore left corrupt.%v", names)
	}

	code, _, errOut = w.citadel(t, "restore", id, "--to-rs", "rs1", "--skip-precheck")
	if code != 3 || !strings.Contains(errOut, key) {
		t.Errorf("restore --skip-precheck of a damaged backup: exit %d, want 3 naming %s", code, key)
	}
	if !strings.Contains(errOut, "dropped what it had created: corrupt.listings, corrupt.listings_rejects") {
		t.Errorf("the failed restore does not say it dropped corrupt.listings and corrupt.listings_rejects")
	}
	if names := rsCollections(t, app, "corrupt"); len(names) != 0 {
		t.Errorf("the failed restore left corrupt.%v behind", names)
	}

	// An empty collection that was there before is restored into, and
	// left in place (named) when the restore fails.
	if err := db.CreateCollection(ctx, "listings_rejects"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = w.citadel(t, "restore", id, "--to-rs", "rs1", "--skip-precheck")
	if code != 3 || !strings.Contains(errOut, "existed before the restore (check them): corrupt.listings_rejects") {
		t.Errorf("restore --skip-precheck over an existing empty collection: exit %d, want 3 naming corrupt.listings_rejects as left in place", code)
	}
	if names := rsCollections(t, app, "corrupt"); len(names) != 1 || names[0] != "listings_rejects" {
		t.Errorf("after the failed restore corrupt holds %v, want only the pre-existing listings_rejects", names)
	}

	// Repaired, the same backup restores.
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := w.citadel(t, "restore", id, "--to-rs", "rs1", "--drop", "--yes"); code != 0 {
		t.Fatalf("restore of the repaired backup: exit %d", code)
	}
	if n := rsCount(t, db.Collection("listings"), bson.D{}); n != 3000 {
		t.Errorf("corrupt.listings holds %d documents, want 3000", n)
	}
}
