package test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestRestoreSafetyDropAsks: restore --drop into a set that serves an
// application lists what it would drop (namespace, document count) and,
// with no terminal to ask on, refuses with exit 4 and drops nothing;
// --yes drops and restores.
func TestRestoreSafetyDropAsks(t *testing.T) {
	w := rsStart(t)
	live := w.client(t).Database("opendata").Collection("listings")
	rsFill(t, live, "before", 23)
	w.backup(t)
	rsFill(t, live, "after", 100)

	code, _, errOut := w.citadel(t, "restore", "latest", "--to-rs", "rs1", "--drop")
	if code != 4 {
		t.Errorf("restore --drop without --yes and without a terminal: exit %d, want 4", code)
	}
	if !strings.Contains(errOut, "opendata.listings") || !strings.Contains(errOut, "123 documents") || !strings.Contains(errOut, "--yes") {
		t.Errorf("the refusal does not list opendata.listings with its 123 documents and point to --yes")
	}
	if n := rsCount(t, live, bson.D{}); n != 123 {
		t.Fatalf("opendata.listings holds %d documents after the refused restore, want 123", n)
	}

	code, out, _ := w.citadel(t, "-o", "json", "restore", "latest", "--to-rs", "rs1", "--drop", "--yes")
	var rep struct {
		Collections []struct{ Source, Target string }
		Documents   int64
		Verified    bool
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Verified || rep.Documents != 23 {
		t.Fatalf("restore --drop --yes: exit %d, want 0 with 23 verified documents", code)
	}
	if n := rsCount(t, live, bson.D{}); n != 23 {
		t.Errorf("opendata.listings holds %d documents after restore --drop --yes, want the backup's 23", n)
	}
}
