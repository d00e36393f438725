// Package pitr archives the oplog continuously in slices (one per
// configured period, a minute by default, so the RPO is about a minute),
// detects and records gaps (an oplog that rolled over while the archiver
// was down), and chooses the backup and the chain of slices a
// point-in-time restore replays.
//
// Slices live under <rs>/pitr/: the data object first, then a JSON record
// that commits it. Each record's After is the last timestamp of the slice
// before it, so a chain is continuous exactly when every After equals the
// previous Last. Only majority-committed entries are archived, so no
// archived write can be rolled back.
package pitr

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/oplog"
)

// Archiver cuts a member's oplog into slices.
type Archiver struct {
	Client *mongo.Client // connected directly to the source member
	Dest   archive.Destination
	Slice  time.Duration // period between slices (default 1 minute)
	Logger *slog.Logger
	// OnSlice and OnGap, when set, are told of each slice and gap.
	OnSlice func(*manifest.Slice)
	OnGap   func(*manifest.Gap)

	rs        string
	secondary bool               // the source was a secondary when the archiver started
	last      manifest.Timestamp // last archived entry: the next slice's After
}

// ErrSourceLost means the member the archiver reads from can no longer
// serve it: it does not answer, stepped up to primary, left the set or is
// neither primary nor secondary. Run returns it so that whoever hosts the
// archiver chooses a source again; a new archiver resumes from the last
// committed slice.
var ErrSourceLost = errors.New("the archiver's source member is lost")

// Run archives a slice every period until ctx ends, then returns ctx's
// error. The slice in flight when ctx ends is finished first (within
// sliceLimit): an interrupt stops the archiver between slices, never inside
// one. Errors of one round are logged and retried at the next; a gap is
// recorded and archiving resumes from the oldest entry still in the oplog.
// When the source is lost (ErrSourceLost) Run returns that error.
func (a *Archiver) Run(ctx context.Context) error {
	log := cmp.Or(a.Logger, slog.Default())
	period := cmp.Or(a.Slice, time.Minute)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sliceLimit(period))
		_, err := a.Once(sctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, ErrSourceLost) {
			return fmt.Errorf("pitr archiver of %s: %w", cmp.Or(a.rs, "the replica set"), err)
		}
		if err != nil {
			log.Error("pitr slice failed; retrying at the next period", "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pitr archiver of %s stopped after its last slice: %w", cmp.Or(a.rs, "the replica set"), ctx.Err())
		case <-tick.C:
		}
	}
}

// sliceLimit bounds how long one slice may take once the archiver is
// asked to stop.
func sliceLimit(period time.Duration) time.Duration { return max(2*period, time.Minute) }

// Once archives the majority-committed entries after the last archived one.
// It returns nil when there was nothing new.
func (a *Archiver) Once(ctx context.Context) (*manifest.Slice, error) {
	pos, err := oplog.Hello(ctx, a.Client)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrSourceLost, err)
	}
	if a.rs == "" {
		a.rs, a.secondary = pos.SetName, pos.Secondary
		if err := a.resume(ctx, pos); err != nil {
			return nil, err
		}
	}
	if err := a.check(pos); err != nil {
		return nil, err
	}
	upper := pos.Majority.TS
	if upper.IsZero() {
		return nil, fmt.Errorf("pitr: %s reports no majority-committed optime", pos.Me)
	}
	if !a.last.Before(upper) {
		return nil, nil
	}
	return a.write(ctx, upper, pos.Me)
}

// check says whether the member can still be the source: in the same
// set, primary or secondary, and not stepped up when it was a secondary.
func (a *Archiver) check(pos oplog.Position) error {
	switch {
	case a.rs != pos.SetName:
		return fmt.Errorf("%w: %s now reports replica set %q, not %q", ErrSourceLost, pos.Me, pos.SetName, a.rs)
	case a.secondary && pos.Primary:
		return fmt.Errorf("%w: %s stepped up to primary", ErrSourceLost, pos.Me)
	case !pos.Primary && !pos.Secondary:
		return fmt.Errorf("%w: %s is neither primary nor secondary", ErrSourceLost, pos.Me)
	}
	return nil
}

