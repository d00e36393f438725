package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRecordBytes bounds one logical CSV record (a quoted field may span
// lines). Past it the file is not what it claims to be (an unterminated quote
// or binary data), and reading stops rather than buffering the whole file.
const MaxRecordBytes = 1 << 20

// Errors a CSV reader returns. ErrRecordTooLong is fatal; the others come
// with the record so that it can be rejected and reading can go on.
var (
	ErrRecordTooLong     = errors.New("record longer than 1 MiB (unterminated quote or not a text file?)")
	ErrUnterminatedQuote = errors.New("unterminated quoted field at end of file (truncated file?)")
	ErrBinary            = errors.New("binary data (NUL byte) in record")
)

// CSVOptions describes one CSV dialect.
type CSVOptions struct {
	// Comma separates fields (',' when zero).
	Comma byte
	// NoQuotes makes '"' an ordinary character (DVF has no quoting).
	NoQuotes bool
}

// CSVRecord is one logical record.
type CSVRecord struct {
	Line   int      // line where the record starts, 1-based
	Fields []string // valid until the next Read
	Raw    string   // the record's text without its final line break
}

// CSVReader reads RFC-4180 records from a stream: a UTF-8 byte order mark is
// dropped, CRLF and LF both end records, quoted fields may hold separators,
// doubled quotes and line breaks (kept as "\n"), and blank lines are skipped.
// Memory is bounded by MaxRecordBytes.
type CSVReader struct {
	r      *bufio.Reader
	comma  byte
	quotes bool
	line   int
	raw    []byte
	field  []byte
	fields []string
}

// NewCSVReader returns a reader of r in the given dialect.
func NewCSVReader(r io.Reader, opt CSVOptions) *CSVReader {
	c := &CSVReader{r: bufio.NewReaderSize(r, 64<<10), comma: opt.Comma, quotes: !opt.NoQuotes}
	if c.comma == 0 {
		c.comma = ','
	}
	return c
}

// Line is the number of physical lines read so far.
func (c *CSVReader) Line() int { return c.line }

type csvState int

const (
	stFieldStart csvState = iota
	stUnquoted
	stQuoted
	stQuoteInQuoted
)

// Read returns the next record, or io.EOF. A *ParseError wrapping
// ErrUnterminatedQuote or ErrBinary comes with a usable record; one wrapping
// ErrRecordTooLong, or any I/O error, ends reading.
func (c *CSVReader) Read() (CSVRecord, error) {
	for {
		rec, err := c.read()
		if err == nil && len(rec.Fields) == 1 && rec.Fields[0] == "" && rec.Raw == "" {
			continue // blank line
		}
		return rec, err
	}
}

func (c *CSVReader) read() (CSVRecord, error) {
	c.raw, c.field, c.fields = c.raw[:0], c.field[:0], c.fields[:0]
	state := stFieldStart
	start := c.line + 1
	for {
		line, rerr := c.readLine()
		if rerr != nil && rerr != io.EOF {
			return CSVRecord{}, fmt.Errorf("read line %d: %w", c.line+1, rerr)
		}
		if len(line) == 0 && rerr == io.EOF {
			if len(c.raw) == 0 {
				return CSVRecord{}, io.EOF
			}
			c.fields = append(c.fields, string(c.field))
			return c.record(start), &ParseError{Line: start, Err: ErrUnterminatedQuote}
		}
		c.line++
		if c.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(c.raw)+len(line) > MaxRecordBytes {
			return CSVRecord{}, &ParseError{Line: start, Err: ErrRecordTooLong}
		}
		c.raw = append(c.raw, line...)
		state = c.scan(trimEOL(line), state)
		if state != stQuoted {
			c.fields = append(c.fields, string(c.field))
			rec := c.record(start)
			if bytes.IndexByte(c.raw, 0) >= 0 {
				return rec, &ParseError{Line: start, Err: ErrBinary}
			}
			return rec, nil
		}
		c.field = append(c.field, '\n')
	}
}

func (c *CSVReader) record(start int) CSVRecord {
	return CSVRecord{Line: start, Fields: c.fields, Raw: string(trimEOL(c.raw))}
}

// readLine returns one physical line with its terminator.
func (c *CSVReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	buf := append([]byte(nil), line...)
	for err == bufio.ErrBufferFull && len(buf) <= MaxRecordBytes {
		line, err = c.r.ReadSlice('\n')
		buf = append(buf, line...)
	}
	if err == bufio.ErrBufferFull {
		err = nil // the caller's bound check reports it
	}
	return buf, err
}

// scan feeds one line (without its terminator) through the state machine.
func (c *CSVReader) scan(b []byte, state csvState) csvState {
	for _, ch := range b {
		switch state {
		case stFieldStart:
			switch {
			case c.quotes && ch == '"':
				state = stQuoted
			case ch == c.comma:
				c.endField()
			default:
				c.field = append(c.field, ch)
				state = stUnquoted
			}
		case stUnquoted:
			if ch == c.comma {
				c.endField()
				state = stFieldStart
			} else {
				c.field = append(c.field, ch)
			}
		case stQuoted:
			if ch == '"' {
				state = stQuoteInQuoted
			} else {
				c.field = append(c.field, ch)
			}
		case stQuoteInQuoted:
			switch ch {
			case '"':
				c.field = append(c.field, '"')
				state = stQuoted
			case c.comma:
				c.endField()
				state = stFieldStart
			default: // lenient: text after a closing quote is kept
				c.field = append(c.field, ch)
				state = stUnquoted
			}
		}
	}
	return state
}

func (c *CSVReader) endField() {
	c.fields = append(c.fields, string(c.field))
	c.field = c.field[:0]
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// ParseError locates a problem in an input file.
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// Header maps column names to their positions.
type Header struct {
	Names []string
	index map[string]int
}

// ErrHeader means a file's header lacks required columns.
var ErrHeader = errors.New("unexpected header")

// NewHeader indexes the names of a header record (trimmed; empty trailing
// names, such as EdStats' extra empty column, are kept but never looked up).
func NewHeader(fields []string) *Header {
	h := &Header{Names: make([]string, len(fields)), index: make(map[string]int, len(fields))}
	for i, f := range fields {
		name := strings.TrimSpace(f)
		h.Names[i] = name
		if _, dup := h.index[name]; !dup && name != "" {
			h.index[name] = i
		}
	}
	return h
}

// Index returns the position of a column, or -1.
func (h *Header) Index(name string) int {
	if i, ok := h.index[name]; ok {
		return i
	}
	return -1
}

// Require checks that every name is present. The error lists the missing
// columns and, for a text file (sep not 0) whose header has a single column,
// suggests a wrong separator.
func (h *Header) Require(sep byte, names ...string) error {
	var missing []string
	for _, n := range names {
		if h.Index(n) < 0 {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	msg := fmt.Sprintf("missing column(s) %s", strings.Join(missing, ", "))
	if len(h.Names) == 1 && sep != 0 {
		msg += fmt.Sprintf(" (the header has a single column: is the separator %q?)", string(sep))
	}
	return fmt.Errorf("%w: %s", ErrHeader, msg)
}

// Get returns the named field of a record ("" when absent or out of range).
func (h *Header) Get(fields []string, name string) string {
	i := h.Index(name)
	if i < 0 || i >= len(fields) {
		return ""
	}
	return fields[i]
}
