package restore

import (
	"context"
	"errors"
	"fmt"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/internal/fault"
)

// precheck checks, before anything is written, the size and SHA-256 of
// every object the restore will read — the chosen collections' data and
// metadata, the oplog, the PITR slices — with backup verification's own
// code. A damaged or missing object fails with fault.ErrVerification
// naming its key, and the target is untouched.
func (r *restorer) precheck(ctx context.Context, targets []*target) error {
	if r.opts.SkipPrecheck {
		r.log.Warn("precheck skipped: a damaged object will only be found while restoring")
		return nil
	}
	r.opts.Progress.SetPhase("precheck")
	chosen := map[string]bool{}
	for _, t := range targets {
		chosen[t.c.Namespace()] = true
	}
	_, err := catalog.Verify(ctx, r.opts.Storage, r.opts.Manifest, catalog.VerifyOptions{
		Collections: func(c *manifest.Collection) bool { return chosen[c.Namespace()] },
		Slices:      r.opts.Slices,
		Parallelism: r.opts.Parallelism,
		Progress:    func(_ string, n int64) { r.opts.Progress.Add(0, n) },
	})
	if err != nil {
		return fmt.Errorf("check the backup before restoring: %w; nothing was written: restore another backup, or its copy in another storage", err)
	}
	return nil
}

// layoutKey is the storage key of one of the backup's objects.
func layoutKey(m *manifest.Manifest, o manifest.Object) string {
	return layout.Dir(m.ReplicaSet, m.ID) + o.Key
}

// damaged explains a failure of a restore whose precheck was skipped:
// when the object it was reading no longer has the size and SHA-256 the
// manifest records (checked now), or is gone, the failure is a damaged
// backup (fault.ErrVerification, naming the key) rather than an
// operational error. Other failures — a network error, a cancellation, a
// target error on a sound object — are returned unchanged, and so is
// every failure after a precheck that passed.
func (r *restorer) damaged(ctx context.Context, key string, o manifest.Object, err error) error {
	if err == nil || !r.opts.SkipPrecheck || ctx.Err() != nil || errors.Is(err, fault.ErrVerification) {
		return err
	}
	cerr := stream.Check(ctx, r.opts.Storage, key, stream.Expect{Size: o.Size, SHA256: o.SHA256})
	switch {
	case errors.Is(cerr, stream.ErrMismatch):
		return fmt.Errorf("%w: the backup is damaged: %v (restoring failed with: %v)", fault.ErrVerification, cerr, err)
	case errors.Is(cerr, storage.ErrNotFound):
		return fmt.Errorf("%w: the backup is damaged: %s is missing", fault.ErrVerification, storage.Where(r.opts.Storage, key))
	}
	return err
}
