package test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/config"
)

// Must show: both Paris members stopped and partitioned: failover
// --to-site lyon --force --yes gives a Lyon primary that accepts w:majority
// writes; refused while a primary still exists (and while Paris answers);
// rejoin --site paris after heal brings Paris back as secondaries and
// reports what was rolled back.
func TestClusterFailoverAndRejoin(t *testing.T) {
	w := startWorld(t)
	cfg := w.layoutA(t)
	if code, _, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	app := w.setClient(t, "p1", "p2", "l1", "lb")
	insert(t, app, writeconcern.Majority(), 20, "before")
	saveDir := t.TempDir()
	failover := []string{"cluster", "failover", "--rs", "main", "--to-site", "lyon", "--force", "--yes", "--save-dir", saveDir}

	code, _, errOut := run(t, cfg, failover...)
	if code != 4 || !strings.Contains(errOut, w.host["p1"]+" (paris) is primary") {
		t.Fatalf("want exit 4 while p1 is primary, got %d", code)
	}

	// Lyon stops applying; Paris takes 5 w:1 writes Lyon never sees.
	for _, n := range []string{"l1", "lb"} {
		must(t, w.sim.PauseReplication(w.host[n]))
	}
	insert(t, app, writeconcern.W1(), 5, "lost")
	time.Sleep(500 * time.Millisecond) // p2 applies them
	must(t, w.sim.Stop(w.host["p1"]))
	must(t, w.sim.Partition([]string{w.host["p1"], w.host["p2"]}, []string{w.host["l1"], w.host["lb"]}))
	for _, n := range []string{"l1", "lb"} {
		must(t, w.sim.ResumeReplication(w.host[n]))
	}
	time.Sleep(3 * e2eElection) // no side can elect
	code, _, errOut = run(t, cfg, failover...)
	if code != 4 || !strings.Contains(errOut, w.host["p2"]+" (paris") {
		t.Fatalf("want exit 4 while p2 answers, got %d", code)
	}

	must(t, w.sim.Stop(w.host["p2"]))
	run(t, cfg, "cluster", "status")
	code, out, _ := run(t, cfg, append([]string{"-o", "json"}, failover...)...)
	if code != 0 {
		t.Fatalf("failover exit %d", code)
	}
	var fo struct {
		NewPrimary    string  `json:"new_primary"`
		SavedTo       string  `json:"saved_to"`
		Took          float64 `json:"took_seconds"`
		MajorityWrite bool    `json:"majority_write"`
		VersionBefore int     `json:"version_before"`
		VersionAfter  int     `json:"version_after"`
	}
	if err := json.Unmarshal([]byte(out), &fo); err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURED failover: primary %s after %.2fs, config version %d → %d, w:majority write acknowledged: %t, saved to %s",
		fo.NewPrimary, fo.Took, fo.VersionBefore, fo.VersionAfter, fo.MajorityWrite, fo.SavedTo)
	if fo.NewPrimary != w.host["l1"] || !fo.MajorityWrite {
		t.Fatalf("want l1 primary accepting w:majority, got %+v", fo)
	}
	if _, err := os.Stat(fo.SavedTo); err != nil {
		t.Fatalf("saved config: %v", err)
	}
	lyon := w.setClient(t, "l1", "lb")
	insert(t, lyon, writeconcern.Majority(), 3, "after")
	run(t, cfg, "cluster", "status")

	// Paris comes back with its own history, still cut off from Lyon:
	// citadel (which reaches both sites) reads what Paris holds that Lyon
	// does not, through the same code rejoin uses.
	must(t, w.sim.Start(w.host["p1"]))
	must(t, w.sim.Start(w.host["p2"]))
	w.divergenceBeforeHeal(t, cfg)
	w.sim.Heal()
	diverged, why := w.diverged(t, "p1", "l1")
	code, out, _ = run(t, cfg, "cluster", "rejoin", "--rs", "main", "--site", "paris")
	if code != 0 {
		t.Fatalf("rejoin exit %d", code)
	}
	switch {
	case diverged:
		if !strings.Contains(out, "rollback: "+w.host["p1"]+": 5 write(s)") || !strings.Contains(out, "app.orders 5") {
			t.Errorf("rejoin should report p1's 5 unreplicated writes:\n%s", out)
		}
	default:
		// mongod keeps a member that is not in the config REMOVED: it syncs
		// from no one until it is added back. mongosim (at the time of
		// writing) lets it sync and roll back as soon as the network heals,
		// so by the time rejoin looks there is nothing left to report.
		t.Logf("MONGOSIM GAP: %s; the report cannot show p1's writes end to end", why)
		if !strings.Contains(out, "rollback: "+w.host["p1"]+": nothing to roll back") && !strings.Contains(out, "rollback: "+w.host["p1"]+": its oplog could not be read") {
			t.Errorf("rejoin report:\n%s", out)
		}
	}
	st := status(t, cfg)
	for _, n := range []string{"p1", "p2"} {
		if m := st.member(w.host[n]); m.State != "SECONDARY" || !m.Health {
			t.Errorf("%s: %+v, want a healthy secondary", n, m)
		}
	}
	if st.Primary != w.host["l1"] {
		t.Errorf("primary %s, want l1 still", st.Primary)
	}
	run(t, cfg, "cluster", "status")
	counts := map[string]int64{}
	for _, tag := range []string{"before", "lost", "after"} {
		n, err := lyon.Database("app").Collection("orders").CountDocuments(context.Background(), bson.D{{Key: "tag", Value: tag}})
		must(t, err)
		counts[tag] = n
	}
	if counts["before"] != 20 || counts["lost"] != 0 || counts["after"] != 3 {
		t.Errorf("documents by tag %v, want before 20, lost 0, after 3", counts)
	}

	// And back to Paris: the file's priorities return, nothing left to plan.
	time.Sleep(2 * e2eElection)
	switchover(t, cfg, "paris", "5s")
	if code, out, _ := run(t, cfg, "cluster", "plan"); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Errorf("after rejoin and switchover the set should match the file:\n%s", out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// diverged reports whether the newest oplog entry of member a is missing
// from member b's oplog (a holds writes b never had); when it cannot tell,
// it says why.
func (w *world) diverged(t *testing.T, a, b string) (bool, string) {
	t.Helper()
	ctx := context.Background()
	ca, cb := w.direct(t, a), w.direct(t, b)
	var last bson.M
	err := ca.Database("local").Collection("oplog.rs").FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "$natural", Value: -1}})).Decode(&last)
	if err != nil {
		return false, "the oplog of the removed " + a + " cannot be read (mongod serves the local database in any state): " + err.Error()
	}
	n, err := cb.Database("local").Collection("oplog.rs").CountDocuments(ctx, bson.D{{Key: "ts", Value: last["ts"]}, {Key: "t", Value: last["t"]}})
	must(t, err)
	if n > 0 {
		return false, a + " was rolled back at heal, before rejoin (mongod keeps a member that is not in the config REMOVED, syncing from no one)"
	}
	return true, ""
}

