package supermarket

import (
	"testing"

	"github.com/noscites/citadel/ingest"
)

func TestQuarter(t *testing.T) {
	h := ingest.NewHeader([]string{"trimestre"})
	cases := map[string]any{"T3": int32(3), "t1": int32(1), "Q4": int32(4), "2": int32(2), "": nil, "T5": "bad quarter", "3.0": "bad quarter", "trois": "bad quarter"}
	for in, want := range cases {
		r := &ingest.Row{H: h, Fields: []string{in}}
		got := Quarter(r, "trimestre")
		if reason, bad := want.(string); bad {
			if r.Err == nil || r.Err.Reason != reason || got != nil {
				t.Errorf("%q: %v %v, want a %s", in, got, r.Err, reason)
			}
			continue
		}
		if got != want || r.Err != nil {
			t.Errorf("%q: %v %v, want %v", in, got, r.Err, want)
		}
	}
}

// FuzzQuarter: any cell gives a quarter 1-4, nil for an empty cell, or
// a located error.
func FuzzQuarter(f *testing.F) {
	for _, s := range []string{"T3", "3", "", "Q9", "T", "TT3"} {
		f.Add(s)
	}
	h := ingest.NewHeader([]string{"trimestre"})
	f.Fuzz(func(t *testing.T, s string) {
		r := &ingest.Row{H: h, Fields: []string{s}}
		switch q := Quarter(r, "trimestre").(type) {
		case int32:
			if q < 1 || q > 4 || r.Err != nil {
				t.Fatalf("%q: quarter %d, err %v", s, q, r.Err)
			}
		case nil:
			if r.Err == nil && r.Str("trimestre") != "" {
				t.Fatalf("%q: neither a quarter nor an error", s)
			}
		default:
			t.Fatalf("%q: %T", s, q)
		}
	})
}
