// Package ingest is the loader framework of citadel's datasets: sources
// stream records (CSV, JSON, Excel), a dataset converts each record into a
// typed document or a rejection, and a Sink writes documents in parallel
// unordered bulk inserts keyed by their natural key, rewriting only the
// documents whose content hash changed (see DESIGN.md for the reload
// algorithm). Rejections go to <collection>_rejects with their source file,
// location, raw record and reason; a Report accounts for every record.
//
// One package per dataset lives under ingest/ (airbnb, dvf, edstats,
// weather, supermarket), each with its fixtures and canned queries (Probe).
package ingest

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Loader is one dataset's loader, configured with its input files.
type Loader interface {
	// Dataset is the dataset's name (airbnb, dvf, ...).
	Dataset() string
	// Collections are the collections the loader writes, with their indexes.
	Collections() []Collection
	// Files are the input files, for the report and the progress bar.
	Files() []string
	// Load streams the input into e. It returns an error only for what stops
	// the whole load (an unreadable file, a wrong header); a bad record is
	// rejected through e and loading goes on.
	Load(ctx context.Context, e *Emitter) error
}

// Collection is a collection a loader writes, with its secondary indexes.
type Collection struct {
	Name    string
	Indexes []Index
}

// Index is a secondary index. Geo indexes (2dsphere) are created apart: a
// server without them (FerretDB) gets a warning in the report, not a failure.
type Index struct {
	Name string
	Keys bson.D
	Geo  bool
}

// Doc is one typed document: ID is its natural key (_id), Body its fields
// in a fixed order (the content hash depends on it), Src where it was read.
type Doc struct {
	ID   any
	Body bson.D
	Src  Loc
}

// Loc is where a record was read.
type Loc struct {
	File  string // input file as named on the command line
	Line  int    // line in a text file (0 for workbooks)
	Sheet string // sheet of a workbook
	Row   int    // row in the sheet, 1-based as Excel shows it
	Raw   string // the record as read
}

// Where is "file:line" or "file[sheet]:row".
func (l Loc) Where() string {
	if l.Sheet != "" {
		return l.File + "[" + l.Sheet + "]:" + itoa(l.Row)
	}
	return l.File + ":" + itoa(l.Line)
}

// Reject is a record that could not be converted.
type Reject struct {
	Loc
	Reason string // short category, counted in the report ("bad price")
	Detail string // what exactly was wrong ("field price: \"12 €\" is not a number")
}

// Rejectf builds a reject with a formatted detail.
func Rejectf(loc Loc, reason, format string, args ...any) Reject {
	return Reject{Loc: loc, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Probe is one canned analysis: a named question with a deterministic
// answer, used by `citadel report` and by restore drills.
type Probe struct {
	Name     string
	Question string
	Run      func(ctx context.Context, db *mongo.Database, args ProbeArgs) (*Table, error)
}

// ProbeArgs are the optional parameters of a probe (a day, an indicator...).
type ProbeArgs map[string]string

// Get returns the argument or its default.
func (a ProbeArgs) Get(name, def string) string {
	if v, ok := a[name]; ok && v != "" {
		return v
	}
	return def
}

// Table is a probe's answer: named columns and rows of plain values.
type Table struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// Add appends one row.
func (t *Table) Add(vals ...any) { t.Rows = append(t.Rows, vals) }
