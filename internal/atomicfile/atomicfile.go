// Package atomicfile writes a file whole or not at all: the content goes
// to a temporary file in the same directory, renamed into place only when
// every byte was written and the file closed, so a reader (or a failed
// run) never sees half a report.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates path with what write produces. pattern names the
// temporary file (os.CreateTemp's, e.g. ".citadel-audit-*.html"); it is
// removed when anything fails, and the error names path.
func Write(path, pattern string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
