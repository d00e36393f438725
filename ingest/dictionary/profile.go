package dictionary

import (
	"fmt"
	"math"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// profile accumulates, in one pass over a collection's documents, what
// the dictionary says of each field path. Memory is bounded by the number
// of paths times the distinct-count sketch (DistinctBound hashes each),
// not by the number of documents.
type profile struct {
	root  *node
	docs  int64
	bound int
}

// node is one field path. Paths under an array carry "[]": the elements
// of "amenities" are "amenities[]", the fields of the documents of
// "lignes" are "lignes[].voie".
type node struct {
	path     string
	children map[string]*node
	order    []*node // children in the order first seen
	elem     *node   // array elements

	types   map[bson.Type]int64 // values by BSON type, nulls apart
	values  int64               // non-null values (elements count one each)
	nulls   int64
	docs    int64 // documents holding at least one non-null value here
	lastDoc int64

	distinct *kmv
	nums     numRange
	dates    dateRange
	example  any
}

type numRange struct {
	ints, floats bool
	minI, maxI   int64
	minF, maxF   float64
}

type dateRange struct {
	seen       bool
	minD, maxD int64 // milliseconds since the Unix epoch
}

func newProfile(bound int) *profile {
	return &profile{root: &node{}, bound: bound}
}

func (n *node) child(key string) *node {
	if c, ok := n.children[key]; ok {
		return c
	}
	if n.children == nil {
		n.children = map[string]*node{}
	}
	path := key
	if n.path != "" {
		path = n.path + "." + key
	}
	c := &node{path: path}
	n.children[key] = c
	n.order = append(n.order, c)
	return c
}

func (n *node) elements() *node {
	if n.elem == nil {
		n.elem = &node{path: n.path + "[]"}
	}
	return n.elem
}

// add profiles one document. It is validated whole first: Elements checks
// only the top level, and a value read from a short string panics in the
// driver (FuzzProfile found one).
func (p *profile) add(doc bson.Raw) error {
	if err := doc.Validate(); err != nil {
		return fmt.Errorf("profile document: %w", err)
	}
	p.docs++
	return p.document(p.root, doc)
}

func (p *profile) document(n *node, d bson.Raw) error {
	elems, err := d.Elements()
	if err != nil {
		return err
	}
	for _, e := range elems {
		if err := p.value(n.child(e.Key()), e.Value()); err != nil {
			return err
		}
	}
	return nil
}

func (p *profile) value(n *node, v bson.RawValue) error {
	if v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		n.nulls++
		return nil
	}
	if n.types == nil {
		n.types = map[bson.Type]int64{}
	}
	n.types[v.Type]++
	n.values++
	if n.lastDoc != p.docs {
		n.lastDoc = p.docs
		n.docs++
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return p.document(n, v.Document())
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return err
		}
		el := n.elements()
		for _, ev := range vals {
			if err := p.value(el, ev); err != nil {
				return err
			}
		}
		return nil
	}
	p.scalar(n, v)
	return nil
}

// scalar counts a value's distinctness, range and example.
func (p *profile) scalar(n *node, v bson.RawValue) {
	if n.distinct == nil {
		n.distinct = newKMV(p.bound)
	}
	n.distinct.add(valueHash(v))
	switch v.Type {
	case bson.TypeInt32:
		n.nums.addInt(int64(v.Int32()))
	case bson.TypeInt64:
		n.nums.addInt(v.Int64())
	case bson.TypeDouble:
		n.nums.addFloat(v.Double())
	case bson.TypeDateTime:
		n.dates.add(v.DateTime())
	}
	if n.example == nil {
		n.example = plainValue(v)
	}
}

func (r *numRange) addInt(i int64) {
	if !r.ints {
		r.ints, r.minI, r.maxI = true, i, i
		return
	}
	r.minI, r.maxI = min(r.minI, i), max(r.maxI, i)
}

func (r *numRange) addFloat(f float64) {
	if math.IsNaN(f) {
		return
	}
	if !r.floats {
		r.floats, r.minF, r.maxF = true, f, f
		return
	}
	r.minF, r.maxF = min(r.minF, f), max(r.maxF, f)
}

// bounds are the smallest and largest number: int64 when every number is
// an integer (exact beyond 2^53), else float64.
func (r numRange) bounds() (lo, hi any, ok bool) {
	switch {
	case r.ints && r.floats:
		return min(float64(r.minI), r.minF), max(float64(r.maxI), r.maxF), true
	case r.ints:
		return r.minI, r.maxI, true
	case r.floats:
		return r.minF, r.maxF, true
	}
	return nil, nil, false
}

func (r *dateRange) add(ms int64) {
	if !r.seen {
		r.seen, r.minD, r.maxD = true, ms, ms
		return
	}
	r.minD, r.maxD = min(r.minD, ms), max(r.maxD, ms)
}

// valueHash hashes a scalar so that values equal for MongoDB hash alike:
// numbers by value whatever their type (2, 2L and 2.0 are one value).
func valueHash(v bson.RawValue) uint64 {
	switch v.Type {
	case bson.TypeInt32:
		return newHasher('n').uint64(uint64(v.Int32())).sum()
	case bson.TypeInt64:
		return newHasher('n').uint64(uint64(v.Int64())).sum()
	case bson.TypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return newHasher('n').uint64(uint64(int64(f))).sum()
		}
		return newHasher('f').uint64(math.Float64bits(f)).sum()
	case bson.TypeString:
		// StringValueOK: a string whose length prefix is 0 passes the
		// driver's Validate yet panics StringValue (FuzzProfile).
		if s, ok := v.StringValueOK(); ok {
			return newHasher('s').string(s).sum()
		}
	}
	return newHasher(byte(v.Type)).bytes(v.Value).sum()
}

// maxExample is the longest example text shown, in characters.
const maxExample = 80

// plainValue is a scalar as a plain Go value for an example (see
// ingest.Scalar; strings shortened), else its Extended JSON, shortened.
func plainValue(v bson.RawValue) any {
	x, ok := ingest.Scalar(v)
	if !ok {
		return shorten(v.String(), maxExample)
	}
	if s, isText := x.(string); isText {
		return shorten(s, maxExample)
	}
	return x
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
