package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// CopyOptions tune a copy.
type CopyOptions struct {
	Parallelism int
	// Progress, when set, is called after each object with its size.
	Progress func(key string, bytes int64)
}

// CopyResult says what a copy did.
type CopyResult struct {
	ID             string `json:"id"`
	ReplicaSet     string `json:"replica_set"`
	From           string `json:"from"`
	To             string `json:"to"`
	Objects        int    `json:"objects"`
	Bytes          int64  `json:"bytes"`
	AlreadyPresent bool   `json:"already_present"`
	// History is the PITR slices and gap records copied with it.
	History *HistoryResult `json:"history,omitempty"`
}

// Copy copies a backup to another storage (the destination's object lock
// applies; objects are copied as stored, so its codec is not used). Every
// object is read back from the target and checked against the manifest's
// size and SHA-256 before the manifest is written there, last, so an
// interrupted copy leaves no backup the target would list.
func Copy(ctx context.Context, src storage.Storage, to archive.Destination, m *manifest.Manifest, opts CopyOptions) (CopyResult, error) {
	dst := to.Storage
	res := CopyResult{ID: m.ID, ReplicaSet: m.ReplicaSet, From: src.String(), To: dst.String()}
	if existing, err := Load(ctx, dst, m.ReplicaSet, m.ID); err == nil {
		if a, b := mustJSON(existing), mustJSON(m); a != b {
			return res, fmt.Errorf("copy backup %s to %s: a different backup with the same id is there", m.ID, dst)
		}
		if _, err := Verify(ctx, dst, existing, VerifyOptions{Parallelism: opts.Parallelism}); err != nil {
			return res, fmt.Errorf("copy backup %s: the copy already in %s: %w", m.ID, dst, err)
		}
		res.AlreadyPresent = true
		return res, nil
	} else if !errors.Is(err, ErrNoBackup) {
		return res, err
	}
	dir := layout.Dir(m.ReplicaSet, m.ID)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(opts.Parallelism, 4))
	for _, o := range m.Objects() {
		g.Go(func() error {
			if err := copyObject(gctx, src, to, dir+o.Key, o); err != nil {
				return err
			}
			if opts.Progress != nil {
				opts.Progress(dir+o.Key, o.Size)
			}
			return nil
		})
		res.Objects++
		res.Bytes += o.Size
	}
	if err := g.Wait(); err != nil {
		return res, fmt.Errorf("copy backup %s to %s: %w", m.ID, dst, err)
	}
	b, err := storage.ReadAll(ctx, src, layout.ManifestKey(m.ReplicaSet, m.ID))
	if err != nil {
		return res, err
	}
	if _, err := storage.PutBytes(ctx, dst, layout.ManifestKey(m.ReplicaSet, m.ID), b, to.Put()); err != nil {
		return res, fmt.Errorf("copy backup %s: write manifest: %w", m.ID, err)
	}
	res.Objects++
	res.Bytes += int64(len(b))
	return res, nil
}

// copyObject streams one object, checking the source on the way, then reads
// the target back and checks it too.
func copyObject(ctx context.Context, src storage.Storage, to archive.Destination, key string, o manifest.Object) error {
	expect := stream.Expect{Size: o.Size, SHA256: o.SHA256}
	r, err := stream.Open(ctx, src, key, stream.Encoding{}, nil, expect)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := to.Storage.Put(ctx, key, r, to.Put()); err != nil {
		return err // includes a source that does not match its record
	}
	if err := stream.Check(ctx, to.Storage, key, expect); err != nil {
		return fmt.Errorf("check on arrival: %w", err)
	}
	return nil
}

func mustJSON(m *manifest.Manifest) string {
	b, _ := m.Marshal()
	return string(b)
}
