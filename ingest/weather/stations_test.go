package weather

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

func TestNewStations(t *testing.T) {
	ok := WUStation{ID: "ilille99", Name: "Lille", TZ: "Europe/Paris"}
	cases := []struct {
		name string
		list []WUStation
		want string
	}{
		{"no id", []WUStation{{Name: "x", TZ: "Europe/Paris"}}, "no id"},
		{"twice", []WUStation{ok, {ID: "ILILLE99", TZ: "UTC"}}, "ILILLE99: listed twice"},
		{"bad zone", []WUStation{{ID: "X1", TZ: "Europe/Lile"}}, `time zone "Europe/Lile" does not load`},
		{"no zone", []WUStation{{ID: "X1"}}, `time zone ""`},
		{"bad units", []WUStation{{ID: "X1", TZ: "UTC", Units: "kelvin"}}, `units "kelvin"`},
	}
	for _, tc := range cases {
		if _, err := NewStations(tc.list); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	table, err := NewStations([]WUStation{ok})
	if err != nil {
		t.Fatal(err)
	}
	w, err := table.Workbook("f.xlsx", "Ilille99")
	if err != nil || w.Station.ID != "ILILLE99" || w.Station.Units != Imperial {
		t.Errorf("workbook of a configured station: %+v %v", w, err)
	}
	if _, err := table.Workbook("f.xlsx", "ILAMAD25"); err == nil || !strings.Contains(err.Error(), "ILILLE99") || !strings.Contains(err.Error(), "ingest.weather_stations") {
		t.Errorf("a configured table replaces the defaults: %v", err)
	}
}

// TestConfiguredMetricStation: a station the code does not know, with
// metric units and a place, loads; its readings are not converted again
// and its document carries the place.
func TestConfiguredMetricStation(t *testing.T) {
	lat, lon, elev := 50.63, 3.06, 21.0
	table, err := NewStations([]WUStation{{ID: "ILILLE99", Name: "Lille Centre", Country: "FR", TZ: "Europe/Paris",
		Latitude: &lat, Longitude: &lon, Elevation: &elev, Units: Metric}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "lille.xlsx")
	u := func(v, unit string) string { return v + nb + unit }
	rows := [][]any{
		{hm(12, 0), u("14.2", "°C"), u("9.1", "°C"), u("71", "%"), "W", u("13.0", "km/h"), u("22.5", "km/h"), u("1016.2", "hPa"), u("0.0", "mm"), u("0.4", "mm"), "2", u("310", "w/m²")},
		{hm(12, 5), u("57.0", "°F"), u("9.0", "°C"), u("70", "%"), "W", u("12.0", "km/h"), u("20.0", "km/h"), u("1016.1", "hPa"), u("0.0", "mm"), u("0.4", "mm"), "2", u("300", "w/m²")},
	}
	if err := WriteWorkbook(p, []Sheet{{Name: "150624", Rows: rows}}); err != nil {
		t.Fatal(err)
	}
	w, err := table.Workbook(p, "ILILLE99")
	if err != nil {
		t.Fatal(err)
	}
	db := ingesttest.DB(t)
	rep, err := ingest.Run(context.Background(), db, &Loader{Workbooks: []Workbook{w}}, ingest.Options{MaxErrorRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Collections[Readings].Inserted != 1 || ingesttest.Reasons(rep)["bad unit"] != 1 {
		t.Fatalf("one metric reading, one °F value in a metric workbook rejected: %+v %v", rep.Collections[Readings], rep.Samples)
	}
	r := ingesttest.FindID(t, db.Collection(Readings), "ILILLE99/2024-06-15T10:00:00Z")
	if r["temperature_c"] != 14.2 || r["pressure_hpa"] != 1016.2 || r["wind_kmh"] != 13.0 || r["precip_accum_mm"] != 0.4 {
		t.Errorf("metric values stored as written: %v", r)
	}
	s := ingesttest.FindID(t, db.Collection(Stations), "ILILLE99")
	if s["name"] != "Lille Centre" || s["units"] != Metric || s["latitude"] != lat || s["elevation_m"] != elev || s["time_zone"] != "Europe/Paris" {
		t.Errorf("station document: %v", s)
	}
}
