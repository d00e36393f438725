package weather

import (
	"context"
	"errors"
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

const infoFile = "testdata/infoclimat-hdf-2024-10.json"

func fixtureLoader(t *testing.T) *Loader {
	t.Helper()
	books, err := FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := &Loader{Infoclimat: []string{infoFile}}
	for _, id := range []string{"ILAMAD25", "IICHTE19"} {
		w, err := NewWorkbook(books[id], id)
		if err != nil {
			t.Fatal(err)
		}
		l.Workbooks = append(l.Workbooks, w)
	}
	return l
}

func TestLoadFixtures(t *testing.T) {
	db := ingesttest.DB(t)
	ctx := context.Background()
	l := fixtureLoader(t)
	rep, err := ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if r, s := rep.Collections[Readings], rep.Collections[Stations]; r.Inserted != 26 || r.Rejected != 7 || s.Inserted != 6 || rep.Read != 37 {
		t.Fatalf("first load: readings %+v stations %+v read %d %v", r, s, rep.Read, rep.Samples)
	}
	reasons := ingesttest.Reasons(rep)
	want := map[string]int64{"bad number": 2, "bad date": 1, "station mismatch": 1, "duplicate key": 1, "bad unit": 1, "bad wind direction": 1}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("reasons %v, want %v", reasons, want)
	}
	if len(rep.Warnings) != 2 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "[Summary]: not a day sheet") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	rep, err = ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil || rep.Unchanged != 32 || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
	checkTraps(t, db)
	t.Run("probes", func(t *testing.T) { checkProbes(t, db) })
}

func checkTraps(t *testing.T, db *mongo.Database) {
	get := func(id string) bson.M { return ingesttest.FindID(t, db.Collection(Readings), id) }
	if d := get("07015/2024-10-26T23:00:00Z"); d["temperature_c"] != 10.9 || d["gust_kmh"] != nil || d["weather_code"] != 61.0 {
		t.Errorf("numbers as strings, empty string missing: %v", d)
	}
	// 27 Oct 2024 in Europe/Paris: 02:00 CEST then 02:00 CET, an hour apart in UTC.
	first, second := get("ILAMAD25/2024-10-27T00:00:00Z"), get("ILAMAD25/2024-10-27T01:00:00Z")
	if first["local_time"] != "2024-10-27 02:00:00 CEST" || second["local_time"] != "2024-10-27 02:00:00 CET" {
		t.Errorf("DST end: %v / %v", first["local_time"], second["local_time"])
	}
	if first["temperature_c"] != 11.17 || first["pressure_hpa"] != 1017.61 || first["wind_kmh"] != 3.22 || first["wind_dir_deg"] != 0.0 {
		t.Errorf("unit conversions: %v", first)
	}
	if src := first["source_values"].(bson.D); src[0].Value != "52.1\u00a0°F" {
		t.Errorf("source value kept: %v", src)
	}
	be := get("IICHTE19/2024-10-01T07:00:00Z")
	if be["temperature_c"] != 13.0 || be["wind_dir"] != "WSW" {
		t.Errorf("Brussels time to UTC: %v", be)
	}
}

func checkProbes(t *testing.T, db *mongo.Database) {
	cases := []ingesttest.ProbeCase{
		{Name: "data-quality", Want: `[["all",7,33,0.2121],["bad number",2,33,0.0606],["bad date",1,33,0.0303],["bad unit",1,33,0.0303],["bad wind direction",1,33,0.0303],["duplicate key",1,33,0.0303],["station mismatch",1,33,0.0303]]`},
		{Name: "latest", Want: `[["00052","2024-10-27T00:10:00Z",10.3],["000R5","2024-10-27T00:00:00Z",11.7],["07015","2024-10-27T02:00:00Z",9.8],["IICHTE19","2024-10-01T07:10:00Z",13.5],["ILAMAD25","2024-10-27T02:00:00Z",10.72],["STATIC0010","2024-10-27T00:10:00Z",10.8]]`},
		{Name: "station-day", Want: `[["2024-10-27T00:00:00Z",10.4,96,1020.9,5.4],["2024-10-27T01:00:00Z",10.1,97,1020.5,3.6],["2024-10-27T02:00:00Z",9.8,97,1020.1,3.6]]`},
		{Name: "daily-mean-temperature", Want: `[["00052","2024-10-26",2,10.55],["00052","2024-10-27",2,10.4],["000R5","2024-10-26",1,11.8],["000R5","2024-10-27",1,11.7],["07015","2024-10-26",2,11.05],["07015","2024-10-27",3,10.1],["IICHTE19","2024-10-01",3,13.26],["ILAMAD25","2024-10-25",2,13.73],["ILAMAD25","2024-10-26",3,14.2],["ILAMAD25","2024-10-27",5,10.91],["STATIC0010","2024-10-27",2,10.85]]`},
		{Name: "readings-per-day", Want: `[["00052","2024-10-26",2],["00052","2024-10-27",2],["000R5","2024-10-26",1],["000R5","2024-10-27",1],["07015","2024-10-26",2],["07015","2024-10-27",3],["IICHTE19","2024-10-01",3],["ILAMAD25","2024-10-25",2],["ILAMAD25","2024-10-26",3],["ILAMAD25","2024-10-27",5],["STATIC0010","2024-10-27",2]]`},
	}
	ingesttest.CheckProbes(t, db, Probes(), cases)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(infoFile)
	cases := map[string]struct {
		content string
		want    string
	}{
		"truncated.json": {string(good[:len(good)*2/3]), "truncated file"},
		"empty.json":     {"", "not an Infoclimat export"},
		"array.json":     {"[1,2]", "not an Infoclimat export"},
		"nohourly.json":  {`{"status":"OK","stations":[]}`, `no "hourly" key`},
	}
	for name, tc := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.content), 0o600)
		_, err := ingest.Run(context.Background(), nil, &Loader{Infoclimat: []string{p}}, ingest.Options{DryRun: true, MaxErrorRate: 1})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A workbook without day sheets, and a file that is not a workbook.
	noDays := filepath.Join(dir, "nodays.xlsx")
	if err := WriteWorkbook(noDays, []Sheet{{Name: "Feuil1", Rows: [][]any{wu(0.5, "50", "40", "80", "N", "1", "2", "30", "0", "0", "0", "0")}}}); err != nil {
		t.Fatal(err)
	}
	notXLSX := filepath.Join(dir, "garbage.xlsx")
	os.WriteFile(notXLSX, []byte("\x00\x01garbage"), 0o600)
	for p, want := range map[string]error{noDays: ErrNoDaySheets, notXLSX: ingest.ErrNotWorkbook} {
		w, _ := NewWorkbook(p, "ILAMAD25")
		_, err := ingest.Run(context.Background(), nil, &Loader{Workbooks: []Workbook{w}}, ingest.Options{DryRun: true, MaxErrorRate: 1})
		if !errors.Is(err, want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := NewWorkbook("x.xlsx", "KNOWHERE1"); err == nil || !strings.Contains(err.Error(), "ILAMAD25") {
		t.Errorf("unknown station: %v", err)
	}
}
