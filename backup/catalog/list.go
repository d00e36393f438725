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
}

// ReplicaSets lists the replica-set directories of a storage.
func ReplicaSets(ctx context.Context, st storage.Storage) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for info, err := range st.List(ctx, "") {
		if err != nil {
			return nil, err
		}
		rs, _, _, ok := layout.Split(info.Key)
		if ok && manifest.ValidReplicaSet(rs) && !seen[rs] {
			seen[rs] = true
			out = append(out, rs)
		}
	}
	return out, nil
}

// List returns the backups of a replica set ("" for every one), oldest
// first. Incomplete directories are listed with Complete false: callers
// showing backups to users must skip them.
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
	if !manifest.ValidReplicaSet(rs) {
		return nil, fault.Usage(fmt.Sprintf("%q is not a replica set name", rs))
	}
	byID := map[string]*Entry{}
	var ids []string
	for info, err := range st.List(ctx, rs+"/") {
		if err != nil {
			return nil, err
		}
		_, dir, rest, ok := layout.Split(info.Key)
		if !ok || dir == layout.PITRDir || !manifest.ValidID(dir) {
			continue
		}
		e := byID[dir]
		if e == nil {
			e = &Entry{ReplicaSet: rs, ID: dir}
			byID[dir] = e
			ids = append(ids, dir)
		}
		e.Objects = append(e.Objects, info)
		e.Stored += info.Size
		if info.Modified.After(e.Newest) {
			e.Newest = info.Modified
		}
		if rest == layout.ManifestName {
			e.Complete = true
		}
	}
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
	return out, nil
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
