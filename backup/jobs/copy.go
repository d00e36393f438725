package jobs

import (
	"context"
	"fmt"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/internal/fault"
)

// CopyRequest copies one backup of a location to a configured storage.
type CopyRequest struct {
	Location *Location
	ID       string // or "latest"
	To       string // configured storage name
}

// Copy copies a backup and the PITR history the target lacks, each object
// verified on arrival, and records the action.
func Copy(ctx context.Context, env Env, req CopyRequest) (res catalog.CopyResult, err error) {
	defer func() {
		env.Audit.Record(ctx, "backup.copy", req.To, map[string]any{"backup": req.ID, "from": req.Location.Storage.String()}, err)
	}()
	if req.To == "" {
		return res, fault.Usage("backup copy: --to STORAGE is required")
	}
	m, err := Find(ctx, req.Location, req.ID)
	if err != nil {
		return res, err
	}
	return copyTo(ctx, env, req.Location.Storage, req.To, m)
}

// copyTo copies m and its replica set's PITR history from src.
func copyTo(ctx context.Context, env Env, src storage.Storage, to string, m *manifest.Manifest) (catalog.CopyResult, error) {
	cfg, err := env.config()
	if err != nil {
		return catalog.CopyResult{}, err
	}
	dst, err := destination(cfg, nil, to)
	if err != nil {
		return catalog.CopyResult{}, err
	}
	opts := catalog.CopyOptions{Progress: func(_ string, n int64) { env.Progress.Add(0, n) }}
	env.Progress.SetPhase("copy")
	env.Progress.AddBytesTotal(storedBytes(m))
	res, err := catalog.Copy(ctx, src, dst, m, opts)
	if err != nil {
		return res, err
	}
	h, err := catalog.CopyHistory(ctx, src, dst, m.ReplicaSet, opts)
	res.History = &h
	if err != nil {
		return res, fmt.Errorf("backup %s copied to %s, its PITR history not: %w", m.ID, dst, err)
	}
	return res, nil
}
