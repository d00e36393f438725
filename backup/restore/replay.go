package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/oplog"
	"github.com/noscites/citadel/backup/stream"
)

// indexesAndViews builds the secondary indexes after the data, then
// creates the views (whose viewOn follows the namespace mapping).
func (r *restorer) indexesAndViews(ctx context.Context, targets []*target) error {
	r.opts.Progress.SetPhase("indexes")
	for _, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		var specs bson.A
		for _, ix := range t.md.Indexes {
			if metadata.IndexName(ix) != "_id_" {
				specs = append(specs, withoutVersion(ix))
			}
		}
		if len(specs) == 0 {
			continue
		}
		cmd := bson.D{{Key: "createIndexes", Value: t.to}, {Key: "indexes", Value: specs}}
		if err := r.opts.Target.Database(t.db).RunCommand(ctx, cmd).Err(); err != nil {
			return fmt.Errorf("build indexes of %s.%s: %w", t.db, t.to, err)
		}
	}
	for _, t := range targets {
		if t.c.Type != "view" {
			continue
		}
		cmd := bson.D{{Key: "create", Value: t.to}}
		for _, e := range t.md.Options {
			if e.Key == "viewOn" {
				if on, ok := e.Value.(string); ok {
					if mapped, ok := r.opts.Namespaces.Map(t.c.DB + "." + on); ok {
						if db, coll := splitNS(mapped); db == t.db {
							e.Value = coll
						}
					}
				}
			}
			cmd = append(cmd, e)
		}
		if err := r.opts.Target.Database(t.db).RunCommand(ctx, cmd).Err(); err != nil {
			return fmt.Errorf("create view %s.%s: %w", t.db, t.to, err)
		}
	}
	return nil
}

// withoutVersion drops the index version "v": mongod builds the current
// version without it, and FerretDB refuses the option.
func withoutVersion(ix bson.D) bson.D {
	out := make(bson.D, 0, len(ix))
	for _, e := range ix {
		if e.Key != "v" {
			out = append(out, e)
		}
	}
	return out
}

// replay applies the backup's oplog, then the PITR slices, stopping after
// the last entry at or before Until.
func (r *restorer) replay(ctx context.Context, rep *Report) error {
	r.opts.Progress.SetPhase("oplog")
	a := &oplog.Applier{Client: r.opts.Target, Map: r.track(ctx), MapDB: r.opts.Namespaces.MapDB, Log: r.log}
	m := r.opts.Manifest
	rep.ReachedTS, rep.ReachedWall = m.End.TS, m.End.Wall
	if !r.opts.Until.IsZero() && r.opts.Until.Before(m.End.Wall) {
		return fmt.Errorf("--until %s is before the end of backup %s (%s): pick an older backup", r.opts.Until.Format(time.RFC3339), m.ID, m.End.Wall.Format(time.RFC3339))
	}
	oplogKey := layoutKey(m, m.Oplog.Object)
	docs, err := archive.OpenOplog(ctx, r.opts.Storage, m, r.opts.Identities)
	if err != nil {
		return r.damaged(ctx, oplogKey, m.Oplog.Object, err)
	}
	stopped, err := r.apply(ctx, a, docs, rep, manifest.Timestamp{}, false)
	docs.Close()
	if err != nil {
		return r.damaged(ctx, oplogKey, m.Oplog.Object, err)
	}
	prev := m.End.TS
	for _, s := range r.opts.Slices {
		if stopped {
			break
		}
		if prev.Before(s.After) {
			return fmt.Errorf("the oplog has a gap between %s and %s: no continuous history to replay", prev, s.After)
		}
		key := layout.PITRPrefix(s.ReplicaSet) + s.Object.Key
		sr, err := stream.Open(ctx, r.opts.Storage, key, stream.Encoding{Compressed: s.Object.Compressed, Encrypted: s.Object.Encrypted},
			r.opts.Identities, stream.Expect{Size: s.Object.Size, SHA256: s.Object.SHA256})
		if err != nil {
			return r.damaged(ctx, key, s.Object, err)
		}
		stopped, err = r.apply(ctx, a, &archive.Docs{DocReader: stream.NewDocReader(sr)}, rep, prev, !r.opts.Until.IsZero())
		sr.Close()
		if err != nil {
			return r.damaged(ctx, key, s.Object, err)
		}
		rep.Slices++
		if prev.Before(s.Last.TS) {
			prev = s.Last.TS
		}
	}
	if err := a.Flush(ctx); err != nil {
		return err
	}
	rep.OplogApplied, rep.OplogSkipped = a.Applied, a.Skipped
	return nil
}

// apply replays one oplog stream. Entries at or before skip were applied
// already (a slice may overlap the backup's own oplog); with until set, it
// stops before the first entry whose wall time is after Until and reports
// stopped.
func (r *restorer) apply(ctx context.Context, a *oplog.Applier, docs *archive.Docs, rep *Report, skip manifest.Timestamp, until bool) (stopped bool, err error) {
	for {
		doc, err := docs.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		e, err := oplog.Parse(doc)
		if err != nil {
			return false, err
		}
		if e.TS.Compare(skip) <= 0 {
			continue
		}
		if until && e.Wall.After(r.opts.Until) {
			return true, nil
		}
		if err := a.Apply(ctx, e); err != nil {
			return false, err
		}
		r.opts.Progress.Add(1, int64(len(doc)))
		rep.ReachedTS, rep.ReachedWall = e.TS, e.Wall
	}
}

// finalCounts records each collection's size after replay (from its
// statistics: a count with a filter would scan it on FerretDB).
func (r *restorer) finalCounts(ctx context.Context, targets []*target) error {
	for _, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		n, err := Count(ctx, r.coll(t))
		if ce := (mongo.CommandError{}); errors.As(err, &ce) && ce.Code == 26 { // NamespaceNotFound: dropped by the oplog
			n, err = 0, nil
		}
		if err != nil {
			return fmt.Errorf("count %s.%s after replay: %w", t.db, t.to, err)
		}
		t.report.Final = n
	}
	return nil
}
