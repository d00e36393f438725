package quality

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		in       []time.Duration
		p50, p95 time.Duration
	}{
		{nil, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(50, 10, 30, 20, 40), 30 * time.Millisecond, 50 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 10 * time.Millisecond, 19 * time.Millisecond},
	}
	for _, tc := range cases {
		if p50, p95 := Percentile(tc.in, 0.5), Percentile(tc.in, 0.95); p50 != tc.p50 || p95 != tc.p95 {
			t.Errorf("%v: p50 %v p95 %v, want %v %v", tc.in, p50, p95, tc.p50, tc.p95)
		}
	}
}

func TestBreaches(t *testing.T) {
	now := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	r := &Report{
		Collections: []Coll{
			{Name: "a", Loaded: true, Documents: 10, Required: []Fill{{Field: "f", Documents: 9, Rate: 0.9}, {Field: "g", Documents: 10, Rate: 1}},
				Rejects: 1, RejectRate: 1.0 / 11, Duplicates: 2, Key: []string{"k"}, Freshness: "time", Newest: now.Add(-72 * time.Hour)},
			{Name: "gone"},
		},
		Questions: []Question{{Name: "slow", Runs: 5, P95Seconds: 12}, {Name: "fast", Runs: 5, P95Seconds: 0.1}, {Name: "broken", Error: "boom"}},
	}
	th := Thresholds{MinFillRate: 0.95, MaxRejectRate: 0.01, MaxDuplicates: 0, MaxP95: 10 * time.Second, MaxAge: 48 * time.Hour}
	var got []string
	for _, b := range breaches(r, th, now) {
		got = append(got, b.Where+" "+b.Check)
	}
	want := "a fill_rate, a reject_rate, a duplicates, a age, slow p95, broken error"
	if strings.Join(got, ", ") != want {
		t.Errorf("breaches %q, want %q", strings.Join(got, ", "), want)
	}
	th = Thresholds{MinFillRate: 0.9, MaxRejectRate: 0.1, MaxDuplicates: 2, MaxP95: 20 * time.Second}
	r.Questions = r.Questions[:2]
	if b := breaches(r, th, now); len(b) != 0 {
		t.Errorf("at the limits nothing is breached: %v", b)
	}
}

func TestValuesAtPath(t *testing.T) {
	raw, _ := bson.Marshal(bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: int32(1)}}},
		{Key: "v", Value: bson.A{bson.D{{Key: "y", Value: int32(2001)}}, bson.D{{Key: "y", Value: nil}}, bson.D{{Key: "y", Value: int32(1999)}}}},
		{Key: "n", Value: nil}})
	d := bson.Raw(raw)
	if got := values(d, "a.b"); len(got) != 1 || got[0].Int32() != 1 {
		t.Errorf("a.b: %v", got)
	}
	if got := values(d, "v[].y"); len(got) != 2 || got[1].Int32() != 1999 {
		t.Errorf("v[].y: %v", got)
	}
	if hasValue(d, "n") || hasValue(d, "missing") || hasValue(d, "a.b.c") || !hasValue(d, "v") {
		t.Error("null, missing and paths through scalars hold no value")
	}
}

func TestKeySetNumbersByValue(t *testing.T) {
	k := newKeySet([]string{"city", "id"})
	for _, d := range []bson.D{
		{{Key: "city", Value: "paris"}, {Key: "id", Value: int64(3109)}},
		{{Key: "city", Value: "paris"}, {Key: "id", Value: int32(3109)}},
		{{Key: "city", Value: "paris"}, {Key: "id", Value: 3109.0}},
		{{Key: "city", Value: "lyon"}, {Key: "id", Value: int64(3109)}},
		{{Key: "city", Value: "paris"}},
		{{Key: "city", Value: "paris"}, {Key: "id", Value: nil}},
	} {
		raw, _ := bson.Marshal(d)
		k.add(raw)
	}
	if k.dups != 3 {
		t.Errorf("duplicates %d, want 3 (3109 thrice in Paris, a missing id twice)", k.dups)
	}
	if id := newKeySet([]string{"_id"}); id.seen != nil {
		t.Error("an _id key is unique by construction: nothing to keep")
	}
}
