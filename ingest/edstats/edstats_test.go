package edstats

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

const dir = "testdata/edstats"

func TestLoadFixtures(t *testing.T) {
	db := ingesttest.DB(t)
	ctx := context.Background()
	l, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ingest.CollStats{
		Countries:     {Docs: 8, Inserted: 8, Rejected: 1},
		Series:        {Docs: 4, Inserted: 4},
		CountrySeries: {Docs: 3, Inserted: 3},
		Footnotes:     {Docs: 3, Inserted: 3, Rejected: 1},
		Data:          {Docs: 12, Inserted: 12, Skipped: 2, Rejected: 2},
		Meta:          {Docs: 1, Inserted: 1},
	}
	for c, w := range want {
		if got := rep.Collections[c]; got == nil || *got != w {
			t.Errorf("%s: %+v, want %+v", c, got, w)
		}
	}
	reasons := ingesttest.Reasons(rep)
	if !reflect.DeepEqual(reasons, map[string]int64{"wrong number of fields": 1, "bad year": 1, "bad number": 1, "unknown country": 1}) {
		t.Errorf("reasons %v (%v)", reasons, rep.Samples)
	}
	if rep.Read != 36 {
		t.Errorf("read %d, want 36", rep.Read)
	}
	rep, err = ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil || rep.Unchanged != 31 || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
	checkTraps(t, db)
	t.Run("probes", func(t *testing.T) { checkProbes(t, db) })
}

func checkTraps(t *testing.T, db *mongo.Database) {
	get := func(coll, id string) bson.M { return ingesttest.FindID(t, db.Collection(coll), id) }
	if g := get(Countries, "GIB"); g["aggregate"] != false || g["region"] != nil {
		t.Errorf("Gibraltar has no region but is not an aggregate: %v", g)
	}
	if a := get(Countries, "ARB"); a["aggregate"] != true || a["2_alpha_code"] != "1A" {
		t.Errorf("Arab World is an aggregate: %v", a)
	}
	if c := get(Countries, "CIV"); c["short_name"] != "Côte d'Ivoire" || c["special_notes"] != "Données – estimations" {
		t.Errorf("non-ASCII text: %v", c)
	}
	if s := get(Series, "SE.PRM.ENRR"); !strings.Contains(s["long_definition"].(string), "age,\nexpressed") {
		t.Errorf("quoted newline: %v", s)
	}
	if f := get(Footnotes, "FRA/SE.PRM.ENRR/YR2001"); f["year"] != int32(2001) {
		t.Errorf("footnote year: %v", f)
	}
	d := get(Data, "FRA/SE.PRM.ENRR")
	first := d["values"].(bson.A)[0].(bson.D)
	if d["n_values"] != int32(4) || first[0].Value != int32(1970) || first[1].Value != 117.08306 {
		t.Errorf("only years with values: %v", d)
	}
	p := get(Data, "SEN/PRJ.ATT.15UP.NED.MF")
	if last := p["values"].(bson.A)[2].(bson.D); last[0].Value != int32(2100) {
		t.Errorf("projection years: %v", p)
	}
}

func checkProbes(t *testing.T, db *mongo.Database) {
	cases := []ingesttest.ProbeCase{
		{Name: "fill-rate-indicator", Want: `[["SE.PRM.ENRR",16,0.0308],["PRJ.ATT.15UP.NED.MF",6,0.0115],["SE.SEC.ENRR",3,0.0058],["SE.XPD.TOTL.GD.ZS",1,0.0019]]`},
		{Name: "fill-rate-year", Want: `[[1970,1,0.0313],[2000,3,0.0938],[2010,8,0.25],[2015,8,0.25],[2020,2,0.0625],[2050,2,0.0625],[2100,2,0.0625]]`},
		{Name: "most-complete-countries", Want: `[["FRA",10,0.0385],["SEN",7,0.0269],["BEL",2,0.0077],["CIV",1,0.0038],["GIB",1,0.0038]]`},
		{Name: "top-countries", Want: `[["GIB","Gibraltar",110.4],["FRA","France",105.7],["BEL","Belgium",103.6],["CIV","Côte d'Ivoire",94.5],["SEN","Senegal",81.2]]`},
		{Name: "top-countries", Args: ingest.ProbeArgs{"indicator": "PRJ.ATT.15UP.NED.MF", "year": "2050"}, Want: `[["SEN","Senegal",28.1],["FRA","France",0.2]]`},
	}
	ingesttest.CheckProbes(t, db, Probes(), cases)
}

func TestMissingFileAndHeader(t *testing.T) {
	empty := t.TempDir()
	if _, err := New(empty); err == nil || !strings.Contains(err.Error(), "EdStatsData.csv") {
		t.Fatalf("missing files: %v", err)
	}
	d := t.TempDir()
	for _, f := range FileNames() {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if f == "EdStatsData.csv" {
			b = []byte(strings.Replace(string(b), `"Indicator Code"`, `"Indicator"`, 1))
		}
		os.WriteFile(filepath.Join(d, f), b, 0o600)
	}
	l, _ := New(d)
	_, err := ingest.Run(context.Background(), nil, l, ingest.Options{DryRun: true, MaxErrorRate: 1})
	if err == nil || !strings.Contains(err.Error(), "EdStatsData.csv:1:") || !strings.Contains(err.Error(), `"Indicator Code"`) {
		t.Fatalf("renamed column: %v", err)
	}
}
