package airbnb

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/test/testbed"
)

// BenchmarkIngestVsImport times `citadel ingest airbnb` (the built binary,
// in its own process, as a user runs it) of a generated 50,000-listing
// file in the real 2024 format against, in the same run and on the same
// embedded FerretDB, what a generic CSV importer does with the same file
// (mongoimport --type csv --headerline): every row a document of strings,
// one field per column, written with unordered InsertMany of 1,000.
// Rounds alternate importer and loader (CITADEL_BENCH_ROUNDS, default 3)
// and the medians are compared: the ratio is import time / load time, so
// 1.0 or more means typing and quarantining rows cost the user nothing
// over a generic import. CITADEL_BENCH_IMPORT_LISTINGS sizes the file;
// CITADEL_BENCH_INGEST_FLAGS adds flags to the load (--batch-size 5000).
func BenchmarkIngestVsImport(b *testing.B) {
	n := benchEnvInt("CITADEL_BENCH_IMPORT_LISTINGS", 50_000)
	rounds := benchEnvInt("CITADEL_BENCH_ROUNDS", 3)
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
	bin := buildCitadel(b)
	srv := testbed.StartFerretDBT(b)
	client := testbed.Connect(b, srv.URI())
	for i := 0; i < b.N; i++ {
		var imp, load []float64
		var last loadJSON
		for r := range rounds {
			db := fmt.Sprintf("import%d_%d", i, r)
			imp = append(imp, genericImport(b, srv.URI(), db, path, n).Seconds())
			_ = client.Database(db).Drop(context.Background())
			db = fmt.Sprintf("ingest%d_%d", i, r)
			secs, rep := citadelIngest(b, bin, srv.URI(), db, path)
			if rep.Inserted != int64(n) {
				b.Fatalf("citadel ingest inserted %d of %d", rep.Inserted, n)
			}
			load, last = append(load, secs), rep
			_ = client.Database(db).Drop(context.Background())
		}
		mi, ml := median(imp), median(load)
		mb := float64(fi.Size()) / 1e6
		b.Logf("airbnb %d listings, %.0f MB, %d rounds (median):\n"+
			"  generic import (documents of strings, InsertMany 1000 unordered): %.2f s, %.0f docs/s  %v\n"+
			"  citadel ingest airbnb (typed, hashed, quarantine, indexes):     %.2f s, %.0f docs/s  %v (in-process report: %.2f s)\n"+
			"  ratio import/ingest %.2f (target ≥ 1.0)",
			n, mb, rounds, mi, float64(n)/mi, secs(imp), ml, float64(n)/ml, secs(load), last.Seconds, mi/ml)
		b.ReportMetric(mi/ml, "ratio")
	}
}

// importBatch is the generic importer's batch (mongoimport's), whatever
// the loader's default.
const importBatch = 1000

// genericImport is the baseline: connect, read the CSV with encoding/csv,
// one document of strings per row (header names as keys, blank fields
// kept as "", the _id left to the driver), unordered InsertMany of 1,000.
func genericImport(b *testing.B, uri, dbName, path string, want int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Disconnect(ctx)
	in, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	r := csv.NewReader(in)
	head, err := r.Read()
	if err != nil {
		b.Fatal(err)
	}
	coll := client.Database(dbName).Collection(Collection)
	batch := make([]any, 0, importBatch)
	rows := 0
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
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		d := make(bson.D, len(head))
		for j, name := range head {
			d[j] = bson.E{Key: name, Value: rec[j]}
		}
		batch = append(batch, d)
		rows++
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	if rows != want {
		b.Fatalf("generic import read %d rows, want %d", rows, want)
	}
	return time.Since(start)
}

type loadJSON struct {
	Inserted int64   `json:"inserted"`
	Seconds  float64 `json:"seconds"`
}

// citadelIngest runs the binary and returns its wall time and its report.
func citadelIngest(b *testing.B, bin, uri, db, path string) (float64, loadJSON) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	args := []string{"--config", "/nonexistent", "-o", "json", "ingest", "airbnb", "--city", "paris", "--uri", uri, "--database", db}
	args = append(args, strings.Fields(os.Getenv("CITADEL_BENCH_INGEST_FLAGS"))...)
	cmd := exec.CommandContext(ctx, bin, append(args, path)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	secs := time.Since(start).Seconds()
	if err != nil {
		b.Fatalf("citadel ingest airbnb: %v\n%s", err, out)
	}
	var rep loadJSON
	if err := json.Unmarshal(out, &rep); err != nil {
		b.Fatalf("report: %v\n%s", err, out)
	}
	return secs, rep
}

func buildCitadel(b *testing.B) string { return testbed.BuildCitadel(b, b.TempDir()) }

func benchEnvInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return n
		}
	}
	return def
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(v []float64) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.2f", x)
	}
	return "[" + out + "]"
}
