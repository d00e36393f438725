package dictionary

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkDictionary builds the dictionary of generated Airbnb listings
// (CITADEL_BENCH_DICTIONARY_LISTINGS, 20,000) on FerretDB and prints its
// time against a baseline measured in the same run: one find of every
// whole document (the pass the dictionary makes, without the profiling),
// and --sample 1000.
func BenchmarkDictionary(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("CITADEL_BENCH_DICTIONARY_LISTINGS")); err == nil && v > 0 {
		n = v
	}
	path := filepath.Join(b.TempDir(), "listings.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := airbnb.Generate(f, n, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	db := ingesttest.DB(b)
	l, err := airbnb.New("paris", path)
	if err != nil {
		b.Fatal(err)
	}
	ingesttest.Load(b, db, l)
	spec, err := SpecFor("airbnb")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range b.N {
		start := time.Now()
		cur, err := db.Collection(airbnb.Collection).Find(ctx, bson.D{})
		if err != nil {
			b.Fatal(err)
		}
		docs := 0
		for cur.Next(ctx) {
			docs++
		}
		if err := cur.Err(); err != nil {
			b.Fatal(err)
		}
		cur.Close(ctx)
		pass := time.Since(start)
		start = time.Now()
		d, err := Build(ctx, db, "airbnb", []string{airbnb.Collection}, spec, Options{})
		if err != nil {
			b.Fatal(err)
		}
		full := time.Since(start)
		start = time.Now()
		if _, err := Build(ctx, db, "airbnb", []string{airbnb.Collection}, spec, Options{Sample: 1000}); err != nil {
			b.Fatal(err)
		}
		sample := time.Since(start)
		b.Logf("dictionary of %d listings (%d field paths): baseline find of every document %.2f s; dictionary %.2f s (%.2f× the pass); --sample 1000 %.2f s",
			docs, len(d.Collections[0].Fields), pass.Seconds(), full.Seconds(), full.Seconds()/pass.Seconds(), sample.Seconds())
	}
}
