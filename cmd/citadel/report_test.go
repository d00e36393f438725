package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/test/testbed"
)

// TestReportMistakes: `citadel report` on a FerretDB loaded with the DVF
// and Airbnb fixtures. A misspelled argument, a value not of its form and
// a database without the dataset are usage errors (exit 2) naming what is
// known, never an unfiltered answer or an empty table (issue 16, item 7).
func TestReportMistakes(t *testing.T) {
	srv := testbed.StartFerretDBT(t)
	db := testbed.Connect(t, srv.URI()).Database("opendata")
	ctx := context.Background()
	fixtures := func(ds string, names ...string) []string {
		for i, n := range names {
			names[i] = filepath.Join("..", "..", "ingest", ds, "testdata", n)
		}
		return names
	}
	paris, _ := airbnb.New("paris", fixtures("airbnb", "listings-paris-2024.csv")[0])
	for _, l := range []ingest.Loader{dvf.New(fixtures("dvf", "valeursfoncieres-2022.txt", "valeursfoncieres-2019-latin1.txt")...), paris} {
		if _, err := ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(t.TempDir(), "none.yaml")
	cases := []struct {
		args  string
		code  int
		first string // the start of the first line (stdout on success, else stderr)
	}{
		{"report dvf apartments --arg from=2022-06-01", 0, "apartments — apartments sold in a period"},
		{"report dvf apartments --arg form=2022-06-01", 2,
			`citadel: report dvf: question apartments has no argument "form": it takes from (a date YYYY-MM-DD), to (a date YYYY-MM-DD)`},
		{"report dvf apartments --arg from=June", 2, `citadel: report dvf: question apartments: --arg from="June": want a date YYYY-MM-DD`},
		{"report dvf apartments --arg from", 2, `citadel: --arg "from": write NAME=VALUE`},
		{"report dvf --database nosuchdb", 2,
			"citadel: report dvf: database nosuchdb holds no dvf data (expected collections mutations): load it with `citadel ingest dvf`"},
		{"report edstats", 2, "citadel: report edstats: database opendata holds no edstats data (expected collections edstats_countries, edstats_series,"},
		{"report dvf sales-per-region --arg min=2", 2, "citadel: report dvf: question sales-per-region takes no argument (got --arg min)"},
		{"report dvf busy-communes --arg min=0", 2, `citadel: report dvf: question busy-communes: --arg min="0": want a whole number of sales, at least 1`},
		{"report dvf busy-communes --arg min=2", 0, "busy-communes — communes with at least min= (default 50) sales in a quarter"},
		// Without QUESTION each question gets the arguments it takes; one
		// that no question takes is refused with what each takes.
		{"report dvf --arg min=2", 0, "apartments — apartments sold in a period"},
		{"report dvf --arg form=2022-06-01", 2,
			`citadel: report dvf: no question takes an argument "form": apartments takes from (a date YYYY-MM-DD), to (a date YYYY-MM-DD); busy-communes takes min (a whole number of sales, at least 1, default 50)`},
		{"report airbnb --arg city=nyc", 2, `citadel: report airbnb: question room-types: --arg city="nyc": want paris or lyon`},
		{"report airbnb distinct-hosts --arg city=paris", 0, "distinct-hosts — number of distinct hosts"},
		{"report dvf nosuchquestion", 2, `citadel: dataset dvf has no question "nosuchquestion": use one of apartments,`},
		{"report nosuchdataset", 2, `citadel: unknown dataset "nosuchdataset": use one of airbnb,`},
	}
	for _, tc := range cases {
		args := append([]string{"--config", cfg}, strings.Fields(tc.args)...)
		code, out, errOut := runCLI(t, "", append(args, "--uri", srv.URI())...)
		first := out
		if code != 0 {
			first = errOut
		}
		first, _, _ = strings.Cut(first, "\n")
		if code != tc.code || !strings.HasPrefix(first, tc.first) {
			t.Errorf("citadel %s:\n exit %d, first line %q\n want %d, %q\n(stdout %s)", tc.args, code, first, tc.code, tc.first, out)
		}
	}

	// The filter applies: 5 apartment sales from 1 June 2022, of 11 in all.
	for arg, want := range map[string]int{"from=2022-06-01": 5, "from=": 11} {
		code, out, errOut := runCLI(t, "", "--config", cfg, "-o", "json", "report", "dvf", "apartments", "--arg", arg, "--uri", srv.URI())
		var rep struct {
			Answers []struct{ Rows [][]any }
		}
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Answers) != 1 || rep.Answers[0].Rows[0][2] != float64(want) {
			t.Errorf("apartments --arg %s: exit %d, want %d sales: %s %s", arg, code, want, out, errOut)
		}
	}
}
