package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
	"github.com/noscites/citadel/internal/fault"
)

// echo answers with the arguments it was given, defaults filled in.
func echo(_ context.Context, _ *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	b, _ := json.Marshal(a)
	return &ingest.Table{Rows: [][]any{{string(b)}}}, nil
}

func testProbes() []ingest.Probe {
	from := ingest.Arg{Name: "from", Form: "a date YYYY-MM-DD", Valid: ingest.Date}
	min := ingest.Arg{Name: "min", Form: "a whole number", Default: "50", Valid: ingest.Positive}
	city := ingest.Arg{Name: "city", Form: "paris or lyon", Valid: ingest.OneOf("paris", "lyon")}
	return []ingest.Probe{
		{Name: "period", Run: ingest.Takes(echo, from, city)},
		{Name: "busy", Run: ingest.Takes(echo, min, city)},
		{Name: "plain", Run: ingest.Takes(echo)},
	}
}

func TestArgsFor(t *testing.T) {
	ps := testProbes()
	cases := []struct {
		probes []ingest.Probe
		args   ingest.ProbeArgs
		want   string // each probe's arguments, or the error
	}{
		{ps[:1], ingest.ProbeArgs{"from": "2022-06-01"}, `[{"from":"2022-06-01"}]`},
		{ps[:1], ingest.ProbeArgs{"form": "2022-06-01"}, `question period has no argument "form": it takes from (a date YYYY-MM-DD), city (paris or lyon)`},
		{ps[:1], ingest.ProbeArgs{"from": "June"}, `question period: --arg from="June": want a date YYYY-MM-DD`},
		{ps[2:], ingest.ProbeArgs{"min": "3"}, `question plain takes no argument (got --arg min)`},
		{ps, ingest.ProbeArgs{"min": "3", "city": "lyon"}, `[{"city":"lyon"},{"city":"lyon","min":"3"},{}]`},
		{ps, ingest.ProbeArgs{"min": "0"}, `question busy: --arg min="0": want a whole number`},
		{ps, ingest.ProbeArgs{"max": "3"}, `no question takes an argument "max": period takes from (a date YYYY-MM-DD), city (paris or lyon); busy takes min (a whole number, default 50), city (paris or lyon)`},
		{ps[2:], ingest.ProbeArgs{"max": "3"}, `question plain takes no argument (got --arg max)`},
		{ps, nil, `[{},{},{}]`},
	}
	for _, tc := range cases {
		got, err := ingest.ArgsFor(context.Background(), tc.probes, tc.args)
		s := ""
		if err != nil {
			s = err.Error()
			if !errors.Is(err, fault.ErrUsage) {
				t.Errorf("%v: %v is not a usage error", tc.args, err)
			}
		} else {
			b, _ := json.Marshal(got)
			s = string(b)
		}
		if s != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.args, s, tc.want)
		}
	}
}

// TestTakesFillsDefaults: the probe function sees every argument it
// declared, with its default when absent or empty.
func TestTakesFillsDefaults(t *testing.T) {
	db := &mongo.Database{} // never queried by echo
	for args, want := range map[string]string{
		`{}`:                        `{"city":"","min":"50"}`,
		`{"min":""}`:                `{"city":"","min":"50"}`,
		`{"min":"7","city":"lyon"}`: `{"city":"lyon","min":"7"}`,
	} {
		var a ingest.ProbeArgs
		_ = json.Unmarshal([]byte(args), &a)
		tab, err := testProbes()[1].Run(context.Background(), db, a)
		if err != nil || tab.Rows[0][0] != want {
			t.Errorf("%s: %v %v, want %s", args, tab, err, want)
		}
	}
	if tab, err := testProbes()[1].Run(context.Background(), nil, ingest.ProbeArgs{"min": "7"}); tab != nil || err != nil {
		t.Errorf("a nil database only checks: %v %v", tab, err)
	}
}

func TestSortGroupsAndMedian(t *testing.T) {
	gs := []*ingest.Agg{
		{Key: []any{"b", int32(2)}, N: 3}, {Key: []any{"a", 9.5}, N: 3}, {Key: []any{nil, int64(1)}, N: 1},
		{Key: []any{"a", int64(2)}, N: 3}, {Key: []any{true, 1.0}, N: 1}, {Key: []any{time.Unix(0, 0), 1.0}, N: 1},
	}
	ingest.SortGroups(gs, func(g *ingest.Agg) float64 { return g.N })
	var got []string
	for _, g := range gs {
		b, _ := json.Marshal(g.Key)
		got = append(got, string(b))
	}
	want := `["a",2] ["a",9.5] ["b",2] [null,1] [true,1] ["1970-01-01T00:00:00Z",1]`
	if strings.Join(got, " ") != want {
		t.Errorf("sorted %s, want %s", strings.Join(got, " "), want)
	}
	for _, tc := range []struct {
		vals []float64
		want any
	}{{nil, nil}, {[]float64{3}, 3.0}, {[]float64{9, 1, 4}, 4.0}, {[]float64{10, 1, 4, 2}, 3.0}} {
		if got := ingest.MedianOf(tc.vals); got != tc.want {
			t.Errorf("median of %v: %v, want %v", tc.vals, got, tc.want)
		}
	}
}

// TestScanGroups: one projected scan gives a count and a sum per key, as a
// $group with two accumulators does on MongoDB: numbers equal in value are
// one key whatever their type, missing and null are one key, values that
// are not numbers are counted but not summed.
func TestScanGroups(t *testing.T) {
	db := ingesttest.DB(t)
	ctx := context.Background()
	c := db.Collection("g")
	docs := []any{
		bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: int32(1)}, {Key: "v", Value: 2.5}},
		bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: 1.0}, {Key: "v", Value: int64(4)}},
		bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: int64(2)}, {Key: "v", Value: "x"}},
		bson.D{{Key: "n", Value: int32(1)}, {Key: "v", Value: 1}},
		bson.D{{Key: "k", Value: nil}, {Key: "n", Value: int32(1)}},
		bson.D{{Key: "k", Value: "b"}, {Key: "n", Value: int32(1)}, {Key: "v", Value: 10}},
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	gs, err := ingest.ScanGroups(ctx, c, bson.D{{Key: "n", Value: bson.D{{Key: "$lt", Value: 5}}}}, []string{"k", "n"}, "v")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		b, _ := json.Marshal([]any{g.Key, g.N, g.Sum, g.Summands})
		got = append(got, string(b))
	}
	want := `[[null,1],2,1,1] [["a",1],2,6.5,2] [["a",2],1,0,0] [["b",1],1,10,1]`
	if s := strings.Join(got, " "); s != want {
		t.Errorf("groups %s, want %s", s, want)
	}
}
