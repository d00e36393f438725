package edstats

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkProbes loads a generated EdStats directory into FerretDB and
// times each canned question, as `citadel report edstats` runs them,
// against one full scan of edstats_data measured in the same run. Sizes:
// the real 241 countries (26 of them aggregates), 600 of the 3,665 series
// (CITADEL_BENCH_PROBE_SERIES), so 144,600 data rows of which about 40 %
// hold values (about 58,000 data documents of 5 to 50 years), 20,000
// footnotes. Target: every question under 10 s.
func BenchmarkProbes(b *testing.B) {
	series := 600
	if s := os.Getenv("CITADEL_BENCH_PROBE_SERIES"); s != "" {
		fmt.Sscan(s, &series)
	}
	dir := b.TempDir()
	if err := writeEdStats(dir, 241, series, 1); err != nil {
		b.Fatal(err)
	}
	l, err := New(dir)
	if err != nil {
		b.Fatal(err)
	}
	db := ingesttest.DB(b)
	ingesttest.Load(b, db, l)
	for range b.N {
		ingesttest.TimeProbes(b, db, "edstats", Data, Probes(), nil)
	}
}

// edWriter writes the raw EdStats format: UTF-8 with BOM, CRLF, every
// field quoted, every line ending with a comma.
type edWriter struct{ w *bufio.Writer }

func (e edWriter) row(fields ...string) {
	for _, f := range fields {
		e.w.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `",`)
	}
	e.w.WriteString("\r\n")
}

type edCountry struct{ code, name string }

func writeEdStats(dir string, countries, series int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 3))
	files := map[string]func(edWriter){}
	cs := make([]edCountry, countries)
	for i := range cs {
		cs[i] = edCountry{fmt.Sprintf("%c%c%c", 'A'+i/676, 'A'+i/26%26, 'A'+i%26), fmt.Sprintf("Country %d", i)}
	}
	codes := make([]string, series)
	for i := range codes {
		codes[i] = fmt.Sprintf("SE.GEN.%04d", i)
	}
	codes[0] = "SE.PRM.ENRR" // the default indicator of top-countries
	header := func(name string) []string {
		f, _ := os.ReadFile(filepath.Join("testdata", "edstats", name))
		line, _, _ := strings.Cut(strings.TrimPrefix(string(f), "\ufeff"), "\r\n")
		return strings.Split(strings.Trim(strings.TrimSuffix(line, ","), `"`), `","`)
	}
	files["EdStatsCountry.csv"] = func(e edWriter) {
		h := header("EdStatsCountry.csv")
		e.row(h...)
		for i, c := range cs {
			f := make([]string, len(h))
			f[0], f[1], f[2], f[3] = c.code, c.name, c.name, "Republic of "+c.name
			if i >= 26 { // the first 26 are aggregates: no region, no currency
				f[5], f[7], f[8] = "Franc", "Sub-Saharan Africa", "Lower middle income"
			}
			e.row(f...)
		}
	}
	files["EdStatsSeries.csv"] = func(e edWriter) {
		h := header("EdStatsSeries.csv")
		e.row(h...)
		for i, code := range codes {
			f := make([]string, len(h))
			f[0], f[1], f[2] = code, "Primary", fmt.Sprintf("Indicator %d (%%)", i)
			f[4] = "Total enrollment, regardless of age,\nexpressed as a percentage – UIS."
			e.row(f...)
		}
	}
	files["EdStatsCountry-Series.csv"] = func(e edWriter) {
		e.row("CountryCode", "SeriesCode", "DESCRIPTION")
		for i := range 613 {
			e.row(cs[i%countries].code, codes[i%series], "Estimates – UIS.")
		}
	}
	files["EdStatsFootNote.csv"] = func(e edWriter) {
		e.row("CountryCode", "SeriesCode", "Year", "DESCRIPTION")
		for i := range 20_000 {
			e.row(cs[i%countries].code, codes[(i/countries)%series], fmt.Sprintf("YR%d", 1970+i/(countries*series)%48), "UIS estimate")
		}
	}
	files["EdStatsData.csv"] = func(e edWriter) { edData(e, rng, header("EdStatsData.csv"), cs, codes) }
	for name, write := range files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString("\ufeff")
		write(edWriter{w})
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// edData writes one row per (country, series): 60 % without any value,
// the others a run of yearly values from a random start, a few with
// projections to 2100.
func edData(e edWriter, rng *rand.Rand, h []string, cs []edCountry, codes []string) {
	e.row(h...)
	years := h[4:]
	for _, c := range cs {
		for j, code := range codes {
			f := make([]string, len(h))
			f[0], f[1], f[2], f[3] = c.name, c.code, fmt.Sprintf("Indicator %d (%%)", j), code
			if rng.IntN(10) < 4 {
				start := rng.IntN(46)
				for k := start; k < min(len(years), start+5+rng.IntN(45)); k++ {
					if y, _ := strconv.Atoi(years[k]); (y <= 2017 && rng.IntN(10) < 8) || (y > 2017 && j%20 == 0) {
						f[4+k] = strconv.FormatFloat(float64(rng.IntN(12000))/100, 'f', -1, 64)
					}
				}
			}
			e.row(f...)
		}
	}
}
