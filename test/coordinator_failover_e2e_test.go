//go:build linux

package test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// foWorld is a one-node coordinator over the backup test bed, backing up
// main every minute into the Paris bucket from a Paris secondary (p2),
// while a writer inserts into shop.events.
type foWorld struct {
	*coWorld
	paris storage.Storage
	wr    *foWriter
	done  chan struct{}
	ready time.Time // seeded, the writer running
}

// foStart seeds big.a with n documents (replicated to every member) and
// starts the writer, stopped at cleanup.
func foStart(t *testing.T, n int, connectTimeout string) *foWorld {
	t.Helper()
	w := coStartWith(t, coOptions{one: true, connectTimeout: connectTimeout, backups: "  - name: failover\n    replica_set: main\n    storage: minio-paris\n" +
		"    schedule: \"* * * * *\"\n    retention: {daily: 7}\n    source: {prefer: secondary}\n    parallelism: 2\n"})
	paris, err := s3.New(s3.Config{Endpoint: w.minio.Endpoint, Bucket: "backups-paris", Prefix: "citadel", AccessKey: w.minio.AccessKey, SecretKey: w.minio.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	seeded := time.Now()
	for lo := 0; lo < n; lo += 10000 {
		docs := make([]any, 0, 10000)
		for i := lo; i < min(n, lo+10000); i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("f", 100)}})
		}
		if _, err := w.set(t, "main").Database("big").Collection("a").InsertMany(t.Context(), docs); err != nil {
			t.Fatal(err)
		}
	}
	w.waitApplied(t, "big", "a", int64(n))
	t.Logf("seeded big.a with %d documents, replicated to every member, in %s", n, time.Since(seeded).Round(time.Millisecond))
	f := &foWorld{coWorld: w, paris: paris, wr: &foWriter{c: w.set(t, "main")}, done: make(chan struct{})}
	go func() { defer close(f.done); f.wr.run(context.Background()) }()
	t.Cleanup(func() { f.wr.stop.Store(true); <-f.done })
	f.ready = time.Now()
	w.waitLeader(t, "c1")
	return f
}

// TestCoordinatorBackupThroughTwoFailovers: while the writer inserts
// (w:majority), the set fails over twice during the scheduled run's dump:
// the primary p1 is stopped (p2, the source, is elected), then p2 is
// stepped down (l1 is elected). The slot must end succeeded, either by the
// first attempt or by a retry within the slot after a clean failure (no
// manifest), with exactly one complete backup whose restore equals the
// source at the backup's end optime: big.a digest for digest, shop.events
// holding exactly the documents the source's oplog inserted at or before
// the end optime (issue 11).
func TestCoordinatorBackupThroughTwoFailovers(t *testing.T) {
	const docs = 120000 // the dump must outlast two elections
	f := foStart(t, docs, "")
	cur, source := f.foDumpStarted(t, f.ready)
	t.Logf("run %s (token %d) of slot %s dumps from %s", cur.ID, cur.Token, cur.Slot.Format(time.RFC3339), source)
	if source != f.host["p2"] {
		t.Fatalf("the backup reads from %s, want p2 %s (a Paris secondary)", source, f.host["p2"])
	}
	_, stepped := f.foFailTwice(t, cur.Start)
	runs, _ := f.slotOutcome(t, cur, docs)
	if !slices.ContainsFunc(runs, func(r store.Run) bool { return r.Start.Before(stepped) && r.End.After(stepped) }) {
		t.Errorf("no attempt of the slot was running when p2 was stepped down (%s): the second failover missed the run", stepped.Format(time.RFC3339Nano))
	}
}

// TestCoordinatorBackupRetriedWhenItsSourceDies: the source member p2 is
// stopped half a second into the scheduled run's dump. The attempt fails
// without a manifest, the scheduler retries the slot (trigger retry,
// within the slot), the retry reads from another member, and the slot
// ends with exactly one complete backup whose restore equals its source
// at its end optime (issue 11).
func TestCoordinatorBackupRetriedWhenItsSourceDies(t *testing.T) {
	const docs = 40000
	f := foStart(t, docs, "3s") // a stopped member is given up on after 3 s
	cur, source := f.foDumpStarted(t, f.ready)
	if source != f.host["p2"] {
		t.Fatalf("the backup reads from %s, want p2 %s (a Paris secondary)", source, f.host["p2"])
	}
	time.Sleep(time.Until(cur.Start.Add(500 * time.Millisecond)))
	must(t, f.sim.Stop(f.host["p2"]))
	t.Logf("p2, the source of run %s (token %d) of slot %s, stopped %s into it", cur.ID, cur.Token, cur.Slot.Format(time.RFC3339),
		time.Since(cur.Start).Round(time.Millisecond))
	runs, m := f.slotOutcome(t, cur, docs)
	first, last := runs[0], runs[len(runs)-1]
	if first.Token != cur.Token || first.State != store.RunFailed || last.Trigger != store.TriggerRetry || len(runs) < 2 {
		t.Fatalf("slot %s: runs %v, want the first attempt failed and a retry succeeded", cur.Slot.Format(time.RFC3339), runs)
	}
	if m.Source.Host == f.host["p2"] {
		t.Fatalf("the retry read from the stopped p2")
	}
}

