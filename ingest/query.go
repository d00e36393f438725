package ingest

import (
	"context"
	"fmt"

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
