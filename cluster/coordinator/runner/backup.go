package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/failpoint"
	"github.com/noscites/citadel/internal/fault"
)

// BackupResult is the result of a backup run.
type BackupResult struct {
	Backup jobs.Summary         `json:"backup"`
	Copies []catalog.CopyResult `json:"copies"`
	// Token is the fencing token the backup is named after (the low 16
	// bits are its id's suffix).
	Token uint64 `json:"token"`
	// AdoptedFrom is set when this run took over an attempt that had
	// committed its backup before its node died: the token of that
	// attempt, whose backup this run reports instead of taking another.
	AdoptedFrom uint64 `json:"adopted_from,omitempty"`
}

// TokenID is the id of the backup a run with this fencing token takes when
// it starts at now: the usual `YYYYMMDDTHHMMSSZ-xxxx` with the token's low
// 16 bits as xxxx instead of random digits. Two attempts never share an id
// (their tokens differ; a token's low bits repeat only 65536 runs later,
// at another start time), and an attempt's backup is found from its token
// and start time.
func TokenID(now time.Time, token uint64) string {
	return layout.NewID(now)[:len("20060102T150405Z-")] + fmt.Sprintf("%04x", token&0xffff)
}

// attemptWindow is how far around the previous attempt's lease the start
// time of its backup is looked for (clock of the same node: only the
// delay between the lease and the snapshot's start, and rounding).
const attemptWindow = 2 * time.Minute

// IsAttemptBackup reports whether a backup id belongs to the attempt with
// this token, whose lease started at start and which fenced at fenced.
func IsAttemptBackup(id string, token uint64, start, fenced time.Time) bool {
	if !strings.HasSuffix(id, "-"+fmt.Sprintf("%04x", token&0xffff)) {
		return false
	}
	t, err := layout.IDTime(id)
	if err != nil {
		return false
	}
	return !t.Before(start.Add(-attemptWindow)) && !t.After(fenced.Add(attemptWindow))
}

func (r *Runner) backup(ctx context.Context, log *slog.Logger, p Params, run sched.RunInfo, fence sched.Fence) (*BackupResult, error) {
	if p.Backup == "" {
		return nil, fault.Usage("backup job without a backup name in its params")
	}
	if prev := run.Previous; prev != nil && !prev.FencedAt.IsZero() {
		res, err := r.adopt(ctx, log, p.Backup, prev, fence.Token())
		if err != nil || res != nil {
			return res, err
		}
		log.Info("the attempt taken over passed its fence but committed no backup; taking a new one", "previous", prev.ID)
	}
	id := TokenID(time.Now(), fence.Token())
	br, err := jobs.Backup(ctx, r.env, jobs.BackupRequest{Job: p.Backup, ID: id,
		BeforeCommit: func(ctx context.Context, _ *manifest.Manifest) (time.Time, error) {
			return r.beforeManifest(ctx, log, id, fence)
		}})
	if br == nil {
		return nil, err
	}
	r.cache(ctx, log, p.Backup, br.Manifest, br.Copies)
	return &BackupResult{Backup: br.Backup, Copies: br.Copies, Token: fence.Token()}, err
}

// beforeManifest is the backup's BeforeCommit: the fence, whose deadline
// bounds the manifest write. The test-only failpoint before-manifest
// pauses between the passed fence and the write (the moment a kill leaves
// a run fenced, with every object and no manifest); a pause that outlived
// the deadline fences again for a fresh one.
func (r *Runner) beforeManifest(ctx context.Context, log *slog.Logger, id string, fence sched.Fence) (time.Time, error) {
	deadline, err := fence.Check(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("fence of token %d: %w", fence.Token(), err)
	}
	if d, ok := r.fp[failpoint.BeforeManifest]; ok {
		log.Warn("TEST-ONLY failpoint: pausing between the fence and the manifest", "failpoint", failpoint.BeforeManifest, "backup", id, "sleep", d)
		r.fp.Pause(ctx, failpoint.BeforeManifest)
		if deadline, err = fence.Check(ctx); err != nil {
			return time.Time{}, fmt.Errorf("fence of token %d after the failpoint: %w", fence.Token(), err)
		}
	}
	log.Info("fence passed; writing the manifest", "backup", id, "before", deadline.Format(time.RFC3339Nano))
	return deadline, nil
}

// adopt looks for the committed backup of the attempt prev (which passed
// its fence, so may have written its manifest before dying). Found, it is
// copied to the copy_to storages the attempt may not have reached
// (copies are idempotent) and reported as this run's result.
func (r *Runner) adopt(ctx context.Context, log *slog.Logger, name string, prev *store.Run, token uint64) (*BackupResult, error) {
	loc, err := jobs.Locate(r.env, jobs.LocateRequest{Backup: name})
	if err != nil {
		return nil, err
	}
	list, err := jobs.List(ctx, loc, false)
	if err != nil {
		return nil, fmt.Errorf("look for the backup of %s (token %d): %w", prev.ID, prev.Token, err)
	}
	for _, s := range list.Backups {
		if !IsAttemptBackup(s.ID, prev.Token, prev.Start, prev.FencedAt) {
			continue
		}
		log.Info("adopting the backup the attempt taken over committed", "previous", prev.ID, "backup", s.ID)
		res := &BackupResult{Backup: s, Copies: []catalog.CopyResult{}, Token: token, AdoptedFrom: prev.Token}
		m, err := jobs.Find(ctx, loc, s.ID)
		if err != nil {
			return nil, err
		}
		if loc.Backup != nil {
			for _, to := range loc.Backup.CopyTo {
				cr, err := jobs.Copy(ctx, r.env, jobs.CopyRequest{Location: loc, ID: s.ID, To: to})
				if err != nil {
					return res, fmt.Errorf("backup %s is complete but its copy to %s failed: %w", s.ID, to, err)
				}
				res.Copies = append(res.Copies, cr)
			}
		}
		r.cache(ctx, log, name, m, res.Copies)
		return res, nil
	}
	return nil, nil
}

// cache writes the committed backup (and its copies) to the catalog cache;
// a failure is logged only: the storages are the truth.
func (r *Runner) cache(ctx context.Context, log *slog.Logger, name string, m *manifest.Manifest, copies []catalog.CopyResult) {
	r.mu.Lock()
	c := r.catalog
	r.mu.Unlock()
	if c == nil || m == nil || r.env.Config == nil {
		return
	}
	b := r.env.Config.Backup(name)
	if b == nil {
		return
	}
	// Copies are made in copy_to's order and stop at the first failure.
	storages := append([]string{b.Storage}, b.CopyTo[:min(len(copies), len(b.CopyTo))]...)
	for _, st := range storages {
		e := store.CatalogEntry{ID: m.ID, ReplicaSet: m.ReplicaSet, Storage: st, Time: m.End.Wall, Complete: true, Size: m.Totals.StoredBytes}
		if err := c.PutCatalog(ctx, store.CatalogPutBody{Entries: []store.CatalogEntry{e}}); err != nil {
			log.Warn("cannot cache the backup in the catalog", "backup", m.ID, "storage", st, "err", err)
		}
	}
}
