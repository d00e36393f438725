package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
)

// Summary is one backup as `backup list` and a run's result show it.
type Summary struct {
	ID          string    `json:"id"`
	ReplicaSet  string    `json:"replica_set"`
	Storage     string    `json:"storage"`
	End         time.Time `json:"end"`
	Collections int       `json:"collections"`
	Documents   int64     `json:"documents"`
	StoredBytes int64     `json:"stored_bytes"`
	Oplog       int64     `json:"oplog_entries"`
	Encrypted   bool      `json:"encrypted"`
	Source      string    `json:"source"`
	Complete    bool      `json:"complete"`
	// For an incomplete backup (backup list --all): what is wrong, and
	// its newest write; StoredBytes then counts everything it occupies.
	Problem     string    `json:"problem,omitempty"`
	LastWritten time.Time `json:"last_written,omitzero"`
}

// Summarize describes a complete backup stored in st.
func Summarize(m *manifest.Manifest, st storage.Storage) Summary {
	return Summary{ID: m.ID, ReplicaSet: m.ReplicaSet, Storage: st.String(), End: m.End.Wall, Collections: m.Totals.Collections,
		Documents: m.Totals.Documents, StoredBytes: m.Totals.StoredBytes, Oplog: m.Oplog.Entries, Encrypted: m.Encrypted(), Source: m.Source.Host, Complete: true}
}

// summarizeIncomplete describes a directory that is not a usable backup.
func summarizeIncomplete(en catalog.Entry, st storage.Storage) Summary {
	problem := en.Problem
	if problem == "" {
		problem = fmt.Sprintf("no manifest (an interrupted run): %d objects, %d leftovers of unfinished writes", len(en.Objects), len(en.Leftovers))
	}
	return Summary{ID: en.ID, ReplicaSet: en.ReplicaSet, Storage: st.String(), StoredBytes: en.Stored + en.LeftoverBytes, Problem: problem, LastWritten: en.Newest}
}

// ListResult is what a location holds.
type ListResult struct {
	Backups []Summary
	// Incomplete counts the incomplete backups left out (without All).
	Incomplete int
}

// List lists the backups of a location; with all, incomplete ones too.
func List(ctx context.Context, loc *Location, all bool) (ListResult, error) {
	entries, err := catalog.List(ctx, loc.Storage, loc.ReplicaSet)
	if err != nil {
		return ListResult{}, err
	}
	res := ListResult{Backups: []Summary{}}
	for _, en := range entries {
		switch {
		case en.Complete:
			res.Backups = append(res.Backups, Summarize(en.Manifest, loc.Storage))
		case all:
			res.Backups = append(res.Backups, summarizeIncomplete(en, loc.Storage))
		default:
			res.Incomplete++
		}
	}
	return res, nil
}

// Find finds a backup of a location by id or "latest".
func Find(ctx context.Context, loc *Location, id string) (*manifest.Manifest, error) {
	return catalog.Find(ctx, loc.Storage, loc.ReplicaSet, id)
}
