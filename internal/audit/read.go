package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrMalformed means a line of the trail is not a record FileSink writes.
var ErrMalformed = errors.New("not an audit record")

// MaxLine is the longest line ReadLast parses; a longer one is kept as a
// malformed entry (its first MaxLine bytes), and the lines after it are
// still read.
const MaxLine = 1 << 20

// Entry is one non-empty line of a trail file: its record, or when the
// line is not one, its text (at most MaxLine bytes) and why.
type Entry struct {
	Line   int    // 1-based line number in the file
	Record Record // zero when Err is set
	Raw    string // the line as read, set only when Err is
	Err    error  // wraps ErrMalformed
}

// ParseLine reads one line of the trail as FileSink writes it: a JSON
// object with at least a time and an action. Unknown fields are allowed
// (a newer citadel may add some).
func ParseLine(line []byte) (Record, error) {
	var r Record
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return Record{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if r.Time.IsZero() || r.Action == "" {
		return Record{}, fmt.Errorf("%w: no time or no action", ErrMalformed)
	}
	return r, nil
}

// ReadLast reads a trail and returns its last n non-empty lines as
// entries, oldest first, with the number of non-empty lines it holds.
// A malformed line is an entry with Err set, never an error: a damaged
// line must be shown, not hide the others.
func ReadLast(r io.Reader, n int) ([]Entry, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var ring []Entry
	total, lineNo := 0, 0
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			lineNo++
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			total++
			e := Entry{Line: lineNo}
			if len(line) > MaxLine {
				e.Raw, e.Err = string(line[:MaxLine]), fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, MaxLine)
			} else if e.Record, e.Err = ParseLine(t); e.Err != nil {
				e.Raw = string(t)
			}
			if n > 0 {
				ring = append(ring, e)
				if len(ring) > n {
					ring = ring[1:]
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return ring, total, nil
		}
		if err != nil {
			return ring, total, fmt.Errorf("read audit trail: %w", err)
		}
	}
}

// readLine reads one line without its newline, keeping at most
// MaxLine+1 bytes of it (enough to tell it is too long).
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(out) <= MaxLine {
			out = append(out, chunk[:min(len(chunk), MaxLine+1-len(out))]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil:
			return bytes.TrimSuffix(out, []byte("\n")), nil
		default:
			return out, err
		}
	}
}

// ReadLastFile is ReadLast on the trail file at path.
func ReadLastFile(path string, n int) ([]Entry, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open audit trail: %w", err)
	}
	defer f.Close()
	return ReadLast(f, n)
}
