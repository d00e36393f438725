package ingest

import (
	"bytes"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestMarshalBodyMatchesDriver: the fast path writes exactly bson.Marshal's
// bytes (stored content hashes stay valid), and types it does not know go
// through bson.Marshal.
func TestMarshalBodyMatchesDriver(t *testing.T) {
	when := time.Date(2024, 6, 11, 13, 4, 5, 123456789, time.FixedZone("CEST", 7200))
	for name, d := range map[string]bson.D{
		"empty":   {},
		"scalars": {{Key: "s", Value: "é\x00x"}, {Key: "n", Value: nil}, {Key: "t", Value: true}, {Key: "f", Value: false}},
		"numbers": {{Key: "i32", Value: int32(-7)}, {Key: "i64", Value: int64(1) << 60}, {Key: "int", Value: 42},
			{Key: "bigint", Value: math.MaxInt32 + 1}, {Key: "negint", Value: math.MinInt32 - 1}, {Key: "f", Value: 3.25},
			{Key: "nan", Value: math.NaN()}, {Key: "inf", Value: math.Inf(-1)}, {Key: "zero", Value: math.Copysign(0, -1)}},
		"dates": {{Key: "t", Value: when}, {Key: "old", Value: time.Date(1900, 1, 1, 0, 0, 0, 999, time.UTC)},
			{Key: "zero", Value: time.Time{}}, {Key: "dt", Value: bson.DateTime(-1)}},
		"nested": {{Key: "loc", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{2.35, 48.85}}}},
			{Key: "list", Value: bson.A{"a", nil, int32(1), bson.D{{Key: "x", Value: bson.A{}}}, bson.A{"deep"}}}},
		"fallback":        {{Key: "m", Value: bson.M{"k": 1}}, {Key: "ints", Value: []int{1, 2}}, {Key: "u", Value: uint8(3)}},
		"nested fallback": {{Key: "d", Value: bson.D{{Key: "oid", Value: bson.NewObjectID()}}}},
	} {
		want, werr := bson.Marshal(d)
		got, gerr := marshalBody(d)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Errorf("%s: got %x (%v), bson.Marshal %x (%v)", name, got, gerr, want, werr)
		}
	}
}

func FuzzMarshalBody(f *testing.F) {
	f.Add("k", "v", int64(5), 1.5, true, int64(1718000000000))
	f.Fuzz(func(t *testing.T, key, s string, n int64, x float64, b bool, ms int64) {
		d := bson.D{{Key: key, Value: s}, {Key: "n", Value: n}, {Key: "i", Value: int(n)}, {Key: "x", Value: x},
			{Key: "b", Value: b}, {Key: "t", Value: time.UnixMilli(ms)},
			{Key: "a", Value: bson.A{s, n, bson.D{{Key: key, Value: x}}}}}
		want, werr := bson.Marshal(d)
		got, gerr := marshalBody(d)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %x (%v), bson.Marshal %x (%v)", got, gerr, want, werr)
		}
	})
}
