package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/pitr"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// run is one drill in progress.
type run struct {
	env      jobs.Env
	req      Request
	cfg      *config.Config
	drill    *config.Drill
	backup   *config.Backup
	loc      *jobs.Location
	target   *scratch
	client   *mongo.Client // the scratch target
	now      func() time.Time
	manifest *manifest.Manifest // the backup restored, once known
	rep      *Report
}

// isVerification reports whether err is the evidence of a bad backup or
// archive (a reason the drill failed) rather than trouble running it.
func isVerification(err error) bool {
	return errors.Is(err, fault.ErrVerification) || errors.Is(err, pitr.ErrNotCovered)
}

// rehearse plans, restores, verifies and measures. Mismatches found
// after the restore are added to the report's reasons; the error is what
// stopped the rehearsal.
func (r *run) rehearse(ctx context.Context, id string) error {
	rep := r.rep
	restoreID, until := id, r.req.Until
	if until.IsZero() {
		p, err := plan(ctx, r.loc, id, r.backup.PITR.Enabled)
		if err != nil {
			return err
		}
		r.manifest = p.Backup
		rep.Backup, rep.BackupEnd, rep.Point, rep.Slices = p.Backup.ID, p.Backup.End.Wall, p.At, p.Slices
		if p.Hole != "" {
			rep.Reasons = append(rep.Reasons, p.Hole)
		}
		restoreID = p.Backup.ID
		if p.Slices > 0 { // restore picks the same backup: the newest ending before the point
			restoreID, until = "latest", p.Until
		}
	} else {
		rep.Point = until
	}
	req := jobs.RestoreRequest{Location: r.loc, ID: restoreID, Until: until, Drop: true, ReadBack: true, Identity: r.req.Identity}
	if r.target.rs != nil {
		req.ToReplicaSet = r.target.rs.Name
	} else {
		req.ToURI = r.target.uri
	}
	res, err := jobs.Restore(ctx, r.env, req)
	rep.Restore = &res
	if err != nil {
		return fmt.Errorf("restore into %s: %w", r.target.name, err)
	}
	rep.Backup, rep.Slices, rep.Reached, rep.Verification = res.Backup, res.Slices, res.ReachedWall, res.Verification
	rep.Collections, rep.Documents = len(res.Collections), res.Documents
	if r.manifest == nil || r.manifest.ID != res.Backup {
		if r.manifest, err = jobs.Find(ctx, r.loc, res.Backup); err != nil {
			return err
		}
		rep.BackupEnd = r.manifest.End.Wall
	}
	if err := r.checkIndexes(ctx, res.Collections); err != nil {
		return err
	}
	if err := r.queryable(ctx, res.Collections); err != nil {
		return err
	}
	rep.Verified = r.now().UTC()
	rep.RTO, rep.RPO = measure(rep.Started, rep.Verified, rep.Reached)
	// The probes come after the RTO is stamped: they are evidence the
	// restored data answers as the source did, not part of the restore
	// (on FerretDB each is a full pass).
	return r.checkProbes(ctx, &res)
}

// checkIndexes compares every restored collection's indexes with the
// backup's metadata; differences are reasons.
func (r *run) checkIndexes(ctx context.Context, colls []restore.Collection) error {
	ids, err := backup.Identities(r.req.Identity, r.loc.Backup)
	if err != nil {
		return err
	}
	for _, c := range colls {
		mc, ok := r.collection(c.Source)
		if !ok || c.Type != "collection" {
			continue
		}
		md, err := archive.ReadMetadata(ctx, r.loc.Storage, r.manifest, mc, ids)
		if err != nil {
			return fmt.Errorf("read the index definitions of %s: %w", c.Source, err)
		}
		got, err := listIndexes(ctx, r.coll(c.Target))
		if ce := (mongo.CommandError{}); errors.As(err, &ce) && ce.Code == 26 { // NamespaceNotFound
			r.rep.Reasons = append(r.rep.Reasons, fmt.Sprintf("%s is not on the target after the oplog replay (dropped after the backup?): its %d index(es) could not be checked", c.Target, len(md.Indexes)))
			continue
		}
		if err != nil {
			return err
		}
		r.rep.Reasons = append(r.rep.Reasons, compareIndexes(c.Target, md.Indexes, got)...)
		r.rep.Indexes += len(md.Indexes)
	}
	return nil
}

func (r *run) collection(ns string) (manifest.Collection, bool) {
	for _, c := range r.manifest.Collections {
		if c.Namespace() == ns {
			return c, true
		}
	}
	return manifest.Collection{}, false
}

func (r *run) coll(ns string) *mongo.Collection {
	db, c, _ := strings.Cut(ns, ".")
	return r.client.Database(db).Collection(c)
}

// queryable reads one document of every restored collection that holds
// some: the target answers queries, not only inserts.
func (r *run) queryable(ctx context.Context, colls []restore.Collection) error {
	for _, c := range colls {
		if c.Type != "collection" || c.Final == 0 {
			continue
		}
		err := r.coll(c.Target).FindOne(ctx, bson.D{}).Err()
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("query restored %s: %w", c.Target, err)
		}
	}
	return nil
}

// scratchDatabases are the databases the drill wrote into: those of the
// restored collections, or of the backup when the restore stopped early.
func (r *run) scratchDatabases() []string {
	var dbs []string
	add := func(ns string) {
		db, _, _ := strings.Cut(ns, ".")
		if db != "" && db != "admin" && db != "local" && db != "config" && !slices.Contains(dbs, db) {
			dbs = append(dbs, db)
		}
	}
	if r.rep.Restore != nil {
		for _, c := range r.rep.Restore.Collections {
			add(c.Target)
		}
	}
	if len(dbs) == 0 && r.manifest != nil {
		for _, c := range r.manifest.Collections {
			add(c.Namespace())
		}
	}
	slices.Sort(dbs)
	return dbs
}

// dropScratch drops the scratch databases, even after a failure (and
// after an interrupt: the drop runs on its own deadline). A database it
// cannot drop is a reason: the scratch target still holds a copy.
func (r *run) dropScratch(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	for _, db := range r.scratchDatabases() {
		if err := r.client.Database(db).Drop(ctx); err != nil {
			r.rep.Reasons = append(r.rep.Reasons, fmt.Sprintf("scratch database %s on %s was not dropped (%v): drop it by hand", db, r.target.name, err))
			continue
		}
		r.rep.Dropped = append(r.rep.Dropped, db)
	}
}
