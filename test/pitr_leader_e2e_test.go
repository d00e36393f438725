//go:build linux

package test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/oplog"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/test/testbed"
)

// plStart is the backup test bed (the four-member two-site set "main",
// MinIO) with `citadel server` nodes (c1 in Lyon; c2 and c3 in Paris when
// asked for) whose leader hosts the archiver of the nightly backup (pitr
// every 10 s, source prefer hidden: lb, then l1, in the storage's site
// Lyon). The MongoDB connect timeout is 3 s so a stopped member is noticed
// quickly; the catch-up window is 1 s so the nightly slot never runs here.
func plStart(t *testing.T, o bkOptions, ids ...string) *coWorld {
	t.Helper()
	w := &coWorld{bkWorld: bkStart(t, o), nodes: map[string]*coNode{}}
	base, err := os.ReadFile(w.bkWorld.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(base), "connect_timeout: 30s", "connect_timeout: 3s", 1)
	cfg += "coordinator:\n  data_dir: " + t.TempDir() + "\n  token_env: CITADEL_TOKEN\n  catch_up_window: 1s\n  nodes:\n"
	for _, id := range append([]string{"c1"}, ids...) {
		n := &coNode{id: id, site: map[string]string{"c1": "lyon"}[id], raft: testbed.FreeAddr(t), http: testbed.FreeAddr(t), dir: t.TempDir()}
		if n.site == "" {
			n.site = "paris"
		}
		w.nodes[id] = n
		cfg += fmt.Sprintf("    - {id: %s, site: %s, raft_address: %q, http_address: %q}\n", id, n.site, n.raft, n.http)
	}
	w.cfg = filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(w.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(append([]string{}, w.bkWorld.env...), "CITADEL_TOKEN="+coToken)
	return w
}

// pitrState is the replicated record of the archiver of main, read from
// the first node that answers.
func (w *coWorld) pitrState(t *testing.T) store.PITRState {
	for _, id := range []string{"c1", "c2", "c3"} {
		if w.nodes[id] == nil {
			continue
		}
		states, err := w.client(t, id, coToken).PITR(t.Context())
		if err != nil {
			continue
		}
		for _, s := range states {
			if s.ReplicaSet == "main" {
				return s
			}
		}
		break
	}
	return store.PITRState{}
}

// waitPITR waits (at most 90 s) until the archiver's state satisfies ok.
func (w *coWorld) waitPITR(t *testing.T, what string, ok func(store.PITRState) bool) store.PITRState {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		s := w.pitrState(t)
		if ok(s) {
			t.Logf("%s: %+v", what, s)
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 90s (state %+v)", what, s)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// plWrite inserts n documents of pad bytes into pitr.tag (w:majority) and
// returns the primary's majority-committed timestamp after them.
func (w *coWorld) plWrite(t *testing.T, tag string, n, pad int) manifest.Timestamp {
	t.Helper()
	col := w.set(t, "main").Database("pitr", options.Database().SetWriteConcern(writeconcern.Majority())).Collection(tag)
	for start := 0; start < n; start += 50 {
		var docs []any
		for i := start; i < min(n, start+50); i++ {
			docs = append(docs, bson.D{{Key: "i", Value: i}, {Key: "pad", Value: strings.Repeat("p", pad)}})
		}
		if _, err := col.InsertMany(t.Context(), docs); err != nil {
			t.Fatalf("insert into pitr.%s: %v", tag, err)
		}
	}
	pos, err := oplog.Hello(t.Context(), bkDirect(t, w.sim.Primary("main")))
	if err != nil {
		t.Fatal(err)
	}
	return pos.Majority.TS
}

// firstSlice writes a few documents every 12 s until the archiver has
// committed a slice holding them (its first round only finds where to
// start), and returns its state.
func (w *coWorld) firstSlice(t *testing.T) store.PITRState {
	t.Helper()
	for range 8 {
		ts := w.plWrite(t, "a", 5, 100)
		for deadline := time.Now().Add(12 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			if s := w.pitrState(t); reached(ts)(s) {
				t.Logf("first slice: %+v", s)
				return s
			}
		}
	}
	t.Fatalf("no slice within 96s (state %+v)", w.pitrState(t))
	return store.PITRState{}
}

// reached says whether the archiver's last slice ends at or after ts.
func reached(ts manifest.Timestamp) func(store.PITRState) bool {
	return func(s store.PITRState) bool {
		return !(manifest.Timestamp{T: s.Position.T, I: s.Position.I}).Before(ts)
	}
}

// TestPITRLeaderFollowsTheSet: the coordinator's leader archives the
// oplog from the hidden Lyon member; that member is stopped; the archiver
// chooses l1 and continues from its last committed slice: the writes made
// meanwhile are archived, the chain of slices has no hole and no gap is
// recorded; the leader's state names the new source and the restart, and
// /metrics carries the PITR lag.
func TestPITRLeaderFollowsTheSet(t *testing.T) {
	w := plStart(t, bkOptions{slice: "10s"})
	ctx := t.Context()
	w.start(t, w.nodes["c1"])
	w.waitLeader(t, "c1")
	if s := w.firstSlice(t); s.Source != w.host["lb"] {
		t.Fatalf("first slice from %s, want the hidden Lyon member %s", s.Source, w.host["lb"])
	}

	start := time.Now()
	if err := w.sim.Stop(w.host["lb"]); err != nil {
		t.Fatal(err)
	}
	second := w.plWrite(t, "b", 20, 100)
	st := w.waitPITR(t, "archived past the writes made after the source stopped", reached(second))
	t.Logf("source stopped → writes archived from %s in %s", st.Source, time.Since(start).Round(time.Millisecond))
	if st.Source != w.host["l1"] || st.Restarts < 1 || !strings.Contains(st.LastError, "source member is lost") {
		t.Errorf("state %+v: want source l1 (%s), a restart, the lost source as last error", st, w.host["l1"])
	}
	if err := w.sim.Start(w.host["lb"]); err != nil {
		t.Fatal(err)
	}

	gaps, err := catalog.Gaps(ctx, w.lyon, "main")
	if err != nil || len(gaps) != 0 {
		t.Fatalf("gap records %+v (%v), want none: the oplog never rolled", gaps, err)
	}
	sl, _, err := catalog.Slices(ctx, w.lyon, "main")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(sl, func(a, b catalog.SliceEntry) int { return a.Upper.Compare(b.Upper) })
	sources := map[string]bool{}
	for i, se := range sl {
		if i > 0 && sl[i-1].Upper.Before(se.After) {
			t.Errorf("hole in the chain between %s and %s", sl[i-1].Upper, se.After)
		}
		s, err := catalog.LoadSlice(ctx, w.lyon, se.Record)
		if err != nil {
			t.Fatal(err)
		}
		sources[s.Source] = true
	}
	if !sources[w.host["lb"]] || !sources[w.host["l1"]] || len(sl) < 2 {
		t.Errorf("%d slices from %v, want slices from lb and l1", len(sl), sources)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+w.nodes["c1"].http+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `citadel_pitr_lag_seconds{replica_set="main"}`) {
		t.Error("/metrics has no citadel_pitr_lag_seconds for main")
	}
}

// TestPITRLeaderGap: with a 128 KiB oplog, the archiver's source is
// stopped while about five oplog windows are written, faster than the
// archiver's next slice (10 s) on any member: the oplog really rolled past
// the archiver's position, so the archiver, now reading l1, records a gap
// under main/pitr-gaps/ and starts a new chain; `restore --until` a time
// inside the gap is refused naming the gap record.
func TestPITRLeaderGap(t *testing.T) {
	w := plStart(t, bkOptions{slice: "10s", oplogMax: 128 << 10})
	ctx := t.Context()
	w.plWrite(t, "base", 10, 100)
	if code, _, _ := w.bkWorld.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	w.start(t, w.nodes["c1"])
	w.waitLeader(t, "c1")
	w.firstSlice(t)

	if err := w.sim.Stop(w.host["lb"]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.plWrite(t, "burst", 600, 1000)
	t.Logf("600 KB written in %s with the source stopped", time.Since(start).Round(time.Millisecond))
	var gaps []catalog.GapEntry
	for deadline := time.Now().Add(60 * time.Second); len(gaps) == 0; time.Sleep(250 * time.Millisecond) {
		var err error
		if gaps, err = catalog.Gaps(ctx, w.lyon, "main"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no gap record within 60s")
		}
	}
	if err := w.sim.Start(w.host["lb"]); err != nil {
		t.Fatal(err)
	}
	g := gaps[0]
	t.Logf("gap %s: %s → %s (%s)", g.Key, g.Gap.After, g.Gap.Before, g.Gap.Reason)
	if len(gaps) != 1 || !strings.Contains(g.Key, "main/pitr-gaps/") {
		t.Fatalf("gap records %+v, want one under main/pitr-gaps/", gaps)
	}

	// A time inside the gap: between the last entry archived before it and
	// the first entry of the new chain after it.
	var before, after time.Time
	for deadline := time.Now().Add(30 * time.Second); after.IsZero(); time.Sleep(250 * time.Millisecond) {
		sl, _, err := catalog.Slices(ctx, w.lyon, "main")
		if err != nil {
			t.Fatal(err)
		}
		for _, se := range sl {
			switch {
			case se.Upper == g.Gap.After:
				s, err := catalog.LoadSlice(ctx, w.lyon, se.Record)
				if err != nil {
					t.Fatal(err)
				}
				before = s.Last.Wall
			case se.After.Before(g.Gap.Before) && !se.Upper.Before(g.Gap.Before):
				s, err := catalog.LoadSlice(ctx, w.lyon, se.Record)
				if err != nil {
					t.Fatal(err)
				}
				after = s.First.Wall
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no slice after the gap within 30s")
		}
	}
	if before.IsZero() || !before.Before(after) {
		t.Fatalf("last wall before the gap %s, first after %s", before, after)
	}
	until := before.Add(after.Sub(before) / 2)
	code, _, errOut := w.bkWorld.citadel(t, "restore", "latest", "--until", until.Format(time.RFC3339Nano), "--to-rs", "scratch")
	if code == 0 || !strings.Contains(errOut, "gap") || !strings.Contains(errOut, g.Key) {
		t.Fatalf("restore --until %s inside the gap: exit %d, want a refusal naming %s", until.Format(time.RFC3339Nano), code, g.Key)
	}
	if n, _ := w.set(t, "scratch").Database("pitr").Collection("base").CountDocuments(ctx, bson.D{}); n != 0 {
		t.Errorf("the refused restore wrote %d documents", n)
	}
}

// TestPITRLeaderChange: three coordinator nodes; the leader, which hosts
// the archiver, is killed with SIGKILL; the new leader's archiver resumes
// from the last committed slice: the writes made after the kill are
// archived, with no hole in the chain and no gap record.
func TestPITRLeaderChange(t *testing.T) {
	w := plStart(t, bkOptions{slice: "10s"}, "c2", "c3")
	ctx := t.Context()
	for _, id := range []string{"c1", "c2", "c3"} {
		w.start(t, w.nodes[id])
	}
	old := w.waitLeader(t, "c1", "c2", "c3").Leader
	w.firstSlice(t)
	w.nodes[old].stop(syscall.SIGKILL)
	var alive []string
	for _, id := range []string{"c1", "c2", "c3"} {
		if id != old {
			alive = append(alive, id)
		}
	}
	killed := time.Now()
	second := w.plWrite(t, "b", 20, 100)
	leader := w.waitLeader(t, alive...).Leader
	for deadline := time.Now().Add(30 * time.Second); leader == old; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%v still follow the killed leader %s after 30s", alive, old)
		}
		leader = w.waitLeader(t, alive...).Leader
	}
	st := w.waitPITR(t, "archived past the writes made after the leader's kill", reached(second))
	t.Logf("leader %s killed; %s leads; the writes after the kill archived %s later from %s", old, leader, time.Since(killed).Round(time.Millisecond), st.Source)
	if gaps, err := catalog.Gaps(ctx, w.lyon, "main"); err != nil || len(gaps) != 0 {
		t.Fatalf("gap records %+v (%v), want none", gaps, err)
	}
	sl, _, err := catalog.Slices(ctx, w.lyon, "main")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(sl, func(a, b catalog.SliceEntry) int { return a.Upper.Compare(b.Upper) })
	for i := 1; i < len(sl); i++ {
		if sl[i-1].Upper.Before(sl[i].After) {
			t.Errorf("hole in the chain between %s and %s", sl[i-1].Upper, sl[i].After)
		}
	}
}
