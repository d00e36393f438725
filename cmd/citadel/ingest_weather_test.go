package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest/weather"
)

// TestIngestWeatherStationsFromConfig: a station the config's
// ingest.weather_stations adds is accepted for a workbook; the two
// built-in ones are then unknown unless listed, and the message says where
// a new station goes.
func TestIngestWeatherStationsFromConfig(t *testing.T) {
	books, err := weather.FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := exampleConfig(t, func(s string) string {
		return strings.Replace(s, "    - id: ILAMAD25\n      name: La Madeleine", "    - id: IROUBA12\n      name: Roubaix", 1)
	})
	code, out, errOut := runCLI(t, "", "--config", cfg, "-o", "json", "ingest", "weather", "--dry-run", "--max-error-rate", "0.9",
		"--wunderground", books["ILAMAD25"], "--station", "irouba12")
	var rep struct {
		Docs int64 `json:"documents"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Docs == 0 {
		t.Fatalf("station from the config: exit %d %+v\n%s\n%s", code, rep, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "--config", cfg, "ingest", "weather", "--dry-run",
		"--wunderground", books["ILAMAD25"], "--station", "ILAMAD25")
	if code != 2 || !strings.Contains(errOut, "IROUBA12") || !strings.Contains(errOut, "ingest.weather_stations") {
		t.Fatalf("station not in the config: exit %d %s", code, errOut)
	}
}
