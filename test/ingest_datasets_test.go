package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
)

// loadTwice loads a dataset through the CLI, then again, and checks the
// counts of both runs and the exit codes.
func loadTwice(t *testing.T, env []string, inserted, rejected int64, args ...string) {
	t.Helper()
	for i, want := range []struct{ ins, unch int64 }{{inserted, 0}, {0, inserted}} {
		all := append([]string{"-o", "json", "ingest"}, args...)
		all = append(all[:3+1], append([]string{"--max-error-rate", "0.5"}, all[3+1:]...)...)
		code, out, errOut := citadel(t, env, all...)
		var rep loadJSON
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Inserted != want.ins || rep.Unchanged != want.unch || rep.Rejected != rejected {
			t.Fatalf("run %d of %v: exit %d, %+v\n%s\n%s", i+1, args, code, rep, out, errOut)
		}
	}
}

func reportRows(t *testing.T, env []string, args ...string) string {
	t.Helper()
	code, out, errOut := citadel(t, env, append([]string{"-o", "json", "report"}, args...)...)
	var ans struct {
		Answers []struct{ Rows [][]any }
	}
	if code != 0 || json.Unmarshal([]byte(out), &ans) != nil || len(ans.Answers) != 1 {
		t.Fatalf("report %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	b, _ := json.Marshal(ans.Answers[0].Rows)
	return string(b)
}

func TestIngestDatasetsCLI(t *testing.T) {
	uri, _ := ferret(t)
	env := []string{"CITADEL_INGEST_URI=" + uri, "CITADEL_CONFIG=/nonexistent/citadel.yaml", "CITADEL_PSEUDONYM_KEY=an e2e pseudonymisation key"}
	loadTwice(t, env, 21, 5, "dvf", fixture(t, "ingest/dvf/testdata/valeursfoncieres-2022.txt"), fixture(t, "ingest/dvf/testdata/valeursfoncieres-2019-latin1.txt"))
	if got := reportRows(t, env, "dvf", "idf-house-m2"); got != `[[4,3622.03]]` {
		t.Errorf("dvf idf-house-m2: %s", got)
	}
	loadTwice(t, env, 31, 4, "edstats", fixture(t, "ingest/edstats/testdata/edstats"))
	if got := reportRows(t, env, "--arg", "year=2015", "edstats", "top-countries"); !strings.HasPrefix(got, `[["GIB","Gibraltar",110.4]`) {
		t.Errorf("edstats top-countries: %s", got)
	}
	books, err := weather.FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	loadTwice(t, env, 32, 7, "weather", "--infoclimat", fixture(t, "ingest/weather/testdata/infoclimat-hdf-2024-10.json"),
		"--wunderground", books["ILAMAD25"], "--station", "ILAMAD25", "--wunderground", books["IICHTE19"], "--station", "IICHTE19")
	if got := reportRows(t, env, "weather", "data-quality"); !strings.HasPrefix(got, `[["all",7,33,0.2121]`) {
		t.Errorf("weather data-quality: %s", got)
	}
	sales, logs, err := supermarket.FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	loadTwice(t, env, 42, 11, "supermarket", "--logs", logs, sales)
	if got := reportRows(t, env, "supermarket", "day-revenue"); got != `[["2024-08-14",6,16.05,3,9.88]]` {
		t.Errorf("supermarket day-revenue: %s", got)
	}
}

func TestIngestBadWorkbooksCLI(t *testing.T) {
	uri, _ := ferret(t)
	env := []string{"CITADEL_INGEST_URI=" + uri, "CITADEL_CONFIG=/nonexistent/citadel.yaml", "CITADEL_PSEUDONYM_KEY=an e2e pseudonymisation key"}
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong.xlsx")
	if err := supermarket.WriteWorkbook(wrong, []string{"Feuil1"}, map[string][][]any{"Feuil1": {{"a", "b"}}}); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.xlsx")
	if err := os.WriteFile(garbage, []byte("\x89PNG\r\n\x1a\n not a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"supermarket", wrong}, 1, []string{wrong, `missing sheet "Vente Détail"`, "sheets found: Feuil1"}},
		{[]string{"supermarket", garbage}, 1, []string{garbage, "not an Excel workbook"}},
		{[]string{"weather", "--wunderground", wrong, "--station", "ILAMAD25"}, 1, []string{wrong, "no sheet named DDMMYY", "Feuil1"}},
		{[]string{"weather", "--wunderground", wrong}, 2, []string{"--station"}},
		{[]string{"weather"}, 2, []string{"--infoclimat"}},
		{[]string{"edstats", dir}, 1, []string{"EdStatsData.csv"}},
	}
	for _, tc := range cases {
		code, _, errOut := citadel(t, env, append([]string{"ingest"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: %q lacks %q", tc.args, errOut, w)
			}
		}
	}
	code, _, errOut := citadel(t, []string{"CITADEL_INGEST_URI=" + uri, "CITADEL_PSEUDONYM_KEY="}, "ingest", "supermarket", wrong)
	if code != 2 || !strings.Contains(errOut, "--keep-personal-data") {
		t.Errorf("no pseudonymisation key: exit %d %s", code, errOut)
	}
}
