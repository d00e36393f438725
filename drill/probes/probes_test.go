package probes

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/ingest"
)

func TestFind(t *testing.T) {
	m := &manifest.Manifest{Collections: []manifest.Collection{
		{DB: "citadel", Name: "listings", Type: "collection"},
		{DB: "other", Name: "listings", Type: "collection"},
		{DB: "citadel", Name: "weather_readings", Type: "collection"},
		{DB: "citadel", Name: "weather_stations", Type: "view"},
		{DB: "admin", Name: "listings", Type: "collection"},
		{DB: "app", Name: "users", Type: "collection"},
	}}
	var got []string
	for _, mt := range Find(m) {
		got = append(got, mt.Dataset.Name+"@"+mt.Database+":"+strings.Join(mt.Collections, ","))
	}
	want := "airbnb@citadel:listings airbnb@other:listings weather@citadel:weather_readings"
	if strings.Join(got, " ") != want {
		t.Fatalf("matches %q, want %q", got, want)
	}
}

func TestTouches(t *testing.T) {
	mt := Match{Database: "citadel", Collections: []string{"listings"}}
	cmd := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		op, ns string
		o      bson.Raw
		want   bool
	}{
		{"i", "citadel.listings", nil, true},
		{"u", "citadel.listings", nil, true},
		{"d", "citadel.listings", nil, true},
		{"i", "citadel.other", nil, false},
		{"i", "other.listings", nil, false},
		{"i", "citadelx.listings", nil, false},
		{"n", "citadel.listings", nil, false},
		{"c", "admin.$cmd", cmd(bson.D{{Key: "drop", Value: "listings"}}), false},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "create", Value: "notes"}}), false},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "drop", Value: "listings"}}), true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "createIndexes", Value: "listings"}, {Key: "v", Value: 2}}), true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "dropIndexes", Value: "notes"}}), false},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "renameCollection", Value: "citadel.listings"}, {Key: "to", Value: "citadel.old"}}), true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "renameCollection", Value: "citadel.tmp"}, {Key: "to", Value: "citadel.listings"}}), true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "renameCollection", Value: "citadel.tmp"}, {Key: "to", Value: "citadel.tmp2"}}), false},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "dropDatabase", Value: 1}}), true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "applyOps", Value: bson.A{}}}), true}, // not looked into
		{"c", "citadel.$cmd", nil, true},
		{"c", "citadel.$cmd", cmd(bson.D{{Key: "drop", Value: 7}}), true},
	}
	for _, c := range cases {
		if got := mt.Touches(c.op, c.ns, c.o); got != c.want {
			t.Errorf("Touches(%s, %s, %v) = %v, want %v", c.op, c.ns, c.o, got, c.want)
		}
	}
}

func answer(t *testing.T, name string, rows ...[]any) manifest.ProbeAnswer {
	t.Helper()
	a, err := record(ingest.Answer{Name: name, Table: &ingest.Table{Columns: []string{"city", "n"}, Rows: rows}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCompare(t *testing.T) {
	want := []manifest.ProbeAnswer{answer(t, "by-city", []any{"paris", 18}), answer(t, "gone", []any{"x", 1})}
	// A fresh answer with ints and one read back from JSON (float64) agree.
	same := []manifest.ProbeAnswer{answer(t, "by-city", []any{"paris", 18.0}), answer(t, "gone", []any{"x", int64(1)})}
	if r := Compare("airbnb", "citadel", want, same, true); len(r) != 0 {
		t.Fatalf("equal answers differ: %q", r)
	}
	changed := []manifest.ProbeAnswer{answer(t, "by-city", []any{"paris", 17})}
	r := Compare("airbnb", "citadel", want, changed, true)
	if len(r) != 2 || !strings.Contains(r[0], "probe airbnb/by-city over citadel: the answer changed: expected") ||
		!strings.Contains(r[0], `["paris",18]`) || !strings.Contains(r[0], `["paris",17]`) || !strings.Contains(r[1], "airbnb/gone") {
		t.Fatalf("reasons %q", r)
	}
}

func TestRecordKeepsSmallTables(t *testing.T) {
	small := answer(t, "small", []any{"paris", 1})
	var rows [][]any
	for i := range 2000 {
		rows = append(rows, []any{strings.Repeat("c", 10), i})
	}
	big := answer(t, "big", rows...)
	if small.Rows == nil || big.Rows != nil || len(big.SHA256) != 64 {
		t.Fatalf("small rows %v, big rows kept: %v", small.Rows, big.Rows != nil)
	}
	r := Compare("d", "db", []manifest.ProbeAnswer{big}, []manifest.ProbeAnswer{answer(t, "big", rows[:10]...)}, true)
	if len(r) != 1 || !strings.Contains(r[0], "too large to keep") {
		t.Fatalf("reasons %q", r)
	}
	// An encrypted backup's answers are not shown in the (clear) report.
	r = Compare("d", "db", []manifest.ProbeAnswer{small}, []manifest.ProbeAnswer{answer(t, "small", []any{"lyon", 2})}, false)
	if len(r) != 1 || strings.Contains(r[0], "paris") || strings.Contains(r[0], "lyon") || !strings.Contains(r[0], "backup is encrypted") {
		t.Fatalf("reasons of an encrypted backup %q", r)
	}
}
