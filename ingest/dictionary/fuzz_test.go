package dictionary

import (
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzProfile: the profiler reads raw BSON from the server; any bytes
// give an error or a profile, never a panic, and a profile's figures are
// consistent (fill rates within 0..1, type shares summing to 1, at most
// as many distinct values as values).
func FuzzProfile(f *testing.F) {
	for _, d := range []bson.D{
		{{Key: "n", Value: int32(3)}, {Key: "s", Value: "a"}, {Key: "d", Value: time.Date(2024, 8, 14, 0, 0, 0, 0, time.UTC)}},
		{{Key: "a", Value: bson.A{bson.D{{Key: "v", Value: 1.5}}, nil, "x"}}, {Key: "o", Value: bson.D{{Key: "b", Value: true}}}},
		{{Key: "id", Value: int64(1035640283313989768)}, {Key: "n", Value: nil}},
	} {
		raw, _ := bson.Marshal(d)
		f.Add(raw)
	}
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 3, 'a', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newProfile(8)
		if err := p.add(bson.Raw(data)); err != nil {
			return
		}
		for _, fl := range fields(p, &CollectionSpec{}) {
			if fl.FillRate < 0 || fl.FillRate > 1 || math.IsNaN(fl.FillRate) {
				t.Fatalf("%s: fill rate %v", fl.Path, fl.FillRate)
			}
			var sum float64
			var values int64
			for _, ts := range fl.Types {
				sum += ts.Share
				values += ts.Count
			}
			if len(fl.Types) > 0 && math.Abs(sum-1) > 1e-9 {
				t.Fatalf("%s: type shares sum to %v", fl.Path, sum)
			}
			if fl.Distinct != nil && *fl.Distinct > values {
				t.Fatalf("%s: %d distinct of %d values", fl.Path, *fl.Distinct, values)
			}
		}
	})
}
