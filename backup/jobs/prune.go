package jobs

import (
	"context"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
)

// PruneRequest prunes one backup configuration (Job), or all of them.
type PruneRequest struct {
	Job    string
	DryRun bool
	Now    time.Time // zero: now
}

// Prune applies each backup configuration's retention to its storage and
// to every copy_to storage, and records each storage's prune.
func Prune(ctx context.Context, env Env, req PruneRequest) ([]catalog.PruneResult, error) {
	cfg, err := env.config()
	if err != nil {
		return nil, err
	}
	var jobs []*config.Backup
	if req.Job != "" {
		b, err := PickBackup(cfg, req.Job, "", "")
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, b)
	} else {
		for i := range cfg.Backups {
			jobs = append(jobs, &cfg.Backups[i])
		}
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	results := []catalog.PruneResult{}
	for _, b := range jobs {
		pol, err := backup.Policy(b)
		if err != nil {
			return results, err
		}
		for _, name := range append([]string{b.Storage}, b.CopyTo...) {
			res, err := pruneOne(ctx, env, cfg, b, name, catalog.PruneOptions{Policy: pol, DryRun: req.DryRun, Now: now})
			if err != nil {
				return results, err
			}
			results = append(results, res)
		}
	}
	return results, nil
}

func pruneOne(ctx context.Context, env Env, cfg *config.Config, b *config.Backup, name string, opts catalog.PruneOptions) (res catalog.PruneResult, err error) {
	sc, err := storageConfig(cfg, name)
	if err != nil {
		return res, err
	}
	st, err := backup.OpenStorage(sc)
	if err != nil {
		return res, err
	}
	res, err = catalog.Prune(ctx, st, b.ReplicaSet, opts)
	outcome := audit.OutcomeOf(err)
	if opts.DryRun && err == nil {
		outcome = audit.DryRun
	}
	env.Audit.RecordOutcome(ctx, "backup.prune", name, map[string]any{"backup": b.Name, "replica_set": b.ReplicaSet,
		"deleted_objects": res.DeletedObjects, "freed_bytes": res.FreedBytes, "dry_run": opts.DryRun}, outcome, err)
	return res, err
}