// resume finds where the archive stops: the end of the committed slice
// reaching furthest, else the newest backup's end, else the member's
// current optime. (Two archivers for a moment after a leader change may
// leave overlapping slices: the furthest end, not the last key, counts.)
func (a *Archiver) resume(ctx context.Context, pos oplog.Position) error {
	sl, _, err := catalog.Slices(ctx, a.Dest.Storage, a.rs)
	if err != nil {
		return err
	}
	if len(sl) > 0 {
		for _, s := range sl {
			if a.last.Before(s.Upper) {
				a.last = s.Upper
			}
		}
		return nil
	}
	if m, err := catalog.Find(ctx, a.Dest.Storage, a.rs, "latest"); err == nil {
		a.last = m.End.TS
		return nil
	} else if !errors.Is(err, catalog.ErrNoBackup) {
		return err
	}
	a.last = pos.Majority.TS
	return nil
}

// write stores the entries in (last, upper] as one slice, then its record.
func (a *Archiver) write(ctx context.Context, upper manifest.Timestamp, source string) (*manifest.Slice, error) {
	filter := bson.D{{Key: "ts", Value: bson.D{{Key: "$gte", Value: a.last.BSON()}, {Key: "$lte", Value: upper.BSON()}}}}
	cur, err := oplog.Collection(a.Client).Find(ctx, filter, options.Find().SetBatchSize(5000))
	if err != nil {
		return nil, fmt.Errorf("pitr: read oplog after %s: %w", a.last, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	s := &manifest.Slice{ReplicaSet: a.rs, After: a.last, Upper: upper, Source: source}
	var gap *manifest.Gap
	obj, err := a.Dest.SliceObject(ctx, a.rs, a.last, upper, func(w io.Writer) error {
		var gerr error
		gap, gerr = a.copyEntries(ctx, cur, s, w)
		return gerr
	})
	if err != nil {
		return nil, err
	}
	if gap != nil {
		if err := a.recordGap(ctx, gap); err != nil {
			return nil, err
		}
	}
	if s.Entries == 0 { // only the entry at After itself: nothing new
		_ = a.Dest.DeleteSliceObject(ctx, a.rs, obj)
		if gap != nil {
			a.last = upper // resume after the hole
		}
		return nil, nil
	}
	s.Object = obj
	if err := a.Dest.CommitSlice(ctx, s); err != nil {
		return nil, fmt.Errorf("pitr: %w", err)
	}
	a.last = upper
	if a.OnSlice != nil {
		a.OnSlice(s)
	}
	return s, nil
}

// copyEntries writes the entries after s.After. The first entry read must
// be s.After itself (still in the oplog); otherwise history between them
// is lost and the gap is returned, the slice then starting a new chain.
func (a *Archiver) copyEntries(ctx context.Context, cur *mongo.Cursor, s *manifest.Slice, w io.Writer) (*manifest.Gap, error) {
	var gap *manifest.Gap
	first := true
	for cur.Next(ctx) {
		e, err := oplog.Parse(cur.Current)
		if err != nil {
			return nil, err
		}
		if first {
			first = false
			if e.TS == s.After {
				continue
			}
			gap = &manifest.Gap{ReplicaSet: a.rs, After: s.After, Before: e.TS, Detected: time.Now().UTC(),
				Reason: "the oplog rolled over: entries after the last archived one are gone (the archiver could not read for longer than the oplog window: down, without a source, or more written in one slice period than the oplog holds)"}
			s.After = justBefore(e.TS)
		}
		if _, err := w.Write(cur.Current); err != nil {
			return nil, err
		}
		if s.Entries == 0 {
			s.First = e.OpTime()
		}
		s.Last = e.OpTime()
		s.Entries++
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("pitr: read oplog: %w", err)
	}
	if first {
		return &manifest.Gap{ReplicaSet: a.rs, After: s.After, Before: s.Upper, Detected: time.Now().UTC(),
			Reason: "the oplog no longer holds anything from the last archived entry to the majority point"}, nil
	}
	return gap, nil
}

// justBefore is the largest timestamp before ts, the After of a slice that
// starts a new chain at ts.
func justBefore(ts manifest.Timestamp) manifest.Timestamp {
	if ts.I > 0 {
		return manifest.Timestamp{T: ts.T, I: ts.I - 1}
	}
	return manifest.Timestamp{T: ts.T - 1, I: ^uint32(0)}
}

// recordGap writes a gap record under pitr-gaps/ and tells OnGap.
func (a *Archiver) recordGap(ctx context.Context, g *manifest.Gap) error {
	cmp.Or(a.Logger, slog.Default()).Error("pitr gap: point-in-time restore is impossible inside it",
		"rs", g.ReplicaSet, "after", g.After, "before", g.Before, "reason", g.Reason)
	if err := a.Dest.RecordGap(ctx, g); err != nil {
		return fmt.Errorf("pitr: %w", err)
	}
	if a.OnGap != nil {
		a.OnGap(g)
	}
	return nil
}
