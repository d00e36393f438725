package dictionary

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestKMVExactThenEstimated(t *testing.T) {
	for _, n := range []int{0, 1, 100, DistinctBound, DistinctBound + 1, 20_000, 200_000} {
		s := newKMV(DistinctBound)
		for i := range n {
			// every value twice: duplicates never count
			for range 2 {
				s.add(newHasher('s').string(fmt.Sprint("value-", i)).sum())
			}
		}
		got, exact := s.count()
		switch {
		case n <= DistinctBound:
			if !exact || got != int64(n) {
				t.Errorf("%d distinct: got %d exact=%v, want exactly %d", n, got, exact, n)
			}
		default:
			// 1/sqrt(k-2) is the standard error: 4 of them is far enough
			// that the test never flakes (the hash is deterministic anyway).
			if exact || math.Abs(float64(got)-float64(n))/float64(n) > 4/math.Sqrt(DistinctBound-2) {
				t.Errorf("%d distinct: estimated %d (exact=%v), off by more than 4 standard errors", n, got, exact)
			}
		}
	}
}

func TestValueHashNumbersByValue(t *testing.T) {
	raw := func(v any) bson.RawValue {
		d, _ := bson.Marshal(bson.D{{Key: "v", Value: v}})
		return bson.Raw(d).Lookup("v")
	}
	if valueHash(raw(int32(2))) != valueHash(raw(int64(2))) || valueHash(raw(int64(2))) != valueHash(raw(2.0)) {
		t.Error("2, 2L and 2.0 are one value")
	}
	if valueHash(raw(2.5)) == valueHash(raw(2.0)) || valueHash(raw("2")) == valueHash(raw(int32(2))) {
		t.Error("2.5 and 2.0, \"2\" and 2 are different values")
	}
	big := int64(1035640283313989768)
	if valueHash(raw(big)) == valueHash(raw(big+1)) {
		t.Error("64-bit ids beyond 2^53 are told apart")
	}
}

func profileOf(t *testing.T, docs ...bson.D) map[string]Field {
	t.Helper()
	p := newProfile(DistinctBound)
	for _, d := range docs {
		raw, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.add(raw); err != nil {
			t.Fatal(err)
		}
	}
	cs := &CollectionSpec{Fields: map[string]FieldSpec{"secret": {Description: "a name", Personal: true},
		"born": {Description: "a birth day", Personal: true}, "never": {Description: "absent"}}}
	out := map[string]Field{}
	for _, f := range fields(p, cs) {
		out[f.Path] = f
	}
	return out
}

func TestProfile(t *testing.T) {
	day := time.Date(2024, 8, 14, 0, 0, 0, 0, time.UTC)
	fs := profileOf(t,
		bson.D{{Key: "n", Value: int32(3)}, {Key: "s", Value: "a"}, {Key: "d", Value: day}, {Key: "secret", Value: "Dupont"}, {Key: "born", Value: day},
			{Key: "sub", Value: bson.D{{Key: "x", Value: 1.5}}}, {Key: "arr", Value: bson.A{"p", "q"}},
			{Key: "docs", Value: bson.A{bson.D{{Key: "v", Value: int64(10)}}, bson.D{{Key: "v", Value: int64(-4)}}}},
			{Key: "id", Value: int64(1035640283313989768)}},
		bson.D{{Key: "n", Value: 2.5}, {Key: "s", Value: nil}, {Key: "d", Value: day.AddDate(0, 0, 2)}, {Key: "arr", Value: bson.A{}},
			{Key: "id", Value: int64(3109)}},
		bson.D{{Key: "s", Value: "b"}, {Key: "docs", Value: nil}},
		bson.D{{Key: "s", Value: strings.Repeat("é", 100)}},
	)
	check := func(path, types string, fill float64, distinct int64, lo, hi any) {
		t.Helper()
		f, ok := fs[path]
		if !ok {
			t.Fatalf("no row for %s (rows: %v)", path, fs)
		}
		if f.TypesText() != types || math.Abs(f.FillRate-fill) > 1e-9 {
			t.Errorf("%s: types %q fill %v, want %q %v", path, f.TypesText(), f.FillRate, types, fill)
		}
		if distinct >= 0 && (f.Distinct == nil || *f.Distinct != distinct || !f.DistinctExact) {
			t.Errorf("%s: distinct %v, want exactly %d", path, f.Distinct, distinct)
		}
		if !reflect.DeepEqual(f.Min, lo) || !reflect.DeepEqual(f.Max, hi) {
			t.Errorf("%s: range %v..%v, want %v..%v", path, f.Min, f.Max, lo, hi)
		}
	}
	check("n", "double 50%, int 50%", 0.5, 2, 2.5, 3.0)
	check("s", "string 100%", 0.75, 3, nil, nil)
	check("d", "date 100%", 0.5, 2, day, day.AddDate(0, 0, 2))
	check("sub", "object 100%", 0.25, -1, nil, nil)
	check("sub.x", "double 100%", 0.25, 1, 1.5, 1.5)
	check("arr", "array 100%", 0.5, -1, nil, nil)
	check("arr[]", "string 100%", 0.25, 2, nil, nil)
	check("docs[].v", "long 100%", 0.25, 2, int64(-4), int64(10))
	check("id", "long 100%", 0.5, 2, int64(3109), int64(1035640283313989768))
	check("never", "null", 0, -1, nil, nil)
	if fs["s"].Nulls != 1 || fs["docs"].Nulls != 1 {
		t.Errorf("nulls: s %d, docs %d", fs["s"].Nulls, fs["docs"].Nulls)
	}
	if b := fs["born"]; b.Min != nil || b.Max != nil || b.Example != nil || b.Documents != 1 {
		t.Errorf("a personal date shows no value, not even its range: %+v", b)
	}
	if fs["secret"].Example != nil || fs["n"].Example != int32(3) || fs["d"].Example != day {
		t.Errorf("examples: secret %v, n %v, d %v", fs["secret"].Example, fs["n"].Example, fs["d"].Example)
	}
	if ex, _ := fs["s"].Example.(string); ex != "a" {
		t.Errorf("example of s: %q", ex)
	}
}

func TestSheetNames(t *testing.T) {
	cs := []Collection{{Name: "a/b", Loaded: true}, {Name: "gone"}, {Name: strings.Repeat("x", 40), Loaded: true},
		{Name: strings.Repeat("x", 40) + "y", Loaded: true}, {Name: "collections", Loaded: true}}
	got := sheetNames(cs)
	want := []string{"a_b", "", strings.Repeat("x", 31), strings.Repeat("x", 29) + "~2", "collections~2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sheet names %q, want %q", got, want)
	}
}

func TestPercent(t *testing.T) {
	for share, want := range map[float64]string{1: "100%", 0: "0%", 0.999: ">99%", 0.5: "50%", 0.004: "0.4%"} {
		if got := percent(share); got != want {
			t.Errorf("percent(%v) = %q, want %q", share, got, want)
		}
	}
}
