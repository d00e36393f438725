package oplog

import (
	"sort"

	"github.com/noscites/citadel/internal/mongosim/replset"
)

// Log is a member's ordered oplog. It is not safe for concurrent use: the
// set's lock guards it.
type Log struct {
	entries []*Entry
	size    int
	// MaxBytes caps the log like oplogSizeMB; the oldest entries go first.
	MaxBytes int
}

// Len is the number of entries.
func (l *Log) Len() int { return len(l.entries) }

// Size is the total size of the entries in bytes.
func (l *Log) Size() int { return l.size }

// At returns the i-th entry.
func (l *Log) At(i int) *Entry { return l.entries[i] }

// Last returns the newest optime (zero when empty).
func (l *Log) Last() replset.OpTime {
	if len(l.entries) == 0 {
		return replset.OpTime{}
	}
	return l.entries[len(l.entries)-1].OpTime
}

// LastEntry returns the newest entry or nil.
func (l *Log) LastEntry() *Entry {
	if len(l.entries) == 0 {
		return nil
	}
	return l.entries[len(l.entries)-1]
}

// Append adds entries at the end and trims the oldest past MaxBytes.
func (l *Log) Append(es ...*Entry) {
	for _, e := range es {
		l.entries = append(l.entries, e)
		l.size += len(e.Raw)
	}
	if l.MaxBytes <= 0 || l.size <= l.MaxBytes {
		return
	}
	drop := 0
	for l.size > l.MaxBytes && drop < len(l.entries)-1 {
		l.size -= len(l.entries[drop].Raw)
		drop++
	}
	l.entries = append([]*Entry(nil), l.entries[drop:]...)
}

// After returns the index of the first entry whose timestamp is after op's.
func (l *Log) After(op replset.OpTime) int {
	return sort.Search(len(l.entries), func(i int) bool {
		ts := l.entries[i].OpTime.TS
		return ts.T > op.TS.T || (ts.T == op.TS.T && ts.I > op.TS.I)
	})
}

// Contains reports whether an entry with exactly this optime is in the log.
func (l *Log) Contains(op replset.OpTime) bool {
	if op.IsZero() {
		return true
	}
	i := l.After(op) - 1
	return i >= 0 && l.entries[i].OpTime == op
}

// Index returns the index of the entry with this optime, or -1.
func (l *Log) Index(op replset.OpTime) int {
	i := l.After(op) - 1
	if i >= 0 && l.entries[i].OpTime == op {
		return i
	}
	return -1
}

// TruncateAfter drops every entry after index i (-1 drops all).
func (l *Log) TruncateAfter(i int) []*Entry {
	dropped := append([]*Entry(nil), l.entries[i+1:]...)
	for _, e := range dropped {
		l.size -= len(e.Raw)
	}
	l.entries = l.entries[:i+1]
	return dropped
}

// First returns the oldest entry or nil.
func (l *Log) First() *Entry {
	if len(l.entries) == 0 {
		return nil
	}
	return l.entries[0]
}