// slotOutcome waits for cur's slot to succeed, logs its attempts (oldest
// first, returned), checks exactly one complete backup (the final run's)
// and that its restore equals its source at its end optime.
func (f *foWorld) slotOutcome(t *testing.T, cur store.Run, docs int) ([]store.Run, *manifest.Manifest) {
	t.Helper()
	ctx := t.Context()
	nc := f.client(t, "c1", coToken)
	final := waitRun(t, nc, "backup-failover", func(r store.Run) bool { return r.Slot.Equal(cur.Slot) && r.State == store.RunSucceeded },
		"the slot succeeds, within its minute", 3*time.Minute)
	f.wr.stop.Store(true)
	<-f.done
	if f.wr.err != nil {
		t.Fatal(f.wr.err)
	}
	all, err := nc.Runs(ctx, "backup-failover", 50)
	if err != nil {
		t.Fatal(err)
	}
	var runs []store.Run
	var tokens []uint64
	for _, r := range slices.Backward(all) {
		if !r.Slot.Equal(cur.Slot) {
			continue
		}
		runs, tokens = append(runs, r), append(tokens, r.Token)
		t.Logf("slot %s: run %s attempt %d trigger %s: %s after %s (started %s after the slot) %s", r.Slot.Format(time.RFC3339), r.ID, r.Attempt, r.Trigger,
			r.State, r.End.Sub(r.Start).Round(time.Millisecond), r.Start.Sub(r.Slot).Round(time.Millisecond), r.Error)
	}
	var res runner.BackupResult
	bkJSON(t, string(final.Result), &res)
	complete := foComplete(t, f.paris, tokens)
	if len(complete) != 1 || complete[0] != res.Backup.ID {
		t.Fatalf("slot %s: complete backups %v, want exactly the final run's %s", cur.Slot.Format(time.RFC3339), complete, res.Backup.ID)
	}
	m, err := catalog.Find(ctx, f.paris, "main", res.Backup.ID)
	if err != nil {
		t.Fatal(err)
	}
	member := ""
	for name, h := range f.host {
		if h == m.Source.Host {
			member = name
		}
	}
	t.Logf("backup %s from %s %s (%s at its start): dump %s → %s, end optime %s, %d oplog entries; %d writes acknowledged",
		m.ID, member, m.Source.Host, m.Source.State, m.Started.Format(time.RFC3339Nano), m.Finished.Format(time.RFC3339Nano), m.End.TS, m.Oplog.Entries, f.wr.n.Load())
	f.foRestoreEqual(t, m, docs)
	return runs, m
}

// foDumpStarted waits for the first scheduled run that starts after
// ready to log "backup started", and returns it with its source member.
func (w *coWorld) foDumpStarted(t *testing.T, ready time.Time) (store.Run, string) {
	t.Helper()
	c := w.client(t, "c1", coToken)
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("no scheduled run started its dump within 90s")
		}
		time.Sleep(20 * time.Millisecond)
		jobs, err := c.Jobs(t.Context())
		if err != nil {
			continue
		}
		for _, j := range jobs {
			cur := j.Current
			if j.Name != "backup-failover" || cur == nil || cur.Trigger != store.TriggerSchedule || cur.Start.Before(ready) {
				continue
			}
			log, _ := os.ReadFile(w.nodes["c1"].logs[len(w.nodes["c1"].logs)-1])
			for line := range strings.Lines(string(log)) {
				if strings.Contains(line, "backup started") && strings.Contains(line, fmt.Sprintf("-%04x ", cur.Token&0xffff)) {
					_, src, _ := strings.Cut(line, " source=")
					src, _, _ = strings.Cut(src, " ")
					return *cur, src
				}
			}
		}
	}
}

