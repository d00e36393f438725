package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/retention"
	"github.com/noscites/citadel/backup/storage"
)

// SliceEntry is one committed PITR slice (its record exists), covering
// the oplog entries with After < ts ≤ Upper.
type SliceEntry struct {
	Record string // key of the .json record
	After  manifest.Timestamp
	Upper  manifest.Timestamp
	// Objects are the record and its data object keys.
	Objects []storage.Info
}

// Slices lists the committed oplog slices of a replica set in order.
// A data object without its record (an interrupted write) is not a slice.
func Slices(ctx context.Context, st storage.Storage, rs string) ([]SliceEntry, []storage.Info, error) {
	prefix := layout.PITRPrefix(rs)
	var out []SliceEntry
	var orphans []storage.Info
	byBase := map[string]int{}
	var data []storage.Info
	for info, err := range st.List(ctx, prefix) {
		if err != nil {
			return nil, nil, err
		}
		name := strings.TrimPrefix(info.Key, prefix)
		if after, upper, ok := layout.ParseSliceRecordName(name); ok {
			byBase[layout.SliceBase(after, upper)] = len(out)
			out = append(out, SliceEntry{Record: info.Key, After: after, Upper: upper, Objects: []storage.Info{info}})
			continue
		}
		data = append(data, info)
	}
	for _, info := range data {
		base, _, _ := strings.Cut(strings.TrimPrefix(info.Key, prefix), ".oplog.bson")
		if i, ok := byBase[base]; ok {
			out[i].Objects = append(out[i].Objects, info)
		} else {
			orphans = append(orphans, info)
		}
	}
	return out, orphans, nil
}

// LoadSlice reads a slice record.
func LoadSlice(ctx context.Context, st storage.Storage, key string) (*manifest.Slice, error) {
	b, err := storage.ReadAll(ctx, st, key)
	if err != nil {
		return nil, err
	}
	s, err := manifest.ParseSlice(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", storage.Where(st, key), err)
	}
	return s, nil
}

// PruneOptions tune a prune.
type PruneOptions struct {
	Policy retention.Policy
	DryRun bool
	Now    time.Time
}

// PruneResult says what prune decided and did.
type PruneResult struct {
	ReplicaSet     string         `json:"replica_set"`
	Storage        string         `json:"storage"`
	DryRun         bool           `json:"dry_run"`
	Plan           retention.Plan `json:"plan"`
	DeletedObjects int            `json:"deleted_objects"`
	FreedBytes     int64          `json:"freed_bytes"`
	Locked         []string       `json:"locked"`
	// DrillReports are the drill reports removed under <rs>/drills/ (with
	// DryRun, those that would be), oldest last: all but the newest
	// Policy.DrillReports.
	DrillReports []string `json:"drill_reports"`
	// RemovedLeftovers counts the temporary files, empty directories and
	// incomplete uploads removed (their bytes are in FreedBytes).
	RemovedLeftovers int `json:"removed_leftovers"`
	// Leftovers are those outside the backups the plan removes (PITR
	// slices' temporary files, remains next to a complete backup) that
	// are old enough to go: removed, or with DryRun, to be removed.
	Leftovers []storage.Leftover `json:"leftovers"`
}

