package drill

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzParseReport: a stored report read back from a storage never panics,
// refuses a format it does not know, and a report it writes reads back.
func FuzzParseReport(f *testing.F) {
	good := &Report{Format: Format, ID: "20261201T130000Z-abcd", Drill: "weekly", Started: time.Unix(1796130000, 0).UTC(),
		RTO: time.Second, Reasons: []string{"RTO 2s exceeds max_rto 1s by 1s"}, Dropped: []string{"app"}}
	b, _ := json.Marshal(good)
	f.Add(b)
	good.Probes = []ProbeCheck{{Dataset: "airbnb", Database: "data", Compared: 10, Changed: []string{"room-types"}},
		{Dataset: "dvf", Database: "data", NotCompared: "the oplog replayed after the backup's end writes data.dvf"}}
	b, _ = json.Marshal(good)
	f.Add(b)
	f.Add([]byte(`{"format": 2}`))
	f.Add([]byte(`{"format": 1, "rto_ns": "soon"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := parse(in, "s3://b/main/drills/x.json")
		if err != nil {
			if !strings.Contains(err.Error(), "s3://b/main/drills/x.json") {
				t.Fatalf("the error does not name the object: %v", err)
			}
			return
		}
		if r.Format < 1 || r.Format > Format {
			t.Fatalf("accepted format %d", r.Format)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parse(out, "again")
		if err != nil || again.ID != r.ID || again.RTO != r.RTO || len(again.Reasons) != len(r.Reasons) || len(again.Probes) != len(r.Probes) {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

// FuzzNormalizeHost: any host string normalizes without panicking to a
// form that normalizes to itself.
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"db1.paris:27017", "DB2.lyon", "[::1]:27018", "::1", "", ":", "[", "a:b:c", "0]0", "[ 00"} { // the last two once broke it
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n := normalizeHost(h)
		if normalizeHost(n) != n {
			t.Fatalf("normalizeHost(%q) = %q, then %q", h, n, normalizeHost(n))
		}
	})
}
