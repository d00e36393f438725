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
	"strings"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// Options configure a restore.
type Options struct {
	Storage    storage.Storage
	Manifest   *manifest.Manifest
	Identities []age.Identity
	Target     *mongo.Client
	Namespaces *Namespaces // nil restores everything
	Drop       bool        // drop target collections that already exist
	// ConfirmDrop, with Drop, is asked before anything is written, with
	// the target namespaces that exist and will be dropped; an error
	// stops the restore. Nil drops without asking.
	ConfirmDrop func(ctx context.Context, drop []Existing) error
	// SkipPrecheck skips the check of every object's size and SHA-256
	// before the restore writes (a damaged object then fails the restore
	// midway, and the cleanup removes what it created).
	SkipPrecheck bool
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
	// existed: the target namespace was there before the restore.
	existed bool
	// acked is the digest of the documents read from the backup that the
	// target acknowledged; readBack, with ReadBack, the digest of what a
	// scan of the target returned.
	acked    digest.Digest
	readBack *digest.Digest
}

// Run restores the backup. Before it writes, it refuses a namespace
// selection that does what was not meant (see Namespaces), refuses
// existing non-empty targets without Drop (fault.ErrRefused), asks
// ConfirmDrop with Drop, and checks the size and SHA-256 of every object
// it will read (a damaged one wraps fault.ErrVerification, naming the
// key) unless SkipPrecheck. A data mismatch after loading wraps
// fault.ErrVerification too. A failure after the first write drops what
// the restore created and says what it left (see cleanup.go).
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
	r := &restorer{opts: opts, log: log, known: map[string]bool{}}
	targets, err := r.plan()
	if err != nil {
		return rep, err
	}
	for _, t := range targets {
		rep.Collections = append(rep.Collections, *t.report)
	}
	for i, t := range targets { // after the appends: the slice no longer moves
		t.report = &rep.Collections[i]
	}
	if err := r.run(ctx, targets, &rep); err != nil {
		return rep, r.cleanup(ctx, targets, err)
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

// run does the checks that write nothing, then the restore proper.
func (r *restorer) run(ctx context.Context, targets []*target, rep *Report) error {
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return r.survey(ctx, targets) },
		func(ctx context.Context) error { return r.precheck(ctx, targets) },
		func(ctx context.Context) error { return r.readMetadata(ctx, targets) },
		func(ctx context.Context) error { return r.prepare(ctx, targets) },
		func(ctx context.Context) error { return r.data(ctx, targets) },
		func(ctx context.Context) error { return r.verify(ctx, targets) },
		func(ctx context.Context) error { return r.indexesAndViews(ctx, targets) },
		func(ctx context.Context) error { return r.replay(ctx, rep) },
		func(ctx context.Context) error { return r.finalCounts(ctx, targets) },
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

type restorer struct {
	opts Options
	log  *slog.Logger
	// known says, per target namespace checked, whether it existed
	// before the restore; replayed lists the namespaces only the oplog
	// replay wrote into; writing is set once the first write is sent.
	known    map[string]bool
	replayed []string
	writing  bool
}

// plan maps the manifest's collections to targets. A selection that
// matches nothing, or a rename that renames nothing, is refused before
// anything is read or written.
func (r *restorer) plan() ([]*target, error) {
	m := r.opts.Manifest
	var out []*target
	var held, selected []string
	for _, c := range m.Collections {
		if db, coll, _ := strings.Cut(c.Namespace(), "."); !layout.Skipped(db, coll, false) {
			held = append(held, c.Namespace())
		}
		to, ok := r.opts.Namespaces.Map(c.Namespace())
		if !ok {
			continue
		}
		selected = append(selected, c.Namespace())
		db, coll := splitNS(to)
		out = append(out, &target{c: c, db: db, to: coll,
			report: &Collection{Source: c.Namespace(), Target: to, Type: c.Type}})
	}
	if err := r.opts.Namespaces.check(m.ID, held, selected); err != nil {
		return nil, err
	}
	return out, nil
}

// readMetadata reads each target's options and indexes (checked by the
// precheck first).
func (r *restorer) readMetadata(ctx context.Context, targets []*target) error {
	for _, t := range targets {
		md, err := archiveMetadata(ctx, r.opts, t.c)
		if err != nil {
			return r.damaged(ctx, layoutKey(r.opts.Manifest, t.c.Metadata), t.c.Metadata, err)
		}
		t.md, t.report.Indexes = md, len(md.Indexes)
	}
	return nil
}