// foFailTwice stops the primary p1 half a second into the dump, waits for
// p2 to be elected, steps p2 down and waits for another primary; it
// returns when p1 was stopped and when p2 stepped down.
func (w *coWorld) foFailTwice(t *testing.T, start time.Time) (killed, stepped time.Time) {
	t.Helper()
	time.Sleep(time.Until(start.Add(500 * time.Millisecond)))
	killed = time.Now()
	must(t, w.sim.Stop(w.host["p1"]))
	w.foWaitPrimary(t, func(p string) bool { return p == w.host["p2"] }, "p2 elected after p1 stopped")
	t.Logf("p1 stopped %s into the run; p2 primary %s later", killed.Sub(start).Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	stepped = time.Now()
	err := bkDirect(t, w.host["p2"]).Database("admin").RunCommand(t.Context(), bson.D{{Key: "replSetStepDown", Value: 30}}).Err()
	t.Logf("replSetStepDown on p2: %v", err)
	p := w.foWaitPrimary(t, func(p string) bool { return p != "" && p != w.host["p2"] }, "another primary after p2 stepped down")
	t.Logf("p2 stepped down %s into the run; %s primary %s later", stepped.Sub(start).Round(time.Millisecond), p, time.Since(stepped).Round(time.Millisecond))
	return killed, stepped
}

func (w *coWorld) foWaitPrimary(t *testing.T, ok func(string) bool, what string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p := w.sim.Primary("main"); ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60s (primary %q)", what, w.sim.Primary("main"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// foComplete lists the complete backups of main in st named after tokens.
func foComplete(t *testing.T, st storage.Storage, tokens []uint64) []string {
	t.Helper()
	entries, err := catalog.List(t.Context(), st, "main")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Complete && slices.ContainsFunc(tokens, func(tok uint64) bool { return strings.HasSuffix(e.ID, fmt.Sprintf("-%04x", tok&0xffff)) }) {
			out = append(out, e.ID)
		}
	}
	return out
}

// foRestoreEqual restores m into the scratch set and compares it with its
// source member at m's end optime: big.a (never written during the run)
// digest for digest, shop.events as the documents the source's oplog
// inserted at or before the end optime.
func (w *coWorld) foRestoreEqual(t *testing.T, m *manifest.Manifest, docs int) {
	t.Helper()
	ctx := t.Context()
	if code, _, errOut := citadel(t, w.env, "--config", w.cfg, "restore", m.ID, "--to-rs", "scratch"); code != 0 {
		t.Fatalf("restore %s: exit %d %s", m.ID, code, errOut)
	}
	src, dst := bkDirect(t, m.Source.Host), w.set(t, "scratch")
	a, _ := restore.Digest(ctx, src.Database("big").Collection("a"))
	b, _ := restore.Digest(ctx, dst.Database("big").Collection("a"))
	if a.String() != b.String() || b.Count() != int64(docs) {
		t.Errorf("big.a: restored %d documents (%s), source %d (%s)", b.Count(), b, a.Count(), a)
	}
	want := map[string]bool{}
	cur, err := src.Database("local").Collection("oplog.rs").Find(ctx, bson.D{{Key: "ns", Value: "shop.events"}, {Key: "op", Value: "i"},
		{Key: "ts", Value: bson.D{{Key: "$lte", Value: m.End.TS.BSON()}}}})
	must(t, err)
	for cur.Next(ctx) {
		want[cur.Current.Lookup("o", "_id").StringValue()] = true
	}
	must(t, cur.Err())
	got := map[string]bool{}
	cur, err = dst.Database("shop").Collection("events").Find(ctx, bson.D{})
	must(t, err)
	for cur.Next(ctx) {
		got[cur.Current.Lookup("_id").StringValue()] = true
	}
	must(t, cur.Err())
	if !maps.Equal(want, got) {
		t.Errorf("shop.events: restored %d documents, the source inserted %d at or before %s", len(got), len(want), m.End.TS)
	}
	t.Logf("restored %s: big.a %d documents equal to the source, shop.events %d documents as the source at %s", m.ID, b.Count(), len(got), m.End.TS)
}

// foWriter inserts into shop.events, one w:majority insert at a time,
// until stopped. An insert that fails (no primary during an election) is
// repeated for at most a minute; a duplicate key means it had landed.
type foWriter struct {
	c    *mongo.Client
	n    atomic.Int64
	stop atomic.Bool
	err  error
}

func (w *foWriter) run(ctx context.Context) {
	ev := w.c.Database("shop", options.Database().SetWriteConcern(writeconcern.Majority())).Collection("events")
	for i := 0; !w.stop.Load(); i++ {
		id := fmt.Sprintf("w-%06d", i)
		for deadline := time.Now().Add(time.Minute); ; {
			_, err := ev.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: int32(i)}})
			if err == nil || mongo.IsDuplicateKeyError(err) {
				break
			}
			if ctx.Err() != nil || time.Now().After(deadline) {
				w.err = fmt.Errorf("insert %s: %w", id, err)
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		w.n.Add(1)
		time.Sleep(20 * time.Millisecond)
	}
}
