package ingest

import (
	"os"
	"sync/atomic"

	"github.com/noscites/citadel/internal/progress"
)

// Phases a load names in its progress tracker.
const (
	PhaseLoad    = "load"    // reading, converting and writing
	PhaseIndexes = "indexes" // creating the indexes of a new collection
)

// counter counts the input bytes read, for the report and the tracker
// (which may be nil: nobody watches).
type counter struct {
	bytes atomic.Int64
	tr    *progress.Tracker
}

func (c *counter) add(n int64) {
	c.bytes.Add(n)
	c.tr.Add(0, n)
}

// countingFile counts the bytes read from an input file.
type countingFile struct {
	f *os.File
	c *counter
}

func (c *countingFile) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	c.c.add(int64(n))
	return n, err
}

func (c *countingFile) Close() error { return c.f.Close() }
