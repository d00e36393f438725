package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/pitr"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// RestoreRequest restores one backup of a location into a target.
type RestoreRequest struct {
	Location *Location
	// ID is a backup id or "latest"; with Until, only "latest" (the backup
	// is chosen to end before Until, and the PITR slices replayed to it).
	ID    string
	Until time.Time
	// The target: a configured replica set, or a URI.
	ToReplicaSet, ToURI string
	// Namespace selection and renaming, as mongorestore's.
	Include  []string
	From, To string
	Drop     bool
	// ConfirmDrop, with Drop, is asked with what will be dropped before
	// anything is written (nil: drop without asking).
	ConfirmDrop  func(ctx context.Context, drop []restore.Existing) error
	SkipPrecheck bool
	ReadBack     bool
	Parallelism  int
	Identity     string // age identity file (default: the config's)
}

// Restore restores a backup (and with Until the archived oplog) into the
// target, verified, and records the action (with --drop marked).
func Restore(ctx context.Context, env Env, req RestoreRequest) (rep restore.Report, err error) {
	params := map[string]any{"backup": req.ID, "from": req.Location.Storage.String(), "drop": req.Drop}
	if !req.Until.IsZero() {
		params["until"] = req.Until
	}
	target := req.ToReplicaSet
	if req.ToURI != "" {
		target = mongoconn.Redact(req.ToURI)
	}
	defer func() {
		if rep.Backup != "" {
			params["backup"] = rep.Backup
		}
		env.Audit.Record(ctx, "restore", target, params, err)
	}()
	ns, err := restore.NewNamespaces(req.Include, req.From, req.To)
	if err != nil {
		return rep, err
	}
	m, slices, err := restoreSource(ctx, req)
	if err != nil {
		return rep, err
	}
	ids, err := backup.Identities(req.Identity, req.Location.Backup)
	if err != nil {
		return rep, err
	}
	if m.Encrypted() && len(ids) == 0 {
		return rep, fault.Usage(fmt.Sprintf("backup %s is encrypted: give the age identity file with --identity FILE", m.ID))
	}
	client, err := restoreTarget(req)
	if err != nil {
		return rep, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	return restore.Run(ctx, restore.Options{Storage: req.Location.Storage, Manifest: m, Identities: ids, Target: client, Namespaces: ns,
		Drop: req.Drop, ConfirmDrop: req.ConfirmDrop, SkipPrecheck: req.SkipPrecheck, ReadBack: req.ReadBack, Slices: slices,
		Until: req.Until, Parallelism: req.Parallelism, Progress: env.Progress, Logger: env.log().With("job", "restore")})
}

// restoreSource picks the backup, and with Until the PITR chain.
func restoreSource(ctx context.Context, req RestoreRequest) (*manifest.Manifest, []*manifest.Slice, error) {
	loc := req.Location
	if req.Until.IsZero() {
		m, err := Find(ctx, loc, req.ID)
		return m, nil, err
	}
	if req.ID != "latest" {
		return nil, nil, fault.Usage("with --until, restore picks the backup itself: write `citadel restore latest --until TIME`")
	}
	rs := loc.ReplicaSet
	if rs == "" {
		sets, err := catalog.ReplicaSets(ctx, loc.Storage)
		if err != nil {
			return nil, nil, err
		}
		if len(sets) != 1 {
			return nil, nil, fault.Usage("name the replica set with --rs: the storage holds " + strings.Join(sets, ", "))
		}
		rs = sets[0]
	}
	return pitr.Plan(ctx, loc.Storage, rs, req.Until)
}

// restoreTarget connects to the URI or the configured replica set.
func restoreTarget(req RestoreRequest) (*mongo.Client, error) {
	switch {
	case req.ToURI != "" && req.ToReplicaSet != "":
		return nil, fault.Usage("give --to-rs or --to-uri, not both")
	case req.ToURI != "":
		return mongoconn.ConnectURI(req.ToURI, "restore")
	case req.ToReplicaSet != "":
		cfg := req.Location.Config
		if cfg == nil {
			return nil, fault.Usage("--to-rs needs the configuration file (--config); without one use --to-uri")
		}
		rs := cfg.ReplicaSet(req.ToReplicaSet)
		if rs == nil {
			return nil, fault.Usage(fmt.Sprintf("no replica set named %q in %s", req.ToReplicaSet, cfg.File))
		}
		return mongoconn.ConnectSet(cfg.MongoDB, *rs, "restore")
	}
	return nil, fault.Usage("restore needs a target: --to-rs NAME or --to-uri URI")
}
