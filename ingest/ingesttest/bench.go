package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest"
)

// ProbeTarget is the time every canned question must stay under on the
// benchmark sizes (issue 16, item 9).
const ProbeTarget = 10 * time.Second

// probeTimeout bounds one question in a benchmark, so that a regression
// cannot make `make bench` run for hours: CITADEL_BENCH_PROBE_TIMEOUT (a
// Go duration), default 180s (one pass over 100,000 DVF mutations takes
// about 50 s on FerretDB). The server may go on computing a question
// the client gave up on; the following timings then include that work.
func probeTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CITADEL_BENCH_PROBE_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 180 * time.Second
}

// TimeProbes runs every probe (those whose name matches the regexp
// CITADEL_BENCH_PROBES, when set) once on db with args and logs its time,
// and its ratio to a baseline measured first in the same run: the
// cheapest pass over the collection base, a find of every document
// projected on _id alone (FerretDB still reads and decodes each whole
// document: its floor for any question that reads them all). A question
// slower than ProbeTarget is marked; one that fails or passes the timeout
// fails the benchmark after all have run.
func TimeProbes(b *testing.B, db *mongo.Database, dataset, base string, probes []ingest.Probe, args ingest.ProbeArgs) {
	b.Helper()
	ctx := context.Background()
	scan, n := scanAll(b, ctx, db.Collection(base), bson.D{{Key: "_id", Value: 1}})
	var out strings.Builder
	fmt.Fprintf(&out, "%s probes on %d documents of %s: baseline pass (find projected on _id) %.2f s; target < %s each\n",
		dataset, n, base, scan.Seconds(), ProbeTarget)
	fmt.Fprintf(&out, "  %-26s %9s %8s  %s\n", "question", "time", "× pass", "")
	var failed []string
	limit := probeTimeout()
	only, err := regexp.Compile(os.Getenv("CITADEL_BENCH_PROBES"))
	if err != nil {
		b.Fatalf("CITADEL_BENCH_PROBES: %v", err)
	}
	for _, p := range probes {
		if !only.MatchString(p.Name) {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, limit)
		start := time.Now()
		tab, err := p.Run(pctx, db, args)
		d := time.Since(start)
		stopped := pctx.Err() != nil
		cancel()
		mark := ""
		switch {
		case errors.Is(err, context.DeadlineExceeded) || stopped:
			mark = fmt.Sprintf("STOPPED after %s", limit)
			failed = append(failed, p.Name)
		case err != nil:
			mark = "ERROR " + err.Error()
			failed = append(failed, p.Name)
		case d >= ProbeTarget:
			mark = fmt.Sprintf("SLOW (%d rows)", len(tab.Rows))
		default:
			mark = fmt.Sprintf("%d rows", len(tab.Rows))
		}
		fmt.Fprintf(&out, "  %-26s %7.2f s %7.2f×  %s\n", p.Name, d.Seconds(), d.Seconds()/scan.Seconds(), mark)
	}
	b.Log("\n" + out.String())
	if len(failed) > 0 {
		b.Errorf("%s: questions that did not answer: %s", dataset, strings.Join(failed, ", "))
	}
}

// scanAll reads every document of c once, projected on proj.
func scanAll(b *testing.B, ctx context.Context, c *mongo.Collection, proj bson.D) (time.Duration, int) {
	b.Helper()
	start := time.Now()
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetProjection(proj))
	if err != nil {
		b.Fatalf("scan %s: %v", c.Name(), err)
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		n++
	}
	if err := cur.Err(); err != nil {
		b.Fatalf("scan %s: %v", c.Name(), err)
	}
	if n == 0 {
		b.Fatalf("scan %s: empty collection", c.Name())
	}
	return time.Since(start), n
}

// Load runs a loader into db and fails the benchmark unless it loaded
// every record (the generators write no bad rows) or at most maxRejects.
func Load(b *testing.B, db *mongo.Database, l ingest.Loader) *ingest.Report {
	b.Helper()
	start := time.Now()
	rep, err := ingest.Run(context.Background(), db, l, ingest.Options{MaxErrorRate: 0.05})
	if err != nil {
		b.Fatalf("load %s: %v", l.Dataset(), err)
	}
	b.Logf("%s: loaded %d documents (%d rejected) in %.1f s", l.Dataset(), rep.Docs, rep.Rejected, time.Since(start).Seconds())
	return rep
}
