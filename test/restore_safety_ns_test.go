package test

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestRestoreSafetyNsFromTypo: a rename whose --ns-from matches nothing
// in the backup is refused as a usage error naming the pattern and what
// the backup holds, and the live collection keeps every document written
// since the backup; the correct rename says where each collection went.
func TestRestoreSafetyNsFromTypo(t *testing.T) {
	w := rsStart(t)
	app := w.client(t)
	live := app.Database("opendata").Collection("listings")
	rsFill(t, live, "before", 23)
	w.backup(t)
	rsFill(t, live, "after", 100)

	code, _, errOut := w.citadel(t, "restore", "latest", "--to-rs", "rs1", "--ns-from", "opendat.*", "--ns-to", "copy2.*", "--drop", "--yes")
	if code != 2 || !strings.Contains(errOut, `"opendat.*"`) || !strings.Contains(errOut, "opendata.listings") {
		t.Errorf("restore with an --ns-from that matches nothing: exit %d, want 2 naming the pattern and opendata.listings", code)
	}
	if n := rsCount(t, live, bson.D{}); n != 123 {
		t.Errorf("opendata.listings holds %d documents after the refused restore, want 123", n)
	}
	if n := rsCount(t, live, bson.D{{Key: "tag", Value: "after"}}); n != 100 {
		t.Errorf("%d of the 100 documents written after the backup are left", n)
	}
	if names := rsCollections(t, app, "copy2"); len(names) != 0 {
		t.Errorf("the refused restore created copy2.%v", names)
	}

	code, out, _ := w.citadel(t, "restore", "latest", "--to-rs", "rs1", "--ns-from", "opendata.*", "--ns-to", "copy2.*")
	if code != 0 || !strings.Contains(out, "opendata.listings → copy2.listings") {
		t.Fatalf("restore renamed: exit %d, want 0 and the line opendata.listings → copy2.listings", code)
	}
	if n := rsCount(t, app.Database("copy2").Collection("listings"), bson.D{}); n != 23 {
		t.Errorf("copy2.listings holds %d documents, want the backup's 23", n)
	}
	if n := rsCount(t, live, bson.D{}); n != 123 {
		t.Errorf("opendata.listings holds %d documents after the renamed restore, want 123", n)
	}
}
