// Package dictionary builds a dataset's data dictionary from its loaded
// collections: per collection a row per field path (nested paths
// included) with the field's description, unit and source (from the
// dataset's data file, fields.yaml), the BSON types seen with their
// shares, fill rate, distinct values (exact up to DistinctBound, then
// estimated), range of numbers and dates, and one example value (never of
// a personal field). Each collection is read in one pass; Write saves the
// dictionary as an Excel workbook. See DESIGN.md.
package dictionary

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Dictionary is one dataset's data dictionary.
type Dictionary struct {
	Dataset       string       `json:"dataset"`
	Database      string       `json:"database"`
	GeneratedAt   time.Time    `json:"generated_at"`
	DistinctBound int          `json:"distinct_exact_up_to"`
	Sample        int64        `json:"sample,omitempty"`
	Collections   []Collection `json:"collections"`
}

// Collection is one collection's part of the dictionary.
type Collection struct {
	Name     string   `json:"name"`
	Document string   `json:"document,omitempty"`
	Key      []string `json:"key,omitempty"`
	// Loaded is false when the database has no such collection.
	Loaded bool `json:"loaded"`
	// Documents is the collection's size; Scanned how many documents the
	// figures are computed from (fewer with --sample).
	Documents int64   `json:"documents"`
	Scanned   int64   `json:"scanned"`
	Sampled   bool    `json:"sampled"`
	Fields    []Field `json:"fields"`
}

// Field is one field path's row.
type Field struct {
	Path        string `json:"path"`
	Description string `json:"description,omitempty"`
	Unit        string `json:"unit,omitempty"`
	Source      string `json:"source,omitempty"`
	Personal    bool   `json:"personal,omitempty"`
	// Types are the BSON types of the non-null values ($type names), most
	// frequent first; nulls and absent fields count in FillRate only.
	Types []TypeShare `json:"types"`
	// Documents holding a non-null value at this path, and their share of
	// the scanned documents.
	Documents int64   `json:"documents"`
	FillRate  float64 `json:"fill_rate"`
	Nulls     int64   `json:"nulls"`
	// Distinct values of scalars; DistinctExact says whether it is a count
	// or an estimate (more than DistinctBound values).
	Distinct      *int64 `json:"distinct,omitempty"`
	DistinctExact bool   `json:"distinct_exact"`
	// Min and Max of numbers (int64 when all are integers) or dates;
	// never for a personal field.
	Min any `json:"min,omitempty"`
	Max any `json:"max,omitempty"`
	// Example is the first value met, never shown for a personal field.
	Example any `json:"example,omitempty"`
}

