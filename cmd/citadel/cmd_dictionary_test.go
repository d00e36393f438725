package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest/fixtureset"
	"github.com/noscites/citadel/test/testbed"
)

// fixtureDB starts a FerretDB holding the named datasets' fixtures in
// database opendata, and returns its URI and the database.
func fixtureDB(t *testing.T, datasets ...string) (string, *mongo.Database) {
	t.Helper()
	srv := testbed.StartFerretDBT(t)
	db := testbed.Connect(t, srv.URI()).Database("opendata")
	fixtureset.Load(t, db, t.TempDir(), datasets...)
	return srv.URI(), db
}

// TestDictionaryCommand: `citadel dictionary` on loaded fixtures prints
// the table, the JSON and the workbook, with figures counted here; its
// mistakes are usage errors (exit 2) and a workbook it cannot write is
// exit 1 naming the file.
func TestDictionaryCommand(t *testing.T) {
	uri, db := fixtureDB(t, "airbnb", "dvf", "supermarket")
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "none.yaml")
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append(append([]string{"--config", cfg}, args...), "--uri", uri)...)
	}
	count := func(coll string, filter bson.D) int64 {
		n, err := db.Collection(coll).CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// JSON: the DVF mutations and the fill of surface_bati, counted here.
	code, out, errOut := cli("dictionary", "dvf", "-o", "json")
	var d struct {
		Dataset     string
		Collections []struct {
			Name      string
			Documents int64
			Fields    []struct {
				Path      string
				Documents int64
				FillRate  float64 `json:"fill_rate"`
				Types     []struct{ Type string }
				Example   any
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Dataset != "dvf" || len(d.Collections) != 1 {
		t.Fatalf("dictionary dvf -o json: exit %d\n%s\n%s", code, out, errOut)
	}
	total := count("mutations", bson.D{})
	built := count("mutations", bson.D{{Key: "surface_bati", Value: bson.D{{Key: "$type", Value: "double"}}}})
	found := false
	for _, f := range d.Collections[0].Fields {
		if f.Path == "surface_bati" {
			found = true
			if f.Documents != built || f.FillRate != float64(built)/float64(total) || len(f.Types) != 1 || f.Types[0].Type != "double" {
				t.Errorf("surface_bati: %+v, counted %d of %d", f, built, total)
			}
		}
	}
	if d.Collections[0].Documents != total || !found {
		t.Errorf("mutations: %d documents (want %d), surface_bati found %v", d.Collections[0].Documents, total, found)
	}

	// Table, and the workbook with --out.
	book := filepath.Join(t.TempDir(), "airbnb.xlsx")
	code, out, errOut = cli("dictionary", "airbnb", "--out", book)
	if first, _, _ := strings.Cut(out, "\n"); code != 0 || !strings.HasPrefix(first, "listings: 23 documents, ") ||
		!strings.HasSuffix(first, " field paths") || !tableHasRow(out, "price", "double", "100%", "91.3%") ||
		!strings.Contains(out, "dictionary written to "+book) {
		t.Fatalf("dictionary airbnb --out: exit %d\n%s\n%s", code, out, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "Collections,listings" {
		t.Errorf("sheets %s", got)
	}
	f.Close()

	// Personal data: no example of a name or an email, in any output.
	code, out, _ = cli("dictionary", "supermarket", "-o", "json")
	if code != 0 || strings.Contains(out, "pseudo:") || strings.Contains(out, "@supersmartmarket") || strings.Contains(out, "Dupont") {
		t.Errorf("supermarket: exit %d, personal values in the JSON:\n%s", code, out)
	}

	missing := filepath.Join(t.TempDir(), "missing", "d.xlsx")
	cases := []struct {
		args  string
		code  int
		first string
	}{
		{"dictionary", 2, "citadel: usage: citadel dictionary DATASET"},
		{"dictionary nosuch", 2, `citadel: unknown dataset "nosuch": use one of airbnb,`},
		{"dictionary airbnb --out dict.csv", 2, "citadel: dictionary: --out dict.csv: name an .xlsx file"},
		{"dictionary airbnb --sample -1", 2, "citadel: dictionary: --sample -1: give a number of documents"},
		{"dictionary edstats", 2, "citadel: dictionary edstats: database opendata holds no edstats data"},
		{"dictionary airbnb --out " + missing, 1, "citadel: dictionary airbnb: write " + missing + ":"},
	}
	for _, tc := range cases {
		code, _, errOut := cli(strings.Fields(tc.args)...)
		first, _, _ := strings.Cut(errOut, "\n")
		if code != tc.code || !strings.HasPrefix(first, tc.first) {
			t.Errorf("citadel %s: exit %d, %q; want %d, %q", tc.args, code, first, tc.code, tc.first)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(book)); len(entries) != 1 {
		t.Errorf("the workbook's directory holds %d files, want the workbook alone (no temporary file left)", len(entries))
	}
}

// tableHasRow reports whether a table line starts with the given words.
func tableHasRow(out string, words ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= len(words) && slices.Equal(f[:len(words)], words) {
			return true
		}
	}
	return false
}
