package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/dictionary"
	"github.com/noscites/citadel/ingest/quality"
	"github.com/noscites/citadel/internal/fault"
)

func qualityCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "quality",
		Usage: "measure a loaded dataset against the config's quality thresholds: fill rates, rejects, duplicates, freshness, " +
			"canned questions' latency (exit 3 on a breach)",
		ArgsUsage: "DATASET",
		Flags: append(targetFlags(),
			// -o table|json is the global flag; the report is also a page.
			&cli.BoolFlag{Name: "html", Usage: "write the report as one HTML page with inline CSS, on stdout"},
			&cli.IntFlag{Name: "runs", Usage: "runs of each canned question for its p50 and p95",
				DefaultText: fmt.Sprintf("the config's quality.runs, else %d", config.DefaultQualityLimits.Runs)}),
		Action: e.quality,
	}
}

// qualityFormat is the report's format: table, json (-o json) or html.
func (e *env) qualityFormat(c *cli.Context) (string, error) {
	switch {
	case c.Bool("html") && e.json:
		return "", fault.Usage("quality: --html and -o json: choose one")
	case c.Bool("html"):
		return "html", nil
	case e.json:
		return "json", nil
	}
	return "table", nil
}

func (e *env) quality(c *cli.Context) error {
	pos, err := positional(c, 1, 1, "DATASET")
	if err != nil {
		return err
	}
	format, err := e.qualityFormat(c)
	if err != nil {
		return err
	}
	ds, err := catalog.Find(pos[0])
	if err != nil {
		return fault.Usage(err.Error())
	}
	cfg, err := ingestConfig(c, false)
	if err != nil {
		return err
	}
	var section *config.Quality
	if cfg != nil {
		section = cfg.Quality
	}
	limits := section.For(ds.Name)
	if c.IsSet("runs") {
		if n := c.Int("runs"); n < 1 || n > 1000 {
			return fault.Usage(fmt.Sprintf("quality: --runs %d: give 1 to 1000 runs", n))
		}
		limits.Runs = c.Int("runs")
	}
	spec, err := dictionary.SpecFor(ds.Name)
	if err != nil {
		return err
	}
	t, err := e.openTarget(c, true)
	if err != nil {
		return err
	}
	defer t.close()
	if err := ingest.RequireCollections(c.Context, t.db, ds.Name, ds.Collections); err != nil {
		return fmt.Errorf("quality %s: %w", ds.Name, err)
	}
	rep, err := quality.Measure(c.Context, t.db, ds.Name, ds.Collections, spec, ds.Probes, quality.OptionsFor(limits))
	if err != nil {
		return fmt.Errorf("quality %s: %w", ds.Name, err)
	}
	switch format {
	case "json":
		err = printJSON(e.stdout, rep)
	case "html":
		err = quality.WriteHTML(e.stdout, rep)
	default:
		err = quality.WriteText(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	if n := len(rep.Breaches); n > 0 {
		b := rep.Breaches[0]
		return fault.Verification(fmt.Sprintf("quality %s: %d threshold(s) breached, first %s %s: %s", ds.Name, n, b.Where, b.Check, b.Message))
	}
	return nil
}
