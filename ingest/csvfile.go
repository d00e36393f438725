package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrEmpty means an input file has no header.
var ErrEmpty = errors.New("empty file")

// CSVFile describes one delimited input file.
type CSVFile struct {
	Path     string
	Opt      CSVOptions
	Required []string // header columns that must be present
	Coll     string   // collection whose _rejects receive unreadable records
	Latin1   bool     // decode as Windows-1252 when a record is not UTF-8
}

// EachCSV streams a delimited file: it checks the header, rejects records
// that cannot be read (truncated, binary, wrong number of fields, invalid
// UTF-8) and calls fn with every other record. Problems that stop the load
// (no such file, an empty file, a wrong header) name the file and line.
func (e *Emitter) EachCSV(ctx context.Context, f CSVFile, fn func(h *Header, rec CSVRecord, loc Loc) error) error {
	in, err := e.Open(f.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	defer in.Close()
	r := NewCSVReader(in, f.Opt)
	first, err := r.Read()
	switch {
	case err == io.EOF:
		return fmt.Errorf("%s: %w: no header line", f.Path, ErrEmpty)
	case err != nil:
		return fmt.Errorf("%s: read header: %w", f.Path, err)
	}
	h := NewHeader(first.Fields)
	sep := f.Opt.Comma
	if sep == 0 {
		sep = ','
	}
	if err := h.Require(sep, f.Required...); err != nil {
		return fmt.Errorf("%s:%d: %w", f.Path, first.Line, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, rerr := r.Read()
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil && errors.Is(rerr, ErrRecordTooLong) || rec.Fields == nil {
			return fmt.Errorf("%s: %w", f.Path, rerr)
		}
		e.Read(1)
		loc := Loc{File: f.Path, Line: rec.Line, Raw: rec.Raw}
		if reason, detail := csvProblem(rerr, rec, h, f.Latin1); reason != "" {
			if err := e.Reject(ctx, f.Coll, Reject{Loc: loc, Reason: reason, Detail: detail}); err != nil {
				return err
			}
			continue
		}
		if f.Latin1 {
			for i, s := range rec.Fields {
				rec.Fields[i] = ToUTF8(s, false)
			}
			loc.Raw = ToUTF8(loc.Raw, false)
		}
		if err := fn(h, rec, loc); err != nil {
			return err
		}
	}
}

func csvProblem(rerr error, rec CSVRecord, h *Header, latin1 bool) (reason, detail string) {
	if reason, detail := RecordProblem(rerr); reason != "" {
		return reason, detail
	}
	if len(rec.Fields) != len(h.Names) {
		return "wrong number of fields", fmt.Sprintf("%d fields, the header has %d (truncated line or wrong separator?)",
			len(rec.Fields), len(h.Names))
	}
	if !latin1 && !utf8.ValidString(rec.Raw) {
		return "invalid UTF-8", "the record is not UTF-8 text"
	}
	return "", ""
}

// RejectField rejects a record for a field problem.
func (e *Emitter) RejectField(ctx context.Context, coll string, loc Loc, fe *FieldError) error {
	return e.Reject(ctx, coll, Reject{Loc: loc, Reason: fe.Reason, Detail: fe.Error()})
}
