package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// FieldError says which field of a record is wrong and why; Reason is the
// category counted in the report.
type FieldError struct {
	Field  string
	Value  string
	Reason string
	Why    string
}

func (e *FieldError) Error() string {
	v := e.Value
	if len(v) > 60 {
		v = v[:60] + "…"
	}
	return fmt.Sprintf("field %s: %q %s", e.Field, v, e.Why)
}

// Row reads typed fields of one record by column name and keeps the first
// problem, so that a converter reads every field and checks once.
type Row struct {
	H      *Header
	Fields []string
	Err    *FieldError
}

// Str returns a field, trimmed.
func (r *Row) Str(name string) string { return strings.TrimSpace(r.H.Get(r.Fields, name)) }

// Opt returns a field or nil when empty, for documents that keep "missing".
func (r *Row) Opt(name string) any {
	if s := r.Str(name); s != "" {
		return s
	}
	return nil
}

// Fail records a problem unless one is already recorded.
func (r *Row) Fail(name, value, reason, why string) {
	if r.Err == nil {
		r.Err = &FieldError{Field: name, Value: value, Reason: reason, Why: why}
	}
}

// Int64 returns an integer field as int64 (never through float), nil when empty.
func (r *Row) Int64(name string) any {
	s := r.Str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.Fail(name, s, "bad number", "is not an integer")
		return nil
	}
	return n
}

// Int returns an integer field as int32 when it fits, nil when empty.
func (r *Row) Int(name string) any {
	v := r.Int64(name)
	if n, ok := v.(int64); ok && n == int64(int32(n)) {
		return int32(n)
	}
	return v
}

// Float returns a decimal field (point or comma), nil when empty.
func (r *Row) Float(name string) any {
	s := r.Str(name)
	if s == "" {
		return nil
	}
	f, ok := ParseDecimal(s)
	if !ok {
		r.Fail(name, s, "bad number", "is not a number")
		return nil
	}
	return f
}

// Bool reads Inside Airbnb's t/f booleans, nil when empty.
func (r *Row) Bool(name string) any {
	switch s := r.Str(name); s {
	case "":
		return nil
	case "t", "true", "TRUE", "True":
		return true
	case "f", "false", "FALSE", "False":
		return false
	default:
		r.Fail(name, s, "bad boolean", "is not t or f")
		return nil
	}
}

// Date parses a date with layout as UTC midnight, nil when empty.
func (r *Row) Date(name, layout string) any {
	s := r.Str(name)
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		r.Fail(name, s, "bad date", "is not a date like "+humanLayout(layout))
		return nil
	}
	return t
}

// ParseDecimal reads "1234.5", "1234,5", "185000,00" or "-3".
func ParseDecimal(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(s, "nan") || strings.Contains(strings.ToLower(s), "inf") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// ParseMoney reads "$1,234.00", "€ 80" or "1 234,50": currency symbols and
// thousands separators dropped. ok is false for text that is not an amount.
func ParseMoney(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "$€£ ")
	s = strings.TrimRight(s, "$€£ ")
	if strings.Contains(s, ".") {
		s = strings.ReplaceAll(s, ",", "")
	}
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	return ParseDecimal(s)
}

// ToUTF8 returns s unchanged when it is valid UTF-8 and otherwise decodes it
// as Windows-1252 (a superset of Latin-1 for printable text), which is what
// older DVF editions use. latin1 forces the decoding.
func ToUTF8(s string, latin1 bool) string {
	if !latin1 && utf8.ValidString(s) {
		return s
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// RecordProblem turns a CSV read error into a reject reason, or "" when the
// record is fine.
func RecordProblem(err error) (reason, detail string) {
	switch {
	case err == nil:
		return "", ""
	case errorsIs(err, ErrUnterminatedQuote):
		return "truncated record", ErrUnterminatedQuote.Error()
	case errorsIs(err, ErrBinary):
		return "binary data", ErrBinary.Error()
	}
	return "unreadable record", err.Error()
}

// humanLayout writes a Go time layout the way people read it.
func humanLayout(layout string) string {
	return strings.NewReplacer("2006", "YYYY", "01", "MM", "02", "DD", "15", "hh", "04", "mm", "05", "ss").Replace(layout)
}
