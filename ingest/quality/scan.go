package quality

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/dictionary"
)

// measureCollection reads the collection once, projected on the top-level
// fields the required, key and freshness paths start with (nested paths
// are followed here: a projection through arrays is not portable to
// FerretDB 1.24), then counts its rejects.
func measureCollection(ctx context.Context, db *mongo.Database, cs *dictionary.CollectionSpec, c *Coll) error {
	c.Loaded = true
	paths := append(append(append([]string{}, cs.Required...), cs.Key...), cs.Freshness, ingest.RunField)
	var tops []string
	for _, p := range paths {
		if top := topField(p); top != "" && !contains(tops, top) {
			tops = append(tops, top)
		}
	}
	filled := make([]int64, len(cs.Required))
	keys := newKeySet(cs.Key)
	var fresh bounds
	lastRun := ""
	err := ingest.Scan(ctx, db.Collection(c.Name), nil, tops, func(d bson.Raw) error {
		c.Documents++
		for i, p := range cs.Required {
			if hasValue(d, p) {
				filled[i]++
			}
		}
		keys.add(d)
		if cs.Freshness != "" {
			for _, v := range values(d, cs.Freshness) {
				fresh.add(v)
			}
		}
		if run, ok := d.Lookup(ingest.RunField).StringValueOK(); ok && run > lastRun {
			lastRun = run
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", c.Name, err)
	}
	for i, p := range cs.Required {
		f := Fill{Field: p, Documents: filled[i]}
		if c.Documents > 0 {
			f.Rate = float64(filled[i]) / float64(c.Documents)
		}
		c.Required = append(c.Required, f)
	}
	c.Duplicates = keys.dups
	c.Oldest, c.Newest = fresh.min, fresh.max
	c.LastLoad = runTime(lastRun)
	return rejects(ctx, db, c)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// topField is the top-level field a path starts with ("values[].year" is
// "values").
func topField(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// values are the non-null values at a dictionary path ("location.type",
// "values[].year": [] steps into each element of an array).
func values(d bson.Raw, path string) []bson.RawValue {
	cur := []bson.RawValue{{Type: bson.TypeEmbeddedDocument, Value: d}}
	for _, seg := range strings.Split(path, ".") {
		name, each := strings.CutSuffix(seg, "[]")
		var next []bson.RawValue
		for _, v := range cur {
			doc, ok := v.DocumentOK()
			if !ok {
				continue
			}
			fv, err := doc.LookupErr(name)
			if err != nil {
				continue
			}
			if !each {
				next = append(next, fv)
				continue
			}
			if arr, ok := fv.ArrayOK(); ok {
				elems, _ := arr.Values()
				next = append(next, elems...)
			}
		}
		cur = next
	}
	out := cur[:0]
	for _, v := range cur {
		if v.Type != bson.TypeNull && v.Type != bson.TypeUndefined {
			out = append(out, v)
		}
	}
	return out
}

func hasValue(d bson.Raw, path string) bool { return len(values(d, path)) > 0 }

// keySet counts the documents whose natural key another document already
// has: a 64-bit hash per document (8 bytes and the map's overhead each;
// with 4 million DVF mutations about 150 MB, and a collision, which would
// count a false duplicate, has a chance of about 1 in 10^6). A key that
// is _id alone cannot repeat (the unique index), so nothing is kept.
type keySet struct {
	fields []string
	seen   map[uint64]struct{}
	dups   int64
}

func newKeySet(fields []string) *keySet {
	if len(fields) == 0 || len(fields) == 1 && fields[0] == "_id" {
		return &keySet{}
	}
	return &keySet{fields: fields, seen: map[uint64]struct{}{}}
}

func (k *keySet) add(d bson.Raw) {
	if k.seen == nil {
		return
	}
	h := uint64(14695981039346656037)
	mix := func(b ...byte) {
		for _, c := range b {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	for _, f := range k.fields {
		vs := values(d, f)
		switch {
		case len(vs) == 0:
			mix(0)
		case vs[0].Type == bson.TypeInt32 || vs[0].Type == bson.TypeInt64:
			n, _ := vs[0].AsInt64OK()
			mix('n')
			mix([]byte(strconv.FormatInt(n, 10))...)
		case vs[0].Type == bson.TypeDouble && vs[0].Double() == math.Trunc(vs[0].Double()) && math.Abs(vs[0].Double()) < 1<<62:
			// Numbers equal in value are one key whatever their type.
			mix('n')
			mix([]byte(strconv.FormatInt(int64(vs[0].Double()), 10))...)
		default:
			mix(byte(vs[0].Type))
			mix(vs[0].Value...)
		}
		mix(0xff)
	}
	if _, dup := k.seen[h]; dup {
		k.dups++
		return
	}
	k.seen[h] = struct{}{}
}

// bounds keeps the oldest and newest freshness value: dates, or numbers
// (years).
type bounds struct {
	min, max any
}

func (b *bounds) add(v bson.RawValue) {
	var x any
	switch v.Type {
	case bson.TypeDateTime:
		x = v.Time().UTC()
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble:
		x = ingest.Number(v)
	default:
		return
	}
	if b.min == nil || ingest.CompareValues(x, b.min) < 0 {
		b.min = x
	}
	if b.max == nil || ingest.CompareValues(x, b.max) > 0 {
		b.max = x
	}
}

// runTime is the start time a load id begins with (20240611T034519Z-…).
func runTime(run string) *time.Time {
	stamp, _, _ := strings.Cut(run, "-")
	t, err := time.Parse("20060102T150405Z", stamp)
	if err != nil {
		return nil
	}
	return &t
}
