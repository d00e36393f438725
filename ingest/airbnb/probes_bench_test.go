package airbnb

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkProbes loads 50,000 generated listings (45,000 for Paris and
// 5,000 for Lyon, about the real ratio; CITADEL_BENCH_PROBE_LISTINGS sets
// the total) into FerretDB and times each canned question, as `citadel
// report airbnb` runs them, against one full scan of the collection
// measured in the same run. Target: every question under 10 s.
func BenchmarkProbes(b *testing.B) {
	n := 50_000
	if s := os.Getenv("CITADEL_BENCH_PROBE_LISTINGS"); s != "" {
		fmt.Sscan(s, &n)
	}
	db := ingesttest.DB(b)
	for i, c := range []struct {
		city string
		n    int
	}{{"paris", n - n/10}, {"lyon", n / 10}} {
		path := filepath.Join(b.TempDir(), "listings-"+c.city+".csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := Generate(f, c.n, uint64(i+1)); err != nil {
			b.Fatal(err)
		}
		f.Close()
		l, _ := New(c.city, path)
		ingesttest.Load(b, db, l)
	}
	for range b.N {
		ingesttest.TimeProbes(b, db, "airbnb", Collection, Probes(), nil)
	}
}
