package manifest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Slice commits one PITR oplog slice: every entry with After < ts ≤ Upper
// (First and Last are the actual first and last entries). A chain of
// slices is continuous when each slice's After is the previous slice's
// Upper; the first slice of a chain starts at a snapshot's end or after a
// gap.
type Slice struct {
	Format     int       `json:"format"`
	ReplicaSet string    `json:"replica_set"`
	After      Timestamp `json:"after"` // exclusive lower bound
	Upper      Timestamp `json:"upper"` // inclusive upper bound
	First      OpTime    `json:"first"` // first entry
	Last       OpTime    `json:"last"`  // last entry (inclusive upper bound)
	Entries    int64     `json:"entries"`
	Object     Object    `json:"object"`
	Written    time.Time `json:"written"`
	// Source is the member the slice was read from.
	Source string `json:"source,omitempty"`
	// Encryption, when set, is the same as for snapshots.
	Encryption *Encryption `json:"encryption,omitempty"`
}

// Marshal encodes the record.
func (s *Slice) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode slice record: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseSlice reads and checks a slice record.
func ParseSlice(b []byte) (*Slice, error) {
	var s Slice
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: slice record: %v", ErrInvalid, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: slice record: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Format < 1 || s.Format > Format:
		return nil, bad("format %d (this citadel reads up to %d)", s.Format, Format)
	case !ValidReplicaSet(s.ReplicaSet):
		return nil, bad("replica set %q", s.ReplicaSet)
	case s.Entries < 1:
		return nil, bad("%d entries", s.Entries)
	case !s.After.Before(s.First.TS) || s.Last.TS.Before(s.First.TS) || s.Upper.Before(s.Last.TS):
		return nil, bad("bounds after %s, first %s, last %s, upper %s out of order", s.After, s.First.TS, s.Last.TS, s.Upper)
	}
	if err := s.Object.validate(map[string]bool{}); err != nil {
		return nil, bad("%v", err)
	}
	return &s, nil
}

// Gap records a stretch of oplog history the archive does not have: the
// archiver found the entry after After gone (the oplog rolled over while
// it was down). A point-in-time restore can reach After, or start again
// from a backup taken after Before, never cross it.
type Gap struct {
	ReplicaSet string    `json:"replica_set"`
	After      Timestamp `json:"after"`  // last archived entry
	Before     Timestamp `json:"before"` // first entry archived again
	Detected   time.Time `json:"detected"`
	Reason     string    `json:"reason"`
}

// Marshal encodes the record.
func (g *Gap) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode gap record: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseGap reads and checks a gap record.
func ParseGap(b []byte) (*Gap, error) {
	var g Gap
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%w: gap record: %v", ErrInvalid, err)
	}
	if !ValidReplicaSet(g.ReplicaSet) || !g.After.Before(g.Before) {
		return nil, fmt.Errorf("%w: gap record: replica set %q, after %s, before %s", ErrInvalid, g.ReplicaSet, g.After, g.Before)
	}
	return &g, nil
}
