// Package restore puts a backup back into any MongoDB deployment: it
// creates the collections with their options, inserts the documents in
// parallel unordered w:majority batches, checks what the target
// acknowledged (and, with ReadBack, what it returns when read back)
// against the manifest's counts and content digests, builds the indexes,
// creates the views, then replays the oplog to the backup's end optime or,
// through archived PITR slices, to a chosen time. It needs nothing but the
// storage and, for encrypted backups, the age identity.
package restore

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/internal/fault"
)

// Options configure a restore.
type Options struct {
	Storage    storage.Storage
	Manifest   *manifest.Manifest
	Identities []age.Identity
	Target     *mongo.Client
	Namespaces *Namespaces // nil restores everything
	Drop       bool        // drop target collections that already exist
	// Slices are PITR oplog slices to replay after the backup's own oplog,
	// in order (see the pitr package); Until stops the replay at the last
	// entry whose wall time is not after it (zero: replay everything).
	Slices []*manifest.Slice
	Until  time.Time
	// ReadBack also reads every restored collection back when its load
	// ends (a full scan, overlapped with the loading of the others) and
	// compares the digest of what the target returns with the manifest.
	// Without it the data is proved by the digest of the documents the
	// target acknowledged and by the target's count (see verify.go).
	ReadBack bool
	// Parallelism is the number of collections restored at once (default
	// 4), BatchSize the documents per insert (default 1000) and Writers the
	// inserts in flight per collection (default 2).
	Parallelism, BatchSize, Writers int
	Progress                        *progress.Tracker
	Logger                          *slog.Logger
}

// Collection is the outcome for one collection.
type Collection struct {
	Source    string `json:"source"`
	Target    string `json:"target"`
	Type      string `json:"type"`
	Documents int64  `json:"documents"`
	Verified  bool   `json:"verified"`
	Indexes   int    `json:"indexes"`
	// Final is the document count after oplog replay.
	Final int64 `json:"final_documents"`
}

// Report is the outcome of a restore.
type Report struct {
	Backup       string             `json:"backup"`
	ReplicaSet   string             `json:"replica_set"`
	Collections  []Collection       `json:"collections"`
	Documents    int64              `json:"documents"`
	OplogApplied int64              `json:"oplog_applied"`
	OplogSkipped int64              `json:"oplog_skipped"`
	Slices       int                `json:"slices"`
	ReachedTS    manifest.Timestamp `json:"reached_ts"`
	ReachedWall  time.Time          `json:"reached_wall"`
	Verified     bool               `json:"verified"`
	// Verification says how: "acknowledged" (digest of the documents the
	// target acknowledged, and its count) or "read-back" (that, and the
	// digest of every collection read back from the target).
	Verification string        `json:"verification"`
	Duration     time.Duration `json:"duration_ns"`
}

// Verification methods.
const (
	VerifiedAcknowledged = "acknowledged"
	VerifiedReadBack     = "read-back"
)

// target is one collection being restored.
type target struct {
	c      manifest.Collection
	db, to string // target database and collection
	md     *metadata.Metadata
	report *Collection
	// acked is the digest of the documents read from the backup that the
	// target acknowledged; readBack, with ReadBack, the digest of what a
	// scan of the target returned.
	acked    digest.Digest
	readBack *digest.Digest
}

// Run restores the backup. A data mismatch after loading returns an error
// wrapping fault.ErrVerification; existing non-empty collections without
// Drop are refused (fault.ErrRefused) before anything is written.
func Run(ctx context.Context, opts Options) (Report, error) {
	start := time.Now()
	m := opts.Manifest
	rep := Report{Backup: m.ID, ReplicaSet: m.ReplicaSet, Collections: []Collection{}}
	if m.Encrypted() && len(opts.Identities) == 0 {
		return rep, fmt.Errorf("restore %s: %w: give the age identity file with --identity", m.ID, stream.ErrNoIdentity)
	}
	if opts.Namespaces == nil {
		opts.Namespaces, _ = NewNamespaces(nil, "", "")
	}
	log := cmp.Or(opts.Logger, slog.Default()).With("backup", m.ID)
	r := &restorer{opts: opts, log: log}
	targets, err := r.plan(ctx)
	if err != nil {
		return rep, err
	}
	for _, t := range targets {
		rep.Collections = append(rep.Collections, *t.report)
	}
	for i, t := range targets { // after the appends: the slice no longer moves
		t.report = &rep.Collections[i]
	}
	if err := r.prepare(ctx, targets); err != nil {
		return rep, err
	}
	if err := r.data(ctx, targets); err != nil {
		return rep, err
	}
	if err := r.verify(ctx, targets); err != nil {
		return rep, err
	}
	if err := r.indexesAndViews(ctx, targets); err != nil {
		return rep, err
	}
	if err := r.replay(ctx, &rep); err != nil {
		return rep, err
	}
	if err := r.finalCounts(ctx, targets); err != nil {
		return rep, err
	}
	for _, c := range rep.Collections {
		rep.Documents += c.Documents
	}
	rep.Verified = true
	rep.Verification = VerifiedAcknowledged
	if opts.ReadBack {
		rep.Verification = VerifiedReadBack
	}
	rep.Duration = time.Since(start)
	log.Info("restore done", "documents", rep.Documents, "oplog_applied", rep.OplogApplied, "duration", rep.Duration)
	return rep, nil
}

type restorer struct {
	opts Options
	log  *slog.Logger
}

// plan maps the manifest's collections to targets and reads their metadata.
func (r *restorer) plan(ctx context.Context) ([]*target, error) {
	m := r.opts.Manifest
	var out []*target
	for _, c := range m.Collections {
		to, ok := r.opts.Namespaces.Map(c.Namespace())
		if !ok {
			continue
		}
		md, err := archiveMetadata(ctx, r.opts, c)
		if err != nil {
			return nil, err
		}
		db, coll := splitNS(to)
		out = append(out, &target{c: c, db: db, to: coll, md: md,
			report: &Collection{Source: c.Namespace(), Target: to, Type: c.Type, Indexes: len(md.Indexes)}})
	}
	if len(out) == 0 {
		return nil, fault.Usage(fmt.Sprintf("no collection of backup %s matches the namespace filter", m.ID))
	}
	return out, nil
}