func (w *world) direct(t *testing.T, name string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().SetHosts([]string{w.host[name]}).SetDirect(true).SetReadPreference(readpref.Nearest()))
	must(t, err)
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// divergenceBeforeHeal checks the rollback report of the returning Paris
// members while the partition still keeps them from syncing.
func (w *world) divergenceBeforeHeal(t *testing.T, cfgPath string) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	must(t, err)
	d, err := cluster.NewDialer(cfg.MongoDB, slog.New(slog.DiscardHandler))
	must(t, err)
	mgr := cluster.NewManager(d, slog.New(slog.DiscardHandler), cluster.SlogAuditor{Log: slog.New(slog.DiscardHandler)}, "e2e")
	t.Cleanup(func() { _ = mgr.Close(context.Background()) })
	reps, err := mgr.Divergence(context.Background(), cfg.ReplicaSet("main"), "paris")
	must(t, err)
	for _, r := range reps {
		t.Logf("MEASURED before heal: %s", r.Sentence())
		if r.Host == w.host["p1"] && (r.Entries != 5 || r.ByNS["app.orders"] != 5 || r.ByOp["insert"] != 5) {
			t.Errorf("p1 holds 5 inserts Lyon never had; report says %+v", r)
		}
	}
	if len(reps) != 2 {
		t.Errorf("want a report for p1 and p2, got %+v", reps)
	}
}
