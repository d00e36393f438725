package sandbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
)

// samples are copies of the committed fixtures of the datasets whose
// samples are files (ingest/<dataset>/testdata: go:embed cannot reach
// another package's directory); TestSamplesMatchFixtures keeps them
// byte-identical. The Excel workbooks (weather's Weather Underground,
// SuperSmartMarket) are written by the loaders' own fixture writers.
//
//go:embed samples
var samples embed.FS

// Datasets are the five datasets in the order of datasets.md.
var Datasets = []string{"airbnb", "dvf", "edstats", "weather", "supermarket"}

// DatasetLoad is what one dataset's sample load did.
type DatasetLoad struct {
	Dataset  string
	Read     int64
	Inserted int64
	Rejected int64
}

// writeSamples copies the embedded samples under dir and writes the
// workbooks there.
func writeSamples(dir string) error {
	return fs.WalkDir(samples, "samples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := samples.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// loaders are the loaders of every dataset's sample, by dataset.
func loaders(dir string, pseudonymKey []byte) (map[string][]ingest.Loader, error) {
	at := func(rel string) string { return filepath.Join(dir, "samples", filepath.FromSlash(rel)) }
	paris, err := airbnb.New("paris", at("airbnb/listings-paris-2024.csv"))
	if err != nil {
		return nil, err
	}
	lyon, err := airbnb.New("lyon", at("airbnb/listings-lyon-2025.csv"))
	if err != nil {
		return nil, err
	}
	ed, err := edstats.New(at("edstats"))
	if err != nil {
		return nil, err
	}
	books, err := weather.FixtureWorkbooks(at("weather"))
	if err != nil {
		return nil, fmt.Errorf("write the weather workbooks: %w", err)
	}
	wl := &weather.Loader{Infoclimat: []string{at("weather/infoclimat-hdf-2024-10.json")}}
	ids := make([]string, 0, len(books))
	for id := range books {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		wb, err := weather.NewWorkbook(books[id], id)
		if err != nil {
			return nil, err
		}
		wl.Workbooks = append(wl.Workbooks, wb)
	}
	if err := os.MkdirAll(at("supermarket"), 0o755); err != nil {
		return nil, err
	}
	sales, logs, err := supermarket.FixtureWorkbooks(at("supermarket"))
	if err != nil {
		return nil, fmt.Errorf("write the supermarket workbooks: %w", err)
	}
	sm, err := supermarket.New(sales, logs, pseudonymKey, false)
	if err != nil {
		return nil, err
	}
	return map[string][]ingest.Loader{
		"airbnb":      {paris, lyon},
		"dvf":         {dvf.New(at("dvf/valeursfoncieres-2022.txt"), at("dvf/valeursfoncieres-2019-latin1.txt"))},
		"edstats":     {ed},
		"weather":     {wl},
		"supermarket": {sm},
	}, nil
}

// loadSamples loads every dataset's sample into the ingest target (the
// main set's opendata database) through ingest.Load, as `citadel ingest`
// does. The fixtures hold bad rows on purpose (they land in quarantine),
// so any error rate is accepted.
func (s *Sandbox) loadSamples(ctx context.Context) ([]DatasetLoad, error) {
	if err := writeSamples(s.w.dir); err != nil {
		return nil, fmt.Errorf("write the samples: %w", err)
	}
	byDataset, err := loaders(s.w.dir, []byte(s.w.secrets.pseudonymKey))
	if err != nil {
		return nil, err
	}
	t, err := ingest.OpenTarget(ctx, s.w.cfg, ingest.TargetOptions{Connect: true})
	if err != nil {
		return nil, err
	}
	defer t.Close(ctx)
	var out []DatasetLoad
	for _, ds := range Datasets {
		sum := DatasetLoad{Dataset: ds}
		for _, l := range byDataset[ds] {
			rep, err := ingest.Load(ctx, t, l, ingest.Options{MaxErrorRate: 1, Logger: s.log, Audit: s.env.Audit})
			if err != nil {
				return out, fmt.Errorf("load the %s sample: %w", ds, err)
			}
			sum.Read += rep.Read
			sum.Inserted += rep.Inserted
			sum.Rejected += rep.Rejected
		}
		out = append(out, sum)
	}
	return out, nil
}
