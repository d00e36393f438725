package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withIngest is base with an ingest section that each case completes.
const withIngest = base + `ingest:
  replica_set: main
  database: opendata
`

// TestQualityAndStationsRules: each mistake is reported at its file:line
// with the field's path.
func TestQualityAndStationsRules(t *testing.T) {
	station := "  weather_stations:\n    - {id: ILILLE99, name: Lille, time_zone: Europe/Paris}\n"
	cases := []struct {
		name, add, want string
		line            int
	}{
		{"fill rate out of range", "quality:\n  defaults:\n    min_fill_rate: 95\n", "quality.defaults.min_fill_rate: min_fill_rate 95 out of range", 18},
		{"unknown dataset", "quality:\n  datasets:\n    wether: {max_age: 48h}\n", `quality.datasets.wether: unknown dataset "wether"; did you mean "weather"?`, 18},
		{"bad duration", "quality:\n  datasets:\n    weather: {max_age: 2days}\n", `invalid duration "2days"`, 18},
		{"zero p95", "quality:\n  defaults: {max_p95: 0}\n", "max_p95 0 would fail every question", 17},
		{"runs", "quality:\n  runs: -2\n", "quality.runs: runs -2 out of range", 17},
		{"negative duplicates", "quality:\n  defaults: {max_duplicates: -1}\n", "max_duplicates cannot be negative", 17},
		{"station zone", "  weather_stations:\n    - {id: ILILLE99, name: Lille, time_zone: Europe/Lile}\n",
			`ingest.weather_stations[0].time_zone: unknown time zone "Europe/Lile"`, 17},
		{"station twice", station + "    - {id: ilille99, name: Lille 2, time_zone: UTC}\n",
			`ingest.weather_stations[1].id: duplicate station id "ilille99" (first at ingest.weather_stations[0])`, 18},
		{"station without zone", "  weather_stations:\n    - {id: ILILLE99, name: Lille}\n", "ingest.weather_stations[0].time_zone: time_zone is missing", 17},
		{"station units", "  weather_stations:\n    - {id: X1, name: x, time_zone: UTC, units: kelvin}\n", `unknown units "kelvin"`, 17},
		{"station latitude", "  weather_stations:\n    - {id: X1, name: x, time_zone: UTC, latitude: 95, longitude: 3}\n", "latitude 95 out of range", 17},
		{"station half place", "  weather_stations:\n    - {id: X1, name: x, time_zone: UTC, latitude: 50}\n", "only one of latitude and longitude", 17},
		{"station id", "  weather_stations:\n    - {id: \"I LILLE\", name: x, time_zone: UTC}\n", `invalid station id "I LILLE"`, 17},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(withIngest+tc.add))
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			for _, p := range e.Problems {
				if strings.Contains(p.String(), tc.want) && p.Line != tc.line {
					t.Errorf("%s at line %d, want line %d", p, p.Line, tc.line)
				}
			}
		})
	}
	if _, err := Parse("t.yaml", []byte(withIngest+station)); err != nil {
		t.Fatalf("a valid station: %v", err)
	}
}

func TestQualityFor(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(withIngest+"quality:\n  runs: 3\n  defaults: {min_fill_rate: 0.9, max_p95: 2s}\n  datasets:\n    weather: {max_age: 48h, min_fill_rate: 0.5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, a := cfg.Quality.For("weather"), cfg.Quality.For("airbnb")
	if w.Runs != 3 || w.MinFillRate != 0.5 || w.MaxAge != 48*time.Hour || w.MaxP95 != 2*time.Second || w.MaxRejectRate != 0.01 {
		t.Errorf("weather: %+v", w)
	}
	if a.MinFillRate != 0.9 || a.MaxAge != 0 || a.MaxP95 != 2*time.Second {
		t.Errorf("airbnb: %+v", a)
	}
	var none *Quality
	if none.For("dvf") != DefaultQualityLimits {
		t.Errorf("no section: %+v", none.For("dvf"))
	}
	ex, err := Parse("example.yaml", Example())
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Ingest.WeatherStations) != 2 || ex.Quality.For("dvf") != DefaultQualityLimits {
		t.Errorf("the example shows the defaults: stations %v, dvf %+v", ex.Ingest.WeatherStations, ex.Quality.For("dvf"))
	}
}
