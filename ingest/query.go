package ingest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Helpers for probes that are correct on MongoDB and run on FerretDB 1.24,
// which computes only the FIRST accumulator of a $group (the others come
// back as 0), and has no $avg, $min, $max, $first, $push, no $divide or
// $cond, and no field paths in $project. So every helper runs one $group
// with one $sum per question and leaves ratios and medians to Go.

// Group is one group's key and value.
type Group struct {
	Key   any
	Value float64
}

// GroupSum groups the documents matching filter by key (a "$field" path or
// a document of paths) and sums field ("" counts documents), in $group's
// order of keys unless sortDesc sorts by value descending and limit cuts.
func GroupSum(ctx context.Context, c *mongo.Collection, filter bson.D, key any, field string, sortDesc bool, limit int) ([]Group, error) {
	var acc any = 1
	if field != "" {
		acc = "$" + field
	}
	if filter == nil {
		filter = bson.D{}
	}
	pipe := mongo.Pipeline{
		{{Key: "$match", Value: filter}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: key}, {Key: "v", Value: bson.D{{Key: "$sum", Value: acc}}}}}},
	}
	if sortDesc {
		pipe = append(pipe, bson.D{{Key: "$sort", Value: bson.D{{Key: "v", Value: -1}, {Key: "_id", Value: 1}}}})
	} else {
		pipe = append(pipe, bson.D{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}})
	}
	if limit > 0 {
		pipe = append(pipe, bson.D{{Key: "$limit", Value: limit}})
	}
	cur, err := c.Aggregate(ctx, pipe)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", c.Name(), err)
	}
	defer cur.Close(ctx)
	var out []Group
	for cur.Next(ctx) {
		var g struct {
			ID any `bson:"_id"`
			V  any `bson:"v"`
		}
		if err := cur.Decode(&g); err != nil {
			return nil, fmt.Errorf("decode group of %s: %w", c.Name(), err)
		}
		out = append(out, Group{Key: plain(g.ID), Value: Number(g.V)})
	}
	return out, cur.Err()
}

// SumMap is GroupSum as a map from the key's string form.
func SumMap(ctx context.Context, c *mongo.Collection, filter bson.D, key any, field string) (map[string]float64, error) {
	gs, err := GroupSum(ctx, c, filter, key, field, false, 0)
	if err != nil {
		return nil, err
	}
	m := make(map[string]float64, len(gs))
	for _, g := range gs {
		m[fmt.Sprint(g.Key)] = g.Value
	}
	return m, nil
}

// Median is the median of field over the documents matching filter, found
// by a sorted scan (FerretDB has no $median; this is also right on MongoDB
// before 7.0). ok is false when no document has the field.
func Median(ctx context.Context, c *mongo.Collection, filter bson.D, field string) (m float64, ok bool, err error) {
	f := bson.D{{Key: field, Value: bson.D{{Key: "$type", Value: "number"}}}}
	f = append(f, filter...)
	n, err := c.CountDocuments(ctx, f)
	if err != nil || n == 0 {
		return 0, false, err
	}
	skip := (n - 1) / 2
	take := int64(1)
	if n%2 == 0 {
		take = 2
	}
	cur, err := c.Find(ctx, f, options.Find().SetSort(bson.D{{Key: field, Value: 1}, {Key: "_id", Value: 1}}).
		SetSkip(skip).SetLimit(take).SetProjection(bson.D{{Key: field, Value: 1}}))
	if err != nil {
		return 0, false, fmt.Errorf("median of %s.%s: %w", c.Name(), field, err)
	}
	defer cur.Close(ctx)
	var sum float64
	var got int64
	for cur.Next(ctx) {
		sum += Number(cur.Current.Lookup(field))
		got++
	}
	if got == 0 {
		return 0, false, cur.Err()
	}
	return sum / float64(got), true, cur.Err()
}

