package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
)

// TestQualityCommand: `citadel quality` on loaded fixtures. The fixtures
// hold bad rows on purpose, so the default thresholds are breached: the
// report is printed (table, JSON or HTML), breaches first, and the exit
// code is 3. With the config's thresholds relaxed for the dataset the
// same report exits 0. Mistakes are usage errors (exit 2).
func TestQualityCommand(t *testing.T) {
	uri, db := fixtureDB(t, "airbnb", "weather")
	none := filepath.Join(t.TempDir(), "none.yaml")
	cli := func(cfg string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append(append([]string{"--config", cfg}, args...), "--uri", uri)...)
	}

	code, out, errOut := cli(none, "quality", "airbnb", "--runs", "2")
	if code != 3 || !strings.HasPrefix(out, "quality of airbnb (database opendata)") ||
		strings.Index(out, "BREACHES") > strings.Index(out, "listings: ") ||
		!strings.HasPrefix(errOut, "citadel: quality airbnb: ") || !strings.Contains(out, "canned questions (citadel report airbnb), 2 runs each") {
		t.Fatalf("quality airbnb: exit %d\n%s\n%s", code, out, errOut)
	}

	// JSON, through the global flag too: the figures match the database.
	var rep struct {
		Runs        int
		Breaches    []struct{ Where, Check string }
		Collections []struct {
			Name      string
			Documents int64
			Rejects   int64
		}
		Questions []struct {
			Name string
			Runs int
		}
	}
	for _, args := range [][]string{{"quality", "airbnb", "-o", "json", "--runs", "1"}, {"-o", "json", "quality", "airbnb", "--runs", "1"}} {
		code, out, errOut = cli(none, args...)
		if code != 3 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	docs, _ := db.Collection("listings").CountDocuments(t.Context(), map[string]any{})
	rejects, _ := db.Collection("listings_rejects").CountDocuments(t.Context(), map[string]any{})
	if rep.Runs != 1 || len(rep.Collections) != 1 || rep.Collections[0].Documents != docs || rep.Collections[0].Rejects != rejects ||
		len(rep.Breaches) == 0 || len(rep.Questions) == 0 || rep.Questions[0].Runs != 1 {
		t.Errorf("JSON report %+v; the database holds %d listings and %d rejects", rep, docs, rejects)
	}

	code, out, _ = cli(none, "quality", "weather", "--html", "--runs", "1")
	if code != 3 || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, `<div class="breach">`) || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("quality weather --html: exit %d\n%s", code, out)
	}

	// The config's thresholds: relaxed for airbnb, nothing is breached.
	relaxed := strings.Replace(string(config.Example()), "      min_fill_rate: 0.9 ", "      min_fill_rate: 0.5\n      max_reject_rate: 0.5\n      max_p95: 1h ", 1)
	cfg := filepath.Join(t.TempDir(), "citadel.yaml")
	if relaxed == string(config.Example()) || os.WriteFile(cfg, []byte(relaxed), 0o600) != nil {
		t.Fatal("cannot relax the example's airbnb thresholds")
	}
	if code, out, errOut = cli(cfg, "quality", "airbnb", "--runs", "1"); code != 0 || !strings.Contains(out, "no breach") {
		t.Errorf("relaxed thresholds: exit %d\n%s\n%s", code, out, errOut)
	}

	cases := []struct {
		args  string
		code  int
		first string
	}{
		{"quality", 2, "citadel: usage: citadel quality DATASET"},
		{"quality nosuch", 2, `citadel: unknown dataset "nosuch": use one of airbnb,`},
		{"quality airbnb -o xml", 2, `citadel: --output "xml": use table or json`},
		{"quality airbnb --html -o json", 2, `citadel: quality: --html and -o json: choose one`},
		{"quality airbnb --runs -1", 2, "citadel: quality: --runs -1: give 1 to 1000 runs"},
		{"quality airbnb --runs 0", 2, "citadel: quality: --runs 0: give 1 to 1000 runs"},
		{"quality --runs 0 airbnb", 2, "citadel: quality: --runs 0: give 1 to 1000 runs"},
		{"quality dvf", 2, "citadel: quality dvf: database opendata holds no dvf data"},
	}
	for _, tc := range cases {
		code, _, errOut := cli(none, strings.Fields(tc.args)...)
		if first, _, _ := strings.Cut(errOut, "\n"); code != tc.code || !strings.HasPrefix(first, tc.first) {
			t.Errorf("citadel %s: exit %d, %q; want %d, %q", tc.args, code, first, tc.code, tc.first)
		}
	}
}
