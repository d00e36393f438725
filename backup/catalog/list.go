// Package catalog works on the backups a storage holds, with nothing but
// the storage: list and show them, find the latest, verify every object
// (and with read-data every document), copy a backup to another storage
// verified on arrival, and prune by a retention plan. A backup exists only
// when its manifest does: that file is written last.
package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/internal/fault"
)

// ErrNoBackup means no complete backup matches.
var ErrNoBackup = errors.New("no such backup")

// Entry is one backup directory found in a storage.
type Entry struct {
	ReplicaSet string             `json:"replica_set"`
	ID         string             `json:"id"`
	Complete   bool               `json:"complete"`
	Manifest   *manifest.Manifest `json:"-"`
	// Problem explains why a directory with a manifest is not usable.
	Problem string         `json:"problem,omitempty"`
	Objects []storage.Info `json:"-"`
	Stored  int64          `json:"stored_bytes"`
	Newest  time.Time      `json:"newest_object"`
	// Leftovers are what interrupted writes left in the backup's
	// directory (temporary files, empty directories, incomplete
	// uploads): counted in no object, but in LeftoverBytes and Newest.
	Leftovers     []storage.Leftover `json:"-"`
	LeftoverBytes int64              `json:"leftover_bytes"`
}

// ReplicaSets lists the replica-set directories of a storage, including
// those that hold only the leftovers of interrupted writes.
func ReplicaSets(ctx context.Context, st storage.Storage) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(key string) {
		rs, _, ok := strings.Cut(key, "/")
		if ok && manifest.ValidReplicaSet(rs) && !seen[rs] {
			seen[rs] = true
			out = append(out, rs)
		}
	}
	for info, err := range st.List(ctx, "") {
		if err != nil {
			return nil, err
		}
		add(info.Key)
	}
	for l, err := range st.Leftovers(ctx, "") {
		if err != nil {
			return nil, err
		}
		add(l.Key)
	}
	slices.Sort(out)
	return out, nil
}

// List returns the backups of a replica set ("" for every one), oldest
// first. Incomplete directories — objects without a manifest, or only the
// leftovers of interrupted writes — are listed with Complete false:
// callers showing backups to users must skip or mark them.
func List(ctx context.Context, st storage.Storage, rs string) ([]Entry, error) {
	sets := []string{rs}
	if rs == "" {
		var err error
		if sets, err = ReplicaSets(ctx, st); err != nil {
			return nil, err
		}
	}
	var out []Entry
	for _, set := range sets {
		entries, err := listSet(ctx, st, set)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	return out, nil
}

func listSet(ctx context.Context, st storage.Storage, rs string) ([]Entry, error) {
	entries, _, err := scanSet(ctx, st, rs)
	return entries, err
}

// scanSet lists a replica set's backup directories, with their objects
// and leftovers, and returns apart the leftovers found elsewhere under the
// set's prefix (PITR slices' temporary files, for instance).
func scanSet(ctx context.Context, st storage.Storage, rs string) ([]Entry, []storage.Leftover, error) {
	if !manifest.ValidReplicaSet(rs) {
		return nil, nil, fault.Usage(fmt.Sprintf("%q is not a replica set name", rs))
	}
	byID := map[string]*Entry{}
	var ids []string
	entry := func(key string) *Entry {
		id, _, _ := strings.Cut(strings.TrimPrefix(key, rs+"/"), "/")
		if !manifest.ValidID(id) {
			return nil
		}
		e := byID[id]
		if e == nil {
			e = &Entry{ReplicaSet: rs, ID: id}
			byID[id] = e
			ids = append(ids, id)
		}
		return e
	}
	for info, err := range st.List(ctx, rs+"/") {
		if err != nil {
			return nil, nil, err
		}
		e := entry(info.Key)
		if e == nil {
			continue
		}
		e.Objects = append(e.Objects, info)
		e.Stored += info.Size
		e.Newest = later(e.Newest, info.Modified)
		if info.Key == layout.ManifestKey(rs, e.ID) {
			e.Complete = true
		}
	}
	var stray []storage.Leftover
	for l, err := range st.Leftovers(ctx, rs+"/") {
		if err != nil {
			return nil, nil, err
		}
		e := entry(l.Key)
		if e == nil {
			stray = append(stray, l)
			continue
		}
		e.Leftovers = append(e.Leftovers, l)
		e.LeftoverBytes += l.Size
		e.Newest = later(e.Newest, l.Modified)
	}
	return loadManifests(ctx, st, rs, ids, byID), stray, nil
}

// loadManifests orders the entries by id and reads each complete one's
// manifest; one that cannot be read makes its entry incomplete, with why.
func loadManifests(ctx context.Context, st storage.Storage, rs string, ids []string, byID map[string]*Entry) []Entry {
	slices.Sort(ids)
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		e := byID[id]
		if e.Complete {
			m, err := Load(ctx, st, rs, id)
			if err != nil {
				e.Complete, e.Problem = false, err.Error()
			} else {
				e.Manifest = m
			}
		}
		out = append(out, *e)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Load reads and checks one manifest.
func Load(ctx context.Context, st storage.Storage, rs, id string) (*manifest.Manifest, error) {
	key := layout.ManifestKey(rs, id)
	b, err := storage.ReadAll(ctx, st, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("backup %s of %s: %w (no %s)", id, rs, ErrNoBackup, storage.Where(st, key))
	}
	if err != nil {
		return nil, err
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", storage.Where(st, key), err)
	}
	if m.ID != id || m.ReplicaSet != rs {
		return nil, fmt.Errorf("read %s: %w: it describes backup %s of %s", storage.Where(st, key), manifest.ErrInvalid, m.ID, m.ReplicaSet)
	}
	return m, nil
}

// Find resolves an id, or "latest", to a complete backup. rs may be empty
// when the id is unique across replica sets; "latest" then needs rs unless
// the storage holds only one replica set.
func Find(ctx context.Context, st storage.Storage, rs, id string) (*manifest.Manifest, error) {
	if id != "latest" && !manifest.ValidID(id) {
		return nil, fault.Usage(fmt.Sprintf("%q is neither a backup id (like 20260102T030405Z-1a2b) nor latest", id))
	}
	entries, err := List(ctx, st, rs)
	if err != nil {
		return nil, err
	}
	var found []*manifest.Manifest
	for _, e := range entries {
		if e.Complete && (id == "latest" || e.ID == id) {
			found = append(found, e.Manifest)
		}
	}
	if id == "latest" {
		slices.SortFunc(found, func(a, b *manifest.Manifest) int {
			return cmp.Or(a.End.TS.Compare(b.End.TS), strings.Compare(a.ID, b.ID))
		})
		if len(found) > 0 && rs == "" && found[0].ReplicaSet != found[len(found)-1].ReplicaSet {
			return nil, fault.Usage("the storage holds several replica sets: name one with --rs")
		}
		if len(found) > 0 {
			return found[len(found)-1], nil
		}
	} else if len(found) > 1 {
		return nil, fault.Usage(fmt.Sprintf("backup %s exists for several replica sets: name one with --rs", id))
	} else if len(found) == 1 {
		return found[0], nil
	}
	where := st.String()
	if rs != "" {
		where += " for replica set " + rs
	}
	if id == "latest" {
		return nil, fmt.Errorf("%w: no complete backup in %s", ErrNoBackup, where)
	}
	return nil, fmt.Errorf("%w: %s is not a complete backup in %s", ErrNoBackup, id, where)
}