// MedianOf is the median of vals (sorted in place), or nil when there are
// none: computed here, FerretDB has no $median (nor has MongoDB before 7.0).
func MedianOf(vals []float64) any {
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

// Scan reads the documents matching filter, projected on fields, through
// one cursor (batches of up to 16 MB, not a round trip per document) and
// calls fn with each. It is how a probe computes in Go what FerretDB does
// badly: FerretDB filters and groups every document in its own process
// (only a filter on _id reaches SQLite), compares each document with every
// group found so far (quadratic in the number of groups), and computes one
// accumulator per $group. A projected scan costs it one pass, whatever the
// question; on MongoDB it is one collection scan sending a few small
// fields.
func Scan(ctx context.Context, c *mongo.Collection, filter bson.D, fields []string, fn func(bson.Raw) error) error {
	proj := bson.D{}
	if !slices.Contains(fields, "_id") {
		proj = append(proj, bson.E{Key: "_id", Value: 0})
	}
	for _, f := range fields {
		if f != "_id" {
			proj = append(proj, bson.E{Key: f, Value: 1})
		}
	}
	if filter == nil {
		filter = bson.D{}
	}
	cur, err := c.Find(ctx, filter, options.Find().SetProjection(proj))
	if err != nil {
		return fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	return nil
}

// Field is a scanned document's field as a plain value (see Scalar), nil
// when missing or null, and the bson.RawValue itself for other types.
func Field(d bson.Raw, name string) any {
	v, err := d.LookupErr(name)
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return nil
	}
	if x, ok := Scalar(v); ok {
		return x
	}
	return v
}

// Scalar is a BSON scalar as a plain Go value: string, int32, int64,
// float64, bool or time.Time (UTC); false for every other type.
func Scalar(v bson.RawValue) (any, bool) {
	switch v.Type {
	case bson.TypeString:
		return v.StringValueOK() // false for a malformed string, which StringValue panics on
	case bson.TypeInt32:
		return v.Int32(), true
	case bson.TypeInt64:
		return v.Int64(), true
	case bson.TypeDouble:
		return v.Double(), true
	case bson.TypeBoolean:
		return v.Boolean(), true
	case bson.TypeDateTime:
		return v.Time().UTC(), true
	}
	return nil, false
}

// Agg is one key's count of documents and sum of a numeric field.
type Agg struct {
	Key      []any
	N, Sum   float64
	Summands float64 // documents whose field was a number
}

// ScanGroups is, computed in Go from one Scan, what a $group by the key
// fields with both {$sum: 1} and {$sum: "$field"} gives on MongoDB
// (missing and null keys group together; field "" sums nothing). Groups
// come in the server's $sort {_id: 1} order; see SortGroups for others.
func ScanGroups(ctx context.Context, c *mongo.Collection, filter bson.D, key []string, field string) ([]*Agg, error) {
	fields := key
	if field != "" {
		fields = append(append([]string{}, key...), field)
	}
	byKey := map[string]*Agg{}
	var out []*Agg
	err := Scan(ctx, c, filter, fields, func(d bson.Raw) error {
		k := make([]any, len(key))
		for i, f := range key {
			k[i] = Field(d, f)
		}
		id := groupID(k)
		a := byKey[id]
		if a == nil {
			a = &Agg{Key: k}
			byKey[id] = a
			out = append(out, a)
		}
		a.N++
		if field != "" {
			if v, ok := d.Lookup(field).AsFloat64OK(); ok {
				a.Sum += v
				a.Summands++
			}
		}
		return nil
	})
	SortGroups(out, nil)
	return out, err
}

// groupID is a map key for a group key: numbers equal in value are one
// group whatever their BSON type, as on the server.
func groupID(k []any) string {
	var b strings.Builder
	for _, v := range k {
		switch x := v.(type) {
		case nil:
			b.WriteString("z")
		case string:
			b.WriteString("s" + strconv.Itoa(len(x)) + ":" + x)
		case int32:
			b.WriteString("n" + strconv.FormatInt(int64(x), 10))
		case int64:
			b.WriteString("n" + strconv.FormatInt(x, 10))
		case float64:
			if x == float64(int64(x)) {
				b.WriteString("n" + strconv.FormatInt(int64(x), 10))
			} else {
				b.WriteString("f" + strconv.FormatFloat(x, 'g', -1, 64))
			}
		default:
			fmt.Fprintf(&b, "o%#v", x)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// SortGroups sorts by value descending (when value is not nil), then by
// key ascending in BSON's order (null, numbers, strings, booleans, dates),
// as {$sort: {v: -1, _id: 1}} does.
func SortGroups(gs []*Agg, value func(*Agg) float64) {
	slices.SortStableFunc(gs, func(a, b *Agg) int {
		if value != nil {
			if va, vb := value(a), value(b); va != vb {
				if va > vb {
					return -1
				}
				return 1
			}
		}
		for i := range a.Key {
			if c := CompareValues(a.Key[i], b.Key[i]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// CompareValues orders plain values as BSON does: null, numbers, strings,
// booleans, dates.
func CompareValues(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		if x == b.(bool) {
			return 0
		} else if x {
			return 1
		}
		return -1
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	if ra == 1 {
		fa, fb := Number(a), Number(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
	}
	return 0
}

func rank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case int32, int64, float64:
		return 1
	case string:
		return 2
	case bool:
		return 4
	case time.Time:
		return 5
	}
	return 3
}

// Number converts a BSON number (or RawValue) to float64; others give 0.
func Number(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	case bson.RawValue:
		if f, ok := x.AsFloat64OK(); ok {
			return f
		}
		if i, ok := x.AsInt64OK(); ok {
			return float64(i)
		}
	}
	return 0
}

// plain turns decoded BSON documents into maps for printing.
func plain(v any) any {
	if d, ok := v.(bson.D); ok {
		m := make(map[string]any, len(d))
		for _, e := range d {
			m[e.Key] = plain(e.Value)
		}
		return m
	}
	return v
}

// Round keeps n decimals, for stable probe answers.
func Round(f float64, n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	if f < 0 {
		return -float64(int64(-f*p+0.5)) / p
	}
	return float64(int64(f*p+0.5)) / p
}
