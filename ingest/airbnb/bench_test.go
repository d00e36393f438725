package airbnb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkLoad200k loads a generated 200,000-listing file with the loader
// and, in the same run, inserts the same documents with plain unordered
// InsertMany, and prints the ratio (target ≥ 0.8), docs/s and MB/s.
func BenchmarkLoad200k(b *testing.B) {
	n := 200_000
	if s := os.Getenv("CITADEL_BENCH_LISTINGS"); s != "" {
		fmt.Sscan(s, &n)
	}
	path := filepath.Join(b.TempDir(), "listings.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := Generate(f, n, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(path)
	db := ingesttest.DB(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		base := plainInsert(b, db.Client().Database(fmt.Sprintf("plain%d", i)), path)
		l, _ := New("paris", path)
		rep, err := ingest.Run(ctx, db.Client().Database(fmt.Sprintf("loader%d", i)), l, ingest.Options{MaxErrorRate: 0.01})
		if err != nil || rep.Inserted != int64(n) {
			b.Fatalf("load: %v %+v", err, rep)
		}
		again, err := ingest.Run(ctx, db.Client().Database(fmt.Sprintf("loader%d", i)), l, ingest.Options{MaxErrorRate: 0.01})
		if err != nil || again.Unchanged != int64(n) {
			b.Fatalf("reload: %v %+v", err, again)
		}
		mb := float64(fi.Size()) / 1e6
		b.Logf("airbnb %d listings, %.0f MB: plain InsertMany %.0f docs/s (%.1f MB/s); loader %.0f docs/s (%.1f MB/s), ratio %.2f (target ≥ 0.80); unchanged reload %.0f docs/s",
			n, mb, float64(n)/base.Seconds(), mb/base.Seconds(), rep.DocsPerSec, rep.MBPerSec, rep.DocsPerSec/(float64(n)/base.Seconds()), again.DocsPerSec)
		b.ReportMetric(rep.DocsPerSec/(float64(n)/base.Seconds()), "ratio")
		b.ReportMetric(rep.DocsPerSec, "docs/s")
	}
}

// plainInsert parses the file the same way and writes with InsertMany only.
func plainInsert(b *testing.B, db *mongo.Database, path string) time.Duration {
	ctx := context.Background()
	in, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	start := time.Now()
	r := ingest.NewCSVReader(in, ingest.CSVOptions{})
	head, _ := r.Read()
	h := ingest.NewHeader(append([]string(nil), head.Fields...))
	coll := db.Collection(Collection)
	batch := make([]any, 0, ingest.DefaultBatchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := coll.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false)); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		doc, fe := Convert("paris", h, rec.Fields)
		if fe != nil {
			b.Fatal(fe)
		}
		batch = append(batch, append(bsonID(doc.ID), doc.Body...))
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	return time.Since(start)
}

func bsonID(id any) bson.D { return bson.D{{Key: "_id", Value: id}} }
