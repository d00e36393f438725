// Package progress is internal/progress under the name the backup
// packages first imported: the same types, so a tracker moves between
// them unchanged. New code imports internal/progress.
package progress

import "github.com/noscites/citadel/internal/progress"

// Snapshot is the state of the counters at one moment.
type Snapshot = progress.Snapshot

// Func receives snapshots.
type Func = progress.Func

// Tracker holds the counters (see internal/progress).
type Tracker = progress.Tracker

// New starts a tracker.
func New() *Tracker { return progress.New() }
