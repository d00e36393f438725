package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/term"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// defaultIngestDatabase is used when neither --database nor the config names one.
const defaultIngestDatabase = "opendata"

// targetFlags choose where ingest and report read and write.
func targetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "uri", Usage: "MongoDB `URI` to use instead of the config's ingest.replica_set", EnvVars: []string{"CITADEL_INGEST_URI"}},
		&cli.StringFlag{Name: "database", Usage: "database `NAME` (default: the config's ingest.database, else opendata)"},
	}
}

// ingestTarget is an open connection to the database datasets go to.
type ingestTarget struct {
	client *mongo.Client
	db     *mongo.Database
	cfg    config.Ingest
}

func (t *ingestTarget) close() {
	if t.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = t.client.Disconnect(ctx)
	}
}

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
// (its members as a replicaSet connection, with mongodb.auth and TLS).
// With connect false (a dry run) it only reads the settings.
func (e *env) openTarget(c *cli.Context, connect bool) (*ingestTarget, error) {
	cfg, err := ingestConfig(c, connect)
	if err != nil {
		return nil, err
	}
	t := &ingestTarget{}
	if cfg != nil && cfg.Ingest != nil {
		t.cfg = *cfg.Ingest
	}
	name := c.String("database")
	if name == "" {
		name = t.cfg.Database
	}
	if name == "" {
		name = defaultIngestDatabase
	}
	if !connect {
		return t, nil
	}
	target, err := e.connect(c, cfg, t)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.Context, 15*time.Second)
	defer cancel()
	if err := t.client.Ping(ctx, nil); err != nil {
		t.close()
		return nil, fmt.Errorf("connect to %s: %w", target, err)
	}
	t.db = t.client.Database(name)
	return t, nil
}

func (e *env) connect(c *cli.Context, cfg *config.Config, t *ingestTarget) (string, error) {
	if uri := c.String("uri"); uri != "" {
		client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("citadel-ingest").
			SetServerSelectionTimeout(10 * time.Second))
		if err != nil {
			return "", fmt.Errorf("%w: --uri: %v", fault.ErrUsage, err)
		}
		t.client = client
		return redactURI(uri), nil
	}
	if cfg.Ingest == nil {
		return "", fault.Usage(fmt.Sprintf("%s has no ingest section: add one (citadel config example) or pass --uri", cfg.File))
	}
	rs := cfg.ReplicaSet(cfg.Ingest.ReplicaSet)
	var hosts []string
	for _, m := range rs.Members {
		if !m.Arbiter {
			hosts = append(hosts, m.Host)
		}
	}
	opts, err := mongoconn.Options(cfg.MongoDB, "ingest")
	if err != nil {
		return "", err
	}
	client, err := mongo.Connect(opts.SetHosts(hosts).SetReplicaSet(rs.Name))
	if err != nil {
		return "", fmt.Errorf("connect to replica set %s: %w", rs.Name, err)
	}
	t.client = client
	return fmt.Sprintf("replica set %s (%s)", rs.Name, strings.Join(hosts, ",")), nil
}

// redactURI hides a password in a URI for messages.
func redactURI(uri string) string {
	at := strings.LastIndex(uri, "@")
	scheme := strings.Index(uri, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return uri
	}
	cred := uri[scheme+3 : at]
	if i := strings.Index(cred, ":"); i >= 0 {
		cred = cred[:i] + ":***"
	}
	return uri[:scheme+3] + cred + uri[at:]
}

// progressWriter is stderr when it is a terminal and the output is a table.
func (e *env) progressWriter() io.Writer {
	if e.json {
		return nil
	}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// loadOptions builds the options of a load from flags and config.
func (e *env) loadOptions(c *cli.Context, t *ingestTarget) (ingest.Options, error) {
	rate := c.Float64("max-error-rate")
	switch {
	case rate > 1:
		return ingest.Options{}, fault.Usage(fmt.Sprintf("--max-error-rate %v: use a fraction between 0 and 1", rate))
	case rate < 0 && t.cfg.MaxErrorRate > 0:
		rate = t.cfg.MaxErrorRate
	case rate < 0:
		rate = ingest.DefaultMaxErrorRate
	}
	batch, workers := c.Int("batch-size"), c.Int("workers")
	if batch == 0 {
		batch = t.cfg.BatchSize
	}
	if workers == 0 {
		workers = t.cfg.Workers
	}
	if batch < 0 || workers < 0 {
		return ingest.Options{}, fault.Usage("--batch-size and --workers cannot be negative")
	}
	return ingest.Options{DryRun: c.Bool("dry-run"), MaxErrorRate: rate, Progress: e.progressWriter(), Logger: e.log,
		Sink: ingest.SinkOptions{BatchSize: batch, Workers: workers}}, nil
}
