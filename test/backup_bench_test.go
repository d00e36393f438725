package test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/backuptest"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/snapshot"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/test/testbed"
)

// bench data: 4 collections of 25,000 documents of about 400 bytes.
const (
	benchColls = 4
	benchDocs  = 25000
)

func benchDoc(i int) bson.D {
	return bson.D{{Key: "_id", Value: i}, {Key: "city", Value: []string{"Paris", "Lyon", "Lille"}[i%3]},
		{Key: "price", Value: float64(i) * 1.25}, {Key: "at", Value: bson.DateTime(1_700_000_000_000 + int64(i))},
		{Key: "text", Value: strings.Repeat(fmt.Sprintf("listing %d ", i), 25)}}
}

func benchSeed(b *testing.B, c *mongo.Client, db string, colls, docs int) {
	ctx := context.Background()
	for k := range colls {
		for lo := 0; lo < docs; lo += 5000 {
			batch := make([]any, 0, 5000)
			for i := lo; i < min(lo+5000, docs); i++ {
				batch = append(batch, benchDoc(i))
			}
			if _, err := c.Database(db).Collection(fmt.Sprint("c", k)).InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchMinIO(b *testing.B, bucket string) *s3.Storage {
	srv := testbed.StartMinIOT(b)
	st, err := s3.New(s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	for try := 0; ; try++ {
		if err = st.CreateBucket(context.Background(), false); err == nil || try == 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func benchCodec(b *testing.B) stream.Codec {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	return stream.Codec{Compression: stream.Zstd, Recipients: []age.Recipient{id.Recipient()}}
}

// ratio prints a measurement against its baseline from the same run.
func ratio(b *testing.B, what string, base, got float64, unit, target string) {
	b.Logf("%s: %.0f %s vs baseline %.0f %s = %.2f× (target %s)", what, got, unit, base, unit, got/base, target)
	b.ReportMetric(got/base, "ratio")
}

// BenchmarkBackupVsScan: documents per second of a backup (parallel dump
// → zstd → age → MinIO) against a plain driver cursor scan of the same
// collections, one after the other, on the same FerretDB.
func BenchmarkBackupVsScan(b *testing.B) {
	ctx := context.Background()
	c := testbed.Connect(b, testbed.StartFerretDBT(b).URI())
	benchSeed(b, c, "bench", benchColls, benchDocs)
	st := benchMinIO(b, "bench")
	codec := benchCodec(b)
	total := float64(benchColls * benchDocs)
	for b.Loop() {
		start := time.Now()
		for k := range benchColls {
			cur, err := c.Database("bench").Collection(fmt.Sprint("c", k)).Find(ctx, bson.D{})
			if err != nil {
				b.Fatal(err)
			}
			for cur.Next(ctx) {
			}
			cur.Close(ctx)
		}
		scan := total / time.Since(start).Seconds()
		start = time.Now()
		w := archive.NewWriter(archive.Destination{Storage: st, Codec: codec}, "bench", layout.NewID(time.Now()))
		if _, err := snapshot.Dump(ctx, c, w, snapshot.Options{Parallelism: 4}, slog.New(slog.DiscardHandler)); err != nil {
			b.Fatal(err)
		}
		ratio(b, "backup vs driver scan", scan, total/time.Since(start).Seconds(), "docs/s", "≥ 0.9")
	}
}

// BenchmarkPipelineVsRawUpload: bytes per second of the object pipeline
// (BSON → zstd → age → MinIO) against uploading the same BSON bytes raw.
func BenchmarkPipelineVsRawUpload(b *testing.B) {
	ctx := context.Background()
	st := benchMinIO(b, "pipeline")
	codec := benchCodec(b)
	var raw bytes.Buffer
	for i := 0; raw.Len() < 256<<20; i++ {
		d, _ := bson.Marshal(benchDoc(i))
		raw.Write(d)
	}
	data := raw.Bytes()
	for b.Loop() {
		start := time.Now()
		if _, err := st.Put(ctx, "raw.bson", io.MultiReader(bytes.NewReader(data)), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		rawRate := float64(len(data)) / time.Since(start).Seconds() / (1 << 20)
		start = time.Now()
		stats, err := stream.Upload(ctx, st, "piped.bson.zst.age", codec, true, storage.PutOptions{}, func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(data))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ratio(b, fmt.Sprintf("pipeline vs raw upload (%d MiB → %d MiB stored)", len(data)>>20, stats.StoredBytes>>20),
			rawRate, float64(len(data))/time.Since(start).Seconds()/(1<<20), "MiB/s", "≥ 0.8")
	}
}

// BenchmarkRestoreVsInsertMany: documents per second of a restore against
// plain InsertMany of the same documents into the same target, in the
// same run: a default restore (every object prechecked, verified by the
// digest of the documents the target acknowledged and by its count), one
// with --skip-precheck (to show what the precheck costs), then one with
// --read-back (which also scans every restored collection, overlapped
// with loading).
func BenchmarkRestoreVsInsertMany(b *testing.B) {
	ctx := context.Background()
	src := testbed.Connect(b, testbed.StartFerretDBT(b).URI())
	benchSeed(b, src, "bench", benchColls, benchDocs)
	st := benchMinIO(b, "restore")
	codec := benchCodec(b)
	id, _ := age.GenerateX25519Identity()
	codec.Recipients = []age.Recipient{id.Recipient()}
	m := backuptest.Dump(b, src, st, backuptest.Options{ReplicaSet: "bench", Recipients: codec.Recipients, Parallelism: 4})
	total := float64(benchColls * benchDocs)
	for b.Loop() {
		dst := testbed.Connect(b, testbed.StartFerretDBT(b).URI())
		start := time.Now()
		benchSeed(b, dst, "plain", benchColls, benchDocs)
		plain := total / time.Since(start).Seconds()
		restored := func(readBack bool, into string, skipPrecheck ...bool) float64 {
			ns, err := restore.NewNamespaces(nil, "bench.*", into+".*")
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			rep, err := restore.Run(ctx, restore.Options{Storage: st, Manifest: m, Identities: []age.Identity{id}, Target: dst,
				Namespaces: ns, ReadBack: readBack, SkipPrecheck: len(skipPrecheck) > 0, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			if !rep.Verified || rep.Documents != int64(total) {
				b.Fatalf("restore report: %+v", rep)
			}
			return total / time.Since(start).Seconds()
		}
		got := restored(false, "restored")
		ratio(b, "restore (precheck of every object, verified: acknowledged digest + count) vs InsertMany", plain, got, "docs/s", "≥ 0.8")
		skip := restored(false, "unchecked", true)
		b.Logf("restore --skip-precheck: %.0f docs/s = %.2f× InsertMany (the precheck costs %.0f%%)", skip, skip/plain, 100*(1-got/skip))
		rb := restored(true, "readback")
		b.Logf("restore --read-back (also scans every collection back): %.0f docs/s = %.2f× InsertMany", rb, rb/plain)
		b.ReportMetric(rb/plain, "readback-ratio")
	}
}

// BenchmarkBackupPeakRSS backs up a 1 GB collection in a child process
// (so FerretDB's memory is not counted) and reports its peak RSS.
func BenchmarkBackupPeakRSS(b *testing.B) {
	uri := testbed.StartFerretDBT(b).URI()
	c := testbed.Connect(b, uri)
	const docs = 1_000_000 // ~1 KiB each: 1 GB of BSON
	ctx := context.Background()
	big := strings.Repeat("x", 960)
	for lo := 0; lo < docs; lo += 10000 {
		batch := make([]any, 0, 10000)
		for i := lo; i < lo+10000; i++ {
			batch = append(batch, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: big}, {Key: "n", Value: int64(i)}})
		}
		if _, err := c.Database("rss").Collection("big").InsertMany(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	srv := testbed.StartMinIOT(b)
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChildDump$", "-test.v")
		cmd.Env = append(os.Environ(), "BK_CHILD_MONGO="+uri, "BK_CHILD_S3="+srv.Endpoint, "BK_CHILD_AK="+srv.AccessKey, "BK_CHILD_SK="+srv.SecretKey)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		// The child reports its own VmHWM: rusage's maxrss of a child also
		// counts the parent's memory it shared between fork and exec.
		_, after, ok := strings.Cut(string(out), "VmHWM:")
		if !ok {
			b.Fatalf("child did not report VmHWM:\n%s", out)
		}
		kb, err := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("backup of a 1 GB collection (%d documents) in %s: peak RSS %d MB (target ≤ 300 MB)", docs, time.Since(start).Round(time.Second), kb/1024)
		b.ReportMetric(float64(kb)/1024, "peakRSS-MB")
	}
}

// TestBenchChildDump is the child of BenchmarkBackupPeakRSS; it does
// nothing unless started by it.
func TestBenchChildDump(t *testing.T) {
	uri := os.Getenv("BK_CHILD_MONGO")
	if uri == "" {
		t.Skip("run by BenchmarkBackupPeakRSS only")
	}
	ctx := context.Background()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	st, err := s3.New(s3.Config{Endpoint: os.Getenv("BK_CHILD_S3"), Bucket: "rss", AccessKey: os.Getenv("BK_CHILD_AK"), SecretKey: os.Getenv("BK_CHILD_SK")})
	if err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ {
		if err = st.CreateBucket(ctx, false); err == nil || try == 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	id, _ := age.GenerateX25519Identity()
	w := archive.NewWriter(archive.Destination{Storage: st, Codec: stream.Codec{Recipients: []age.Recipient{id.Recipient()}}}, "rss", layout.NewID(time.Now()))
	colls, err := snapshot.Dump(ctx, c, w, snapshot.Options{Parallelism: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			t.Logf("dumped %d documents (%d MiB of BSON); %s", colls[0].Documents, colls[0].RawBytes>>20, line)
		}
	}
}

// BenchmarkBackupOneLargeCollection (issue 10, defect 6): a backup
// dominated by one large collection, with each object compressed by one
// zstd thread (as before) and with the threads chosen from the
// collection's share of the documents, at most the cores less one (now:
// on 2 cores that is one thread, see backup/DESIGN.md), in the same run;
// then the
// object pipeline alone (BSON → zstd → age → MinIO, no database) with one
// and with four encoder threads, which shows what the threads buy when
// the database is not the limit.
func BenchmarkBackupOneLargeCollection(b *testing.B) {
	ctx := context.Background()
	c := testbed.Connect(b, testbed.StartFerretDBT(b).URI())
	benchSeed(b, c, "large", 1, 4*benchDocs)
	benchSeed(b, c, "small", 3, 500)
	st := benchMinIO(b, "large")
	codec := benchCodec(b)
	total := float64(4*benchDocs + 3*500)
	dump := func(threads int) float64 {
		start := time.Now()
		w := archive.NewWriter(archive.Destination{Storage: st, Codec: codec}, "large", layout.NewID(time.Now()))
		if _, err := snapshot.Dump(ctx, c, w, snapshot.Options{Parallelism: 4, Threads: threads}, slog.New(slog.DiscardHandler)); err != nil {
			b.Fatal(err)
		}
		return total / time.Since(start).Seconds()
	}
	var raw bytes.Buffer
	for i := 0; raw.Len() < 256<<20; i++ {
		d, _ := bson.Marshal(benchDoc(i))
		raw.Write(d)
	}
	pipe := func(threads int) float64 {
		cd := codec
		cd.Threads = threads
		start := time.Now()
		if _, err := stream.Upload(ctx, st, fmt.Sprintf("pipe-%d.bson.zst.age", threads), cd, true, storage.PutOptions{}, func(w io.Writer) error {
			_, err := w.Write(raw.Bytes())
			return err
		}); err != nil {
			b.Fatal(err)
		}
		return float64(raw.Len()) / time.Since(start).Seconds() / (1 << 20)
	}
	for b.Loop() {
		// ABBA order, so FerretDB's warming cache favours neither.
		one, auto := dump(1), dump(0)
		auto, one = (auto+dump(0))/2, (one+dump(1))/2
		ratio(b, "one-large-collection backup, encoder threads by share vs one thread", one, auto, "docs/s", "> 1 where the database is not the limit")
		p1 := pipe(1)
		p4 := pipe(4)
		b.Logf("object pipeline alone (256 MiB): 4 encoder threads %.0f MiB/s vs 1 thread %.0f MiB/s = %.2f×", p4, p1, p4/p1)
		b.ReportMetric(p4/p1, "pipeline-ratio")
	}
}
