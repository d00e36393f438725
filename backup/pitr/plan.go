package pitr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
)

// ErrNotCovered means the archive cannot reach the asked time.
var ErrNotCovered = errors.New("point in time not covered")

// Plan chooses what a restore to until replays: the newest complete
// backup that ends at or before until, and the continuous chain of slices
// from its end through until. It fails, saying how far the archive
// reaches, when a gap or the end of the archive comes first.
func Plan(ctx context.Context, st storage.Storage, rs string, until time.Time) (*manifest.Manifest, []*manifest.Slice, error) {
	entries, err := catalog.List(ctx, st, rs)
	if err != nil {
		return nil, nil, err
	}
	var base *manifest.Manifest
	for _, e := range entries {
		if e.Complete && !e.Manifest.End.Wall.After(until) && (base == nil || base.End.TS.Before(e.Manifest.End.TS)) {
			base = e.Manifest
		}
	}
	if base == nil {
		return nil, nil, fmt.Errorf("%w: no complete backup of %s in %s ends before %s", ErrNotCovered, rs, st, until.Format(time.RFC3339))
	}
	all, _, err := catalog.Slices(ctx, st, rs)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(all, func(a, b catalog.SliceEntry) int { return a.Upper.Compare(b.Upper) })
	reached, reachedWall := base.End.TS, base.End.Wall
	var chain []*manifest.Slice
	for _, se := range all {
		if !reached.Before(se.Upper) {
			continue // entirely before what we have
		}
		if !reachedWall.Before(until) {
			break // covered
		}
		if reached.Before(se.After) {
			return nil, nil, gapError(ctx, st, rs, reached, reachedWall)
		}
		s, err := catalog.LoadSlice(ctx, st, se.Record)
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, s)
		reached, reachedWall = s.Upper, s.Last.Wall
	}
	if reachedWall.Before(until) {
		return nil, nil, fmt.Errorf("%w: the oplog archive of %s reaches %s; %s is later (is the archiver running?)",
			ErrNotCovered, rs, reachedWall.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	}
	return base, chain, nil
}

// gapError says that the archive stops being continuous after reached,
// naming the recorded gap there when there is one.
func gapError(ctx context.Context, st storage.Storage, rs string, reached manifest.Timestamp, wall time.Time) error {
	gaps, err := catalog.Gaps(ctx, st, rs)
	if err != nil {
		return err
	}
	for _, g := range gaps {
		if !reached.Before(g.Gap.After) && reached.Before(g.Gap.Before) {
			return fmt.Errorf("%w: the oplog archive of %s has a gap from %s to %s (%s, recorded in %s: %s): restore at most to %s",
				ErrNotCovered, rs, g.Gap.After, g.Gap.Before, g.Gap.Detected.Format(time.RFC3339), storage.Where(st, g.Key), g.Gap.Reason, wall.Format(time.RFC3339))
		}
	}
	return fmt.Errorf("%w: the oplog archive of %s has a gap after %s (%s): restore at most to that time",
		ErrNotCovered, rs, reached, wall.Format(time.RFC3339))
}