// TypeShare is how many values had one BSON type.
type TypeShare struct {
	Type  string  `json:"type"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// Options tune Build.
type Options struct {
	// Sample reads at most this many documents of a larger collection (the
	// first ones in natural order); 0 reads them all.
	Sample int64
	// Now dates the dictionary (time.Now when zero).
	Now time.Time
}

// Build profiles the named collections of db, one pass over each, and
// describes them with spec (which may be nil).
func Build(ctx context.Context, db *mongo.Database, dataset string, collections []string, spec *Spec, opt Options) (*Dictionary, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections of %s: %w", db.Name(), err)
	}
	d := &Dictionary{Dataset: dataset, Database: db.Name(), GeneratedAt: opt.Now.UTC(), DistinctBound: DistinctBound, Sample: opt.Sample}
	for _, name := range collections {
		cs := spec.Collection(name)
		c := Collection{Name: name, Document: cs.Document, Key: cs.Key, Fields: []Field{}}
		if slices.Contains(names, name) {
			if err := profileCollection(ctx, db.Collection(name), cs, opt.Sample, &c); err != nil {
				return nil, err
			}
		}
		d.Collections = append(d.Collections, c)
	}
	return d, nil
}

// profileCollection reads the collection once (whole documents: every
// field is profiled) and fills c.
func profileCollection(ctx context.Context, coll *mongo.Collection, cs *CollectionSpec, sample int64, c *Collection) error {
	c.Loaded = true
	find := options.Find()
	if sample > 0 {
		n, err := coll.EstimatedDocumentCount(ctx)
		if err != nil {
			return fmt.Errorf("count %s: %w", coll.Name(), err)
		}
		c.Documents = n
		if n > sample {
			// The first documents in natural order: repeatable, and a
			// limit works everywhere ($sample is not on FerretDB 1.24).
			find.SetLimit(sample)
			c.Sampled = true
		}
	}
	cur, err := coll.Find(ctx, bson.D{}, find)
	if err != nil {
		return fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	defer cur.Close(ctx)
	p := newProfile(DistinctBound)
	for cur.Next(ctx) {
		if err := p.add(cur.Current); err != nil {
			return fmt.Errorf("read %s: document %d: %w", coll.Name(), p.docs, err)
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	c.Scanned = p.docs
	if !c.Sampled {
		c.Documents = p.docs
	}
	c.Fields = fields(p, cs)
	return nil
}

// fields lists the profiled paths depth first in the order first seen,
// then the described paths no document holds.
func fields(p *profile, cs *CollectionSpec) []Field {
	var out []Field
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.order {
			out = append(out, field(c, p.docs, cs.describe(c.path)))
			seen[c.path] = true
			walk(c)
			if c.elem != nil {
				out = append(out, field(c.elem, p.docs, cs.describe(c.elem.path)))
				seen[c.elem.path] = true
				walk(c.elem)
			}
		}
	}
	walk(p.root)
	var absent []string
	for path := range cs.Fields {
		if !seen[path] {
			absent = append(absent, path)
		}
	}
	sort.Strings(absent)
	for _, path := range absent {
		out = append(out, field(&node{path: path}, p.docs, cs.Fields[path]))
	}
	return out
}

func field(n *node, docs int64, fs FieldSpec) Field {
	f := Field{Path: n.path, Description: fs.Description, Unit: fs.Unit, Source: fs.Source, Personal: fs.Personal,
		Types: []TypeShare{}, Documents: n.docs, Nulls: n.nulls}
	if docs > 0 {
		f.FillRate = float64(n.docs) / float64(docs)
	}
	for t, c := range n.types {
		f.Types = append(f.Types, TypeShare{Type: TypeName(t), Count: c, Share: float64(c) / float64(n.values)})
	}
	sort.Slice(f.Types, func(i, j int) bool {
		a, b := f.Types[i], f.Types[j]
		return a.Count > b.Count || a.Count == b.Count && a.Type < b.Type
	})
	if n.distinct != nil {
		c, exact := n.distinct.count()
		f.Distinct, f.DistinctExact = &c, exact
	}
	if fs.Personal {
		return f // no example and no range: a bound is a value too
	}
	if lo, hi, ok := n.nums.bounds(); ok {
		f.Min, f.Max = lo, hi
	} else if n.dates.seen {
		f.Min, f.Max = time.UnixMilli(n.dates.minD).UTC(), time.UnixMilli(n.dates.maxD).UTC()
	}
	f.Example = n.example
	return f
}

// typeNames are MongoDB's $type names.
var typeNames = map[bson.Type]string{
	bson.TypeDouble: "double", bson.TypeString: "string", bson.TypeEmbeddedDocument: "object",
	bson.TypeArray: "array", bson.TypeBinary: "binData", bson.TypeUndefined: "undefined",
	bson.TypeObjectID: "objectId", bson.TypeBoolean: "bool", bson.TypeDateTime: "date",
	bson.TypeNull: "null", bson.TypeRegex: "regex", bson.TypeDBPointer: "dbPointer",
	bson.TypeJavaScript: "javascript", bson.TypeSymbol: "symbol", bson.TypeCodeWithScope: "javascriptWithScope",
	bson.TypeInt32: "int", bson.TypeTimestamp: "timestamp", bson.TypeInt64: "long",
	bson.TypeDecimal128: "decimal", bson.TypeMinKey: "minKey", bson.TypeMaxKey: "maxKey",
}

// TypeName is a BSON type's $type name ("int", "long", "date"...).
func TypeName(t bson.Type) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// TypesText is the "types seen" text: "string 100%", "int 97%, double 3%",
// "null" for a field that never holds a value.
func (f Field) TypesText() string {
	if len(f.Types) == 0 {
		return "null"
	}
	s := ""
	for i, t := range f.Types {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %s", t.Type, percent(t.Share))
	}
	return s
}

// percent writes a share as "100%", "97%" or "0.3%".
func percent(share float64) string {
	p := share * 100
	switch {
	case p == 100 || p == 0:
		return fmt.Sprintf("%.0f%%", p)
	case p >= 99.5:
		return ">99%"
	case p < 1:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}
