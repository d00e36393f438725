package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/pitr"
	"github.com/noscites/citadel/backup/snapshot"
)

// BackupRequest names a backup configuration: by Job, or the only one
// matching ReplicaSet and Storage.
type BackupRequest struct {
	Job, ReplicaSet, Storage string
	IncludeSystem            bool
	// BeforeCommit, when set, runs right before the manifest is written;
	// an error leaves the backup uncommitted (the coordinator's fence), a
	// non-zero deadline bounds the manifest write.
	BeforeCommit func(ctx context.Context, m *manifest.Manifest) (deadline time.Time, err error)
	// ID, when set, names the backup (the coordinator's token-named id).
	ID string
}

// BackupResult is a snapshot and its copies.
type BackupResult struct {
	Backup   Summary              `json:"backup"`
	Copies   []catalog.CopyResult `json:"copies"`
	Manifest *manifest.Manifest   `json:"-"`
}

// Backup takes a snapshot into the configuration's storage, then copies
// it — with the PITR history the copy lacks — to every copy_to storage,
// each verified on arrival. When a copy fails the backup stands: the
// result holds it and the error says which copy failed.
func Backup(ctx context.Context, env Env, req BackupRequest) (*BackupResult, error) {
	t, err := resolve(env, req.Job, req.ReplicaSet, req.Storage)
	if err != nil {
		return nil, err
	}
	client, src, err := backup.ConnectSource(ctx, t.cfg, t.rs, t.storage.Site, t.backup.Source)
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	log := env.log().With("job", "backup", "backup", t.backup.Name)
	m, err := snapshot.Run(ctx, client, snapshot.Options{Dest: t.dest, Source: src, Parallelism: t.backup.Parallelism,
		IncludeSystem: req.IncludeSystem, Tool: env.Tool, Progress: env.Progress, ID: req.ID, Logger: log,
		BeforeCommit: withProbes(t.backup, t.dest.Codec.Encrypted(), client, log, req.BeforeCommit)})
	if err != nil {
		return nil, err
	}
	res := &BackupResult{Backup: Summarize(m, t.dest.Storage), Copies: []catalog.CopyResult{}, Manifest: m}
	for _, name := range t.backup.CopyTo {
		cr, err := copyTo(ctx, env, t.dest.Storage, name, m)
		if err != nil {
			return res, fmt.Errorf("backup %s is complete in %s but its copy to %s failed: %w", m.ID, t.dest.Storage, name, err)
		}
		res.Copies = append(res.Copies, cr)
	}
	return res, nil
}

// PITRRequest names the backup configuration whose oplog is archived.
type PITRRequest struct {
	Job, ReplicaSet, Storage string
	// OnStart is told where the archiver reads and writes, once connected.
	OnStart func(source, storage string, every time.Duration)
	OnSlice func(*manifest.Slice)
	OnGap   func(*manifest.Gap)
}

// PITR archives the oplog of the configuration's replica set in slices
// until ctx ends; the slice in flight is finished first, then ctx's error
// is returned.
func PITR(ctx context.Context, env Env, req PITRRequest) error {
	t, err := resolve(env, req.Job, req.ReplicaSet, req.Storage)
	if err != nil {
		return err
	}
	client, src, err := backup.ConnectSource(ctx, t.cfg, t.rs, t.storage.Site, t.backup.Source)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	a := &pitr.Archiver{Client: client, Dest: t.dest, Slice: t.backup.PITR.SliceOr(), OnSlice: req.OnSlice, OnGap: req.OnGap,
		Logger: env.log().With("job", "pitr", "rs", t.rs.Name, "source", src.Host)}
	if req.OnStart != nil {
		req.OnStart(src.Host, t.dest.String(), a.Slice)
	}
	return a.Run(ctx)
}
