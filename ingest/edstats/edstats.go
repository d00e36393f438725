// Package edstats loads the World Bank EdStats CSV files (UTF-8 with BOM,
// CRLF, every field quoted, an empty trailing column): countries, series,
// country-series notes, footnotes, and one data document per (country,
// indicator) holding only the years that have a value.
package edstats

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/internal/fault"
)

// Collections.
const (
	Countries     = "edstats_countries"
	Series        = "edstats_series"
	CountrySeries = "edstats_country_series"
	Footnotes     = "edstats_footnotes"
	Data          = "edstats_data"
	Meta          = "edstats_meta"
)

// FileNames are the five files expected in the directory, in load order
// (countries first: data rows are checked against them).
func FileNames() []string {
	return []string{"EdStatsCountry.csv", "EdStatsSeries.csv", "EdStatsCountry-Series.csv", "EdStatsFootNote.csv", "EdStatsData.csv"}
}

// Loader loads the five files of one directory.
type Loader struct {
	Dir string
}

// ErrNotDirectory means the argument is a file where the directory of the
// five files is expected (a usage error, exit 2).
var ErrNotDirectory = fault.Usage("not a directory")

// New checks that dir is a directory holding the five files.
func New(dir string) (*Loader, error) {
	names := FileNames()
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w: give the directory that holds the five EdStats files (%s)", dir, ErrNotDirectory, strings.Join(names, ", "))
	}
	var missing []string
	for _, f := range names {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	switch {
	case len(missing) == len(names):
		return nil, fmt.Errorf("%s: none of the five EdStats files is there (expected %s)", dir, strings.Join(names, ", "))
	case len(missing) > 0:
		return nil, fmt.Errorf("%s: missing %s (expected %s)", dir, strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	return &Loader{Dir: dir}, nil
}

// Dataset implements ingest.Loader.
func (l *Loader) Dataset() string { return "edstats" }

// Files implements ingest.Loader.
func (l *Loader) Files() []string {
	out := FileNames()
	for i, f := range out {
		out[i] = filepath.Join(l.Dir, f)
	}
	return out
}

// Collections implements ingest.Loader.
func (l *Loader) Collections() []ingest.Collection {
	return []ingest.Collection{
		{Name: Countries}, {Name: Series}, {Name: CountrySeries}, {Name: Footnotes}, {Name: Meta},
		{Name: Data, Indexes: []ingest.Index{
			{Name: "indicator_aggregate", Keys: bson.D{{Key: "indicator_code", Value: 1}, {Key: "aggregate", Value: 1}}},
			{Name: "country", Keys: bson.D{{Key: "country_code", Value: 1}}},
		}},
	}
}

// Load implements ingest.Loader.
func (l *Loader) Load(ctx context.Context, e *ingest.Emitter) error {
	files := l.Files()
	aggregates := map[string]bool{} // country code → is an aggregate
	if err := l.countries(ctx, e, files[0], aggregates); err != nil {
		return err
	}
	tables := []struct {
		file, coll string
		key        []string
	}{
		{files[1], Series, []string{"Series Code"}},
		{files[2], CountrySeries, []string{"CountryCode", "SeriesCode"}},
	}
	for _, t := range tables {
		if err := l.table(ctx, e, t.file, t.coll, t.key, nil); err != nil {
			return err
		}
	}
	if err := l.table(ctx, e, files[3], Footnotes, []string{"CountryCode", "SeriesCode", "Year"}, footnoteYear); err != nil {
		return err
	}
	return l.data(ctx, e, files[4], aggregates)
}

// IsAggregate tells aggregates ("Arab World", "High income") from real
// territories: both can have an empty Region (Gibraltar has none), but
// only aggregates also lack a currency.
func IsAggregate(region, currency string) bool {
	return strings.TrimSpace(region) == "" && strings.TrimSpace(currency) == ""
}

func (l *Loader) countries(ctx context.Context, e *ingest.Emitter, file string, aggregates map[string]bool) error {
	return l.table(ctx, e, file, Countries, []string{"Country Code"}, func(r *ingest.Row, d bson.D) bson.D {
		agg := IsAggregate(r.Str("Region"), r.Str("Currency Unit"))
		aggregates[r.Str("Country Code")] = agg
		return append(d, bson.E{Key: "aggregate", Value: agg})
	})
}

// table loads a file whose columns are all text: one document per row,
// keyed by the key columns, fields named in snake case, "" stored as null.
func (l *Loader) table(ctx context.Context, e *ingest.Emitter, file, coll string, key []string, extra func(*ingest.Row, bson.D) bson.D) error {
	f := ingest.CSVFile{Path: file, Required: key, Coll: coll}
	return e.EachCSV(ctx, f, func(h *ingest.Header, rec ingest.CSVRecord, loc ingest.Loc) error {
		r := &ingest.Row{H: h, Fields: rec.Fields}
		parts := make([]string, len(key))
		for i, k := range key {
			parts[i] = r.Str(k)
			if parts[i] == "" {
				r.Fail(k, "", "missing key", "is empty")
			}
		}
		d := bson.D{}
		for _, name := range h.Names {
			if name != "" {
				d = append(d, bson.E{Key: SnakeCase(name), Value: r.Opt(name)})
			}
		}
		if extra != nil {
			d = extra(r, d)
		}
		if r.Err != nil {
			return e.RejectField(ctx, coll, loc, r.Err)
		}
		return e.Doc(ctx, coll, ingest.Doc{ID: strings.Join(parts, "/"), Body: d, Src: loc})
	})
}

// footnoteYear turns "YR2001" into the number 2001.
func footnoteYear(r *ingest.Row, d bson.D) bson.D {
	s := r.Str("Year")
	var y int32
	if _, err := fmt.Sscanf(s, "YR%d", &y); err != nil || len(s) != 6 {
		r.Fail("Year", s, "bad year", "is not a year like YR2001")
	}
	for i := range d {
		if d[i].Key == "year" {
			d[i].Value = y
		}
	}
	return d
}

// SnakeCase turns a column name into a field name: "Country Code" is
// country_code, "2-alpha code" is 2_alpha_code.
func SnakeCase(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	return b.String()
}
