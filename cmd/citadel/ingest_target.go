package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/internal/fault"
)

// targetFlags choose where ingest and report read and write.
func targetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "uri", Usage: "MongoDB `URI` to use instead of the config's ingest.replica_set", EnvVars: []string{"CITADEL_INGEST_URI"}},
		&cli.StringFlag{Name: "database", Usage: "database `NAME` (default: the config's ingest.database, else opendata)"},
	}
}

// ingestTarget is where ingest and report read and write, and the
// configuration it was resolved from (nil without a file).
type ingestTarget struct {
	*ingest.Target
	db  *mongo.Database // nil for a dry run
	cfg *config.Config
}

func (t *ingestTarget) close() { t.Close(context.Background()) }

// ingestConfig loads the config when it is needed (a connection without
// --uri) or present.
func ingestConfig(c *cli.Context, connect bool) (*config.Config, error) {
	path := c.String("config")
	if c.String("uri") != "" || !connect {
		if _, err := os.Stat(path); err != nil {
			return nil, nil // a direct target needs no config file
		}
	}
	cfg, err := config.Load(path, c.App.Reader)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// openTarget connects to --uri, or to the config's ingest.replica_set
// (through mongoconn, like every connection). With connect false (a dry
// run) it only reads the settings.
func (e *env) openTarget(c *cli.Context, connect bool) (*ingestTarget, error) {
	cfg, err := ingestConfig(c, connect)
	if err != nil {
		return nil, err
	}
	t, err := ingest.OpenTarget(c.Context, cfg, ingest.TargetOptions{URI: c.String("uri"), Database: c.String("database"), Connect: connect})
	if err != nil {
		return nil, err
	}
	return &ingestTarget{Target: t, db: t.DB(), cfg: cfg}, nil
}

// loadOptions builds the options of a load from flags and config.
func (e *env) loadOptions(c *cli.Context, t *ingestTarget) (ingest.Options, error) {
	rate := c.Float64("max-error-rate")
	switch {
	case rate > 1:
		return ingest.Options{}, fault.Usage(fmt.Sprintf("--max-error-rate %v: use a fraction between 0 and 1", rate))
	case rate < 0 && t.Settings.MaxErrorRate > 0:
		rate = t.Settings.MaxErrorRate
	case rate < 0:
		rate = ingest.DefaultMaxErrorRate
	}
	batch, workers := c.Int("batch-size"), c.Int("workers")
	if batch == 0 {
		batch = t.Settings.BatchSize
	}
	if workers == 0 {
		workers = t.Settings.Workers
	}
	if batch < 0 || workers < 0 {
		return ingest.Options{}, fault.Usage("--batch-size and --workers cannot be negative")
	}
	return ingest.Options{DryRun: c.Bool("dry-run"), MaxErrorRate: rate, Logger: e.log, Audit: e.auditTrail(t.cfg),
		Sink: ingest.SinkOptions{BatchSize: batch, Workers: workers}}, nil
}
