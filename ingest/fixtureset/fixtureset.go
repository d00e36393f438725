// Package fixtureset loads the committed fixtures of all five datasets
// into a database, for the tests of what reads every dataset (the data
// dictionary, the quality report, their commands). Like ingest/ingesttest
// it is imported by tests only, and it builds on it (ingesttest/fods runs
// LibreOffice); it is a package of its own because it imports the five
// dataset packages, whose own tests import ingesttest: inside ingesttest
// it would be an import cycle.
package fixtureset

import (
	"context"
	"path/filepath"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
	"github.com/noscites/citadel/test/testbed"
)

// Datasets are the five datasets, in the order of datasets.md.
var Datasets = []string{"airbnb", "dvf", "edstats", "weather", "supermarket"}

// PseudonymKey is the supermarket fixtures' pseudonymisation key.
var PseudonymKey = []byte("fixtureset pseudonymisation key.")

// Files are the fixture inputs of every dataset, as `citadel ingest`
// arguments: the committed files under each package's testdata and the
// workbooks written by each package's fixture writer into dir.
type Files struct {
	AirbnbParis, AirbnbLyon string
	DVF                     []string
	EdStatsDir              string
	Infoclimat              string
	Wunderground            map[string]string // station → workbook
	Sales, Logs             string
}

// Write writes the generated workbooks into dir and names every input.
func Write(t testing.TB, dir string) Files {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	at := func(rel string) string { return filepath.Join(root, "ingest", rel) }
	books, err := weather.FixtureWorkbooks(dir)
	if err != nil {
		t.Fatal(err)
	}
	sales, logs, err := supermarket.FixtureWorkbooks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Files{
		AirbnbParis: at("airbnb/testdata/listings-paris-2024.csv"), AirbnbLyon: at("airbnb/testdata/listings-lyon-2025.csv"),
		DVF:        []string{at("dvf/testdata/valeursfoncieres-2022.txt"), at("dvf/testdata/valeursfoncieres-2019-latin1.txt")},
		EdStatsDir: at("edstats/testdata/edstats"), Infoclimat: at("weather/testdata/infoclimat-hdf-2024-10.json"),
		Wunderground: books, Sales: sales, Logs: logs,
	}
}

// Loaders are the loaders of one dataset's fixtures.
func (f Files) Loaders(t testing.TB, dataset string) []ingest.Loader {
	t.Helper()
	must := func(l ingest.Loader, err error) ingest.Loader {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	switch dataset {
	case "airbnb":
		return []ingest.Loader{must(airbnb.New("paris", f.AirbnbParis)), must(airbnb.New("lyon", f.AirbnbLyon))}
	case "dvf":
		return []ingest.Loader{dvf.New(f.DVF...)}
	case "edstats":
		return []ingest.Loader{must(edstats.New(f.EdStatsDir))}
	case "weather":
		l := &weather.Loader{Infoclimat: []string{f.Infoclimat}}
		for _, id := range []string{"ILAMAD25", "IICHTE19"} {
			w, err := weather.NewWorkbook(f.Wunderground[id], id)
			if err != nil {
				t.Fatal(err)
			}
			l.Workbooks = append(l.Workbooks, w)
		}
		return []ingest.Loader{l}
	case "supermarket":
		return []ingest.Loader{must(supermarket.New(f.Sales, f.Logs, PseudonymKey, false))}
	}
	t.Fatalf("fixtureset: unknown dataset %q", dataset)
	return nil
}

// Load loads the fixtures of the named datasets (all five without names)
// into db, with every rejected row accepted (the fixtures hold bad rows
// on purpose).
func Load(t testing.TB, db *mongo.Database, dir string, datasets ...string) Files {
	t.Helper()
	if len(datasets) == 0 {
		datasets = Datasets
	}
	f := Write(t, dir)
	for _, ds := range datasets {
		for _, l := range f.Loaders(t, ds) {
			if _, err := ingest.Run(context.Background(), db, l, ingest.Options{MaxErrorRate: 1}); err != nil {
				t.Fatalf("load %s fixtures: %v", ds, err)
			}
		}
	}
	return f
}
