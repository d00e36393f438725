package test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"log/slog"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/config"
)

// Must show: both Paris members stopped and partitioned: failover
// --to-site lyon --force --yes gives a Lyon primary that accepts w:majority
// writes; refused while a primary still exists (and while Paris answers).
// After the heal the Paris members are REMOVED (as on mongod: not in the
// config they learn, syncing from no one) and still hold the 5 writes Lyon
// never had; rejoin --site paris reports those writes (count, namespaces)
// from their oplogs before adding them back; then they roll them back and
// are secondaries.
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

	// The network heals. As on mongod, the Paris members learn by heartbeat
	// a config they are not in: they become REMOVED, sync from no one and
	// keep the 5 writes Lyon never had, until they are added back.
	w.sim.Heal()
	w.waitState(t, cfg, 10*time.Second, "REMOVED", "p1", "p2")
	time.Sleep(10 * e2eHeartbeat)
	run(t, cfg, "cluster", "status")
	for _, n := range []string{"p1", "p2"} {
		w.checkRemoved(t, n)
		if got := w.divergent(t, n, "l1"); got.inserts != 5 || got.ns["app.orders"] != 5 {
			t.Fatalf("REMOVED %s should still hold the 5 writes Lyon never had; it holds %+v", n, got)
		}
	}

	// rejoin reports what mongod will roll back on each member, read from
	// the REMOVED members' oplogs before they are added back.
	start := time.Now()
	// (No storage is configured: what they roll back is saved in --save-dir.)
	code, out, _ = run(t, cfg, "-o", "json", "cluster", "rejoin", "--rs", "main", "--site", "paris", "--save-dir", saveDir)
	if code != 0 {
		t.Fatalf("rejoin exit %d", code)
	}
	w.checkRejoinReport(t, out, time.Since(start))

	// Added back, they roll back those writes and become secondaries.
	w.waitState(t, cfg, 20*time.Second, "SECONDARY", "p1", "p2")
	st := status(t, cfg)
	if st.Primary != w.host["l1"] {
		t.Errorf("primary %s, want l1 still", st.Primary)
	}
	run(t, cfg, "cluster", "status")
	w.checkRolledBack(t, lyon, "l1", "p1", "p2")

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
	cfg, err := config.Load(cfgPath, nil)
	must(t, err)
	d, err := cluster.NewDialer(cfg.MongoDB, slog.New(slog.DiscardHandler))
	must(t, err)
	mgr := cluster.NewManager(d, slog.New(slog.DiscardHandler), nil)
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