// Prune applies the retention policy to one replica set's backups and
// slices. A backup is removed manifest first, so it stops existing before
// any of its data goes; objects under object lock are left and reported.
// An incomplete backup the plan removes goes whole: objects, temporary
// files, empty directories, incomplete uploads. Leftovers elsewhere under
// the set go once older than the policy's IncompleteAge.
func Prune(ctx context.Context, st storage.Storage, rs string, opts PruneOptions) (PruneResult, error) {
	res := PruneResult{ReplicaSet: rs, Storage: st.String(), DryRun: opts.DryRun, Locked: []string{}, Leftovers: []storage.Leftover{},
		DrillReports: []string{}}
	entries, stray, err := scanSet(ctx, st, rs)
	if err != nil {
		return res, err
	}
	sl, orphans, err := Slices(ctx, st, rs)
	if err != nil {
		return res, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	plan := retention.Make(now, toBackups(ctx, st, entries), toSlices(sl), opts.Policy)
	res.Plan = plan
	byID := map[string]Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	res.Leftovers = oldLeftovers(now, opts.Policy.IncompleteAge(), plan, entries, stray)
	if err := res.pruneReports(ctx, st, rs, now, opts); err != nil || opts.DryRun {
		return res, err
	}
	for _, id := range plan.Delete() {
		e := byID[id]
		if err := res.remove(ctx, st, layout.ManifestKey(rs, id), e.Objects); err != nil {
			return res, fmt.Errorf("prune backup %s: %w", id, err)
		}
		if err := res.removeLeftovers(ctx, st, e.Leftovers); err != nil {
			return res, fmt.Errorf("prune backup %s: %w", id, err)
		}
	}
	if err := res.removeLeftovers(ctx, st, res.Leftovers); err != nil {
		return res, err
	}
	del := map[string]bool{}
	for _, name := range plan.DeleteSlices {
		del[name] = true
	}
	for _, s := range sl {
		if del[s.Record] {
			if err := res.remove(ctx, st, s.Record, s.Objects); err != nil {
				return res, fmt.Errorf("prune oplog slice %s: %w", s.Record, err)
			}
		}
	}
	for _, o := range orphans { // data of slices whose record never got written
		if now.Sub(o.Modified) > opts.Policy.IncompleteAge() {
			if err := res.remove(ctx, st, "", []storage.Info{o}); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// oldLeftovers picks the leftovers not inside a backup the plan decides
// on as a whole (removed with it, or kept with it while it may still be
// running or is locked): those of complete backups and those outside any
// backup, older than age.
func oldLeftovers(now time.Time, age time.Duration, plan retention.Plan, entries []Entry, stray []storage.Leftover) []storage.Leftover {
	wholesale := map[string]bool{}
	for _, d := range plan.Backups {
		wholesale[d.ID] = !d.Complete
	}
	out := []storage.Leftover{}
	for _, e := range entries {
		if !wholesale[e.ID] {
			stray = append(stray, e.Leftovers...)
		}
	}
	for _, l := range stray {
		if now.Sub(l.Modified) > age {
			out = append(out, l)
		}
	}
	return out
}

// removeLeftovers removes what interrupted writes left.
func (res *PruneResult) removeLeftovers(ctx context.Context, st storage.Storage, ls []storage.Leftover) error {
	for _, l := range ls {
		if err := st.RemoveLeftover(ctx, l); err != nil {
			return err
		}
		res.RemovedLeftovers++
		res.FreedBytes += l.Size
	}
	return nil
}

// remove deletes first (the commit marker) then the other objects.
func (res *PruneResult) remove(ctx context.Context, st storage.Storage, first string, objects []storage.Info) error {
	ordered := make([]storage.Info, 0, len(objects))
	for _, o := range objects {
		if o.Key == first {
			ordered = append([]storage.Info{o}, ordered...)
		} else {
			ordered = append(ordered, o)
		}
	}
	for _, o := range ordered {
		err := st.Delete(ctx, o.Key)
		switch {
		case errors.Is(err, storage.ErrLocked):
			res.Locked = append(res.Locked, o.Key)
			if o.Key == first {
				return nil // still committed: keep the rest intact
			}
		case err != nil:
			return err
		default:
			res.DeletedObjects++
			res.FreedBytes += o.Size
		}
	}
	return nil
}

func toBackups(ctx context.Context, st storage.Storage, entries []Entry) []retention.Backup {
	out := make([]retention.Backup, 0, len(entries))
	for _, e := range entries {
		b := retention.Backup{ID: e.ID, Complete: e.Complete, Newest: e.Newest}
		if e.Complete {
			b.EndTS = e.Manifest.End.TS
			b.End = e.Manifest.End.Wall
			if b.End.IsZero() {
				b.End = e.Manifest.Finished
			}
		}
		if st.Capabilities().ObjectLock {
			key := layout.ManifestKey(e.ReplicaSet, e.ID)
			if !e.Complete && len(e.Objects) > 0 {
				key = e.Objects[0].Key
			}
			if info, err := st.Stat(ctx, key); err == nil {
				b.Locked = info.RetainUntil
			}
		}
		out = append(out, b)
	}
	return out
}

func toSlices(sl []SliceEntry) []retention.Slice {
	out := make([]retention.Slice, 0, len(sl))
	for _, s := range sl {
		out = append(out, retention.Slice{Name: s.Record, First: s.After, Last: s.Upper})
	}
	return out
}
