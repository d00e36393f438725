package drill

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/internal/fault"
)

// point is what a drill restores: a backup, and (with PITR) the
// archived oplog up to the newest restorable point.
type point struct {
	Backup *manifest.Manifest
	// Slices is the length of the continuous chain that carries the
	// backup forward; Until is the wall time of its last entry (zero: no
	// chain, the backup's own end is the point).
	Slices int
	Until  time.Time
	// At is the newest restorable point: Until, or the backup's end.
	At time.Time
	// Hole, when set, says the archive has slices beyond a break in the
	// chain: they cannot be replayed, so the point stops at the break.
	Hole string
}

// hole is a break in a slice chain: nothing covers (From, To], and
// Beyond slices after it, up to Last, cannot be reached.
type hole struct {
	From, To, Last manifest.Timestamp
	Beyond         int
}

// chainFrom returns the continuous run of committed slices that carries a
// backup ending at end forward (the rule pitr.Plan follows: each slice
// must start at or before what is already covered), and the first break
// after which slices exist that the run cannot reach.
func chainFrom(end manifest.Timestamp, all []catalog.SliceEntry) ([]catalog.SliceEntry, *hole) {
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b catalog.SliceEntry) int { return a.Upper.Compare(b.Upper) })
	reached := end
	var chain []catalog.SliceEntry
	for i, se := range sorted {
		if !reached.Before(se.Upper) {
			continue // entirely covered already
		}
		if reached.Before(se.After) {
			rest := sorted[i:]
			return chain, &hole{From: reached, To: se.After, Last: rest[len(rest)-1].Upper, Beyond: len(rest)}
		}
		chain = append(chain, se)
		reached = se.Upper
	}
	return chain, nil
}

// plan chooses the backup (id or "latest") and, with PITR, the newest
// restorable point from the location's slices.
func plan(ctx context.Context, loc *jobs.Location, id string, pitrOn bool) (point, error) {
	m, err := jobs.Find(ctx, loc, id)
	if err != nil {
		return point{}, err
	}
	p := point{Backup: m, At: m.End.Wall}
	if !pitrOn || id != "latest" {
		return p, nil
	}
	all, _, err := catalog.Slices(ctx, loc.Storage, m.ReplicaSet)
	if err != nil {
		return p, err
	}
	chain, h := chainFrom(m.End.TS, all)
	if len(chain) > 0 {
		last, err := catalog.LoadSlice(ctx, loc.Storage, chain[len(chain)-1].Record)
		if err != nil {
			return p, fmt.Errorf("read the newest PITR slice: %w", err)
		}
		p.Slices, p.Until, p.At = len(chain), last.Last.Wall, last.Last.Wall
	}
	if h != nil {
		p.Hole = fmt.Sprintf("the PITR archive of %s in %s has a hole: no slice covers the oplog from %s (%s) to %s (%s), a missing slice; "+
			"the %d slice(s) after it, up to %s, cannot be replayed, so the drill restores only to %s",
			m.ReplicaSet, loc.Storage, h.From, p.At.UTC().Format(time.RFC3339), h.To, h.To.Time().Format(time.RFC3339),
			h.Beyond, h.Last.Time().Format(time.RFC3339), p.At.UTC().Format(time.RFC3339))
	}
	return p, nil
}

// checkRequest refuses combinations restore refuses too, before anything
// is read.
func checkRequest(id string, until time.Time) error {
	if id != "latest" && !manifest.ValidID(id) {
		return fault.Usage(fmt.Sprintf("--backup %q: give a backup id (like 20260102T030405Z-1a2b) or latest", id))
	}
	if !until.IsZero() && id != "latest" {
		return fault.Usage("with --until the drill picks the backup itself: leave out --backup or write --backup latest")
	}
	return nil
}
