package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// DefaultDatabase is used when neither the caller nor the configuration
// names one.
const DefaultDatabase = "opendata"

// TargetOptions choose where loads write and reports read.
type TargetOptions struct {
	// URI is a MongoDB URI outside the configuration (--uri,
	// CITADEL_INGEST_URI); empty: the configuration's ingest.replica_set.
	URI string
	// Database overrides the configuration's ingest.database.
	Database string
	// Connect false only resolves the settings (a dry run writes nowhere).
	Connect bool
}

// Target is the database datasets go to, connected through mongoconn.
type Target struct {
	Database string        // its name
	Where    string        // where it is, for messages (a URI's password hidden)
	Settings config.Ingest // the configuration's ingest section (zero without one)
	client   *mongo.Client
	db       *mongo.Database
}

// OpenTarget resolves the target's database and settings from cfg (nil
// without a configuration file) and, with o.Connect, connects and pings
// it: o.URI when set, else the configuration's ingest.replica_set (its
// members but arbiters, as a replica-set connection with mongodb.auth
// and TLS).
func OpenTarget(ctx context.Context, cfg *config.Config, o TargetOptions) (*Target, error) {
	t := &Target{}
	if cfg != nil && cfg.Ingest != nil {
		t.Settings = *cfg.Ingest
	}
	t.Database = firstOf(o.Database, t.Settings.Database, DefaultDatabase)
	if !o.Connect {
		return t, nil
	}
	if err := t.connect(cfg, o.URI); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := t.client.Ping(pctx, nil); err != nil {
		t.Close(ctx)
		return nil, fmt.Errorf("connect to %s: %w", t.Where, err)
	}
	t.db = t.client.Database(t.Database)
	return t, nil
}

func (t *Target) connect(cfg *config.Config, uri string) error {
	if uri != "" {
		client, err := mongoconn.ConnectURI(uri, "ingest")
		if err != nil {
			return fault.Wrap(fault.ErrUsage, err, "--uri")
		}
		t.client, t.Where = client, mongoconn.Redact(uri)
		return nil
	}
	if cfg == nil {
		return fault.Usage("no configuration file: pass --config FILE (with an ingest section) or --uri")
	}
	if cfg.Ingest == nil {
		return fault.Usage(fmt.Sprintf("%s has no ingest section: add one (citadel config example) or pass --uri", cfg.File))
	}
	rs := cfg.ReplicaSet(cfg.Ingest.ReplicaSet)
	if rs == nil {
		return fault.Usage(fmt.Sprintf("%s: ingest.replica_set %q is not a configured replica set", cfg.File, cfg.Ingest.ReplicaSet))
	}
	client, err := mongoconn.ConnectSet(cfg.MongoDB, *rs, "ingest")
	if err != nil {
		return err
	}
	t.client = client
	t.Where = fmt.Sprintf("replica set %s (%s)", rs.Name, strings.Join(mongoconn.Seeds(*rs), ","))
	return nil
}

// DB is the connected database; nil when not connected (a dry run).
func (t *Target) DB() *mongo.Database { return t.db }

// Close disconnects.
func (t *Target) Close(ctx context.Context) {
	if t == nil || t.client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = t.client.Disconnect(ctx)
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
