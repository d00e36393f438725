//go:build linux

package test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/test/testbed"
)

const coToken = "e2e-coordinator-token-7f3a9c"

// coNode is one `citadel server` process.
type coNode struct {
	id, site, raft, http, dir string
	logs                      []string // one per start
	cmd                       *exec.Cmd
	done                      chan struct{}
}

// coWorld is three coordinator nodes (two in Paris, one in Lyon) over the
// backup test bed: the four-member two-site set "main" and a real MinIO.
type coWorld struct {
	*bkWorld
	cfg   string
	nodes map[string]*coNode
	env   []string
}

// coOptions vary the coordinator world.
type coOptions struct {
	// backups is the YAML of the backups: entries (default: adhoc, run by
	// hand, and minutely).
	backups string
	// env is added to every node's environment.
	env []string
	// one: a one-node coordinator (c1, in Paris) instead of three nodes.
	one bool
	// connectTimeout replaces the test bed's MongoDB connect timeout (30s).
	connectTimeout string
}

func coStart(t *testing.T) *coWorld { return coStartWith(t, coOptions{}) }

// coBackup is the YAML of one backups: entry of set main into minio-lyon.
func coBackup(name, schedule string, parallelism int) string {
	return fmt.Sprintf("  - name: %s\n    replica_set: main\n    storage: minio-lyon\n    schedule: %q\n    retention: {daily: 7}\n    source: {prefer: hidden}\n    parallelism: %d\n", name, schedule, parallelism)
}

func coStartWith(t *testing.T, o coOptions) *coWorld {
	t.Helper()
	w := &coWorld{bkWorld: bkStart(t, bkOptions{}), nodes: map[string]*coNode{}}
	base, err := os.ReadFile(w.bkWorld.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The backup world's nightly backup is replaced by two jobs: one run
	// by hand (its slot never comes during the test), one every minute.
	cfg := string(base[:strings.Index(string(base), "backups:\n")])
	if o.connectTimeout != "" {
		cfg = strings.Replace(cfg, "connect_timeout: 30s", "connect_timeout: "+o.connectTimeout, 1)
	}
	cfg += "backups:\n"
	if o.backups == "" {
		o.backups = coBackup("adhoc", "0 3 * * *", 2) + coBackup("minutely", "* * * * *", 2)
	}
	cfg += o.backups
	// Short lease timings: a takeover after 4 s of silence instead of 30.
	cfg += "coordinator:\n  data_dir: " + t.TempDir() + "\n  token_env: CITADEL_TOKEN\n  heartbeat_interval: 1s\n  lease_ttl: 4s\n  retry_backoff: 2s\n  nodes:\n"
	ids := []struct{ id, site string }{{"c1", "paris"}, {"c2", "paris"}, {"c3", "lyon"}}
	if o.one {
		ids = ids[:1]
	}
	for _, n := range ids {
		node := &coNode{id: n.id, site: n.site, raft: testbed.FreeAddr(t), http: testbed.FreeAddr(t), dir: t.TempDir()}
		w.nodes[n.id] = node
		cfg += fmt.Sprintf("    - {id: %s, site: %s, raft_address: %q, http_address: %q}\n", n.id, n.site, node.raft, node.http)
	}
	w.cfg = filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(w.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(append(append([]string{}, w.bkWorld.env...), "CITADEL_TOKEN="+coToken), o.env...)
	for _, n := range ids {
		w.start(t, w.nodes[n.id])
	}
	return w
}

// start runs `citadel server` for n; cleanup stops it (SIGTERM, then
// SIGKILL after 10 s) and logs its last lines.
func (w *coWorld) start(t *testing.T, n *coNode) {
	t.Helper()
	log := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.log", n.id, len(n.logs)))
	n.logs = append(n.logs, log)
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd, done := exec.Command(citadelBin(t), "--config", w.cfg, "--log-level", "info", "server", "--node-id", n.id, "--data-dir", n.dir), make(chan struct{})
	cmd.Env = append(os.Environ(), w.env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // no orphan if the test binary dies
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	n.cmd, n.done = cmd, done
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		b, _ := os.ReadFile(log)
		t.Logf("citadel server %s log %s (last 4000 bytes):\n%s", n.id, filepath.Base(log), tail(string(b), 4000))
	})
}

// stop sends sig to the node's process (if it still runs) and waits for it.
func (n *coNode) stop(sig syscall.Signal) {
	_ = n.cmd.Process.Signal(sig)
	<-n.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (w *coWorld) client(t *testing.T, id, token string) *api.Client {
	c, err := api.NewClient(w.nodes[id].http, token, api.ClientOptions{Who: "e2e", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// status runs `citadel coordinator status -o json` through node id.
func (w *coWorld) status(t *testing.T, id string) (coordinator.GroupStatus, int) {
	code, out, errOut := citadel(t, w.env, "--config", w.cfg, "-o", "json", "coordinator", "status", "--coordinator", w.nodes[id].http)
	var gs coordinator.GroupStatus
	if strings.HasPrefix(strings.TrimSpace(out), "{") {
		bkJSON(t, out, &gs)
	} else {
		t.Logf("coordinator status: exit %d %s", code, errOut)
	}
	return gs, code
}

// waitLeader waits until every node of alive answers and agrees on one leader.
func (w *coWorld) waitLeader(t *testing.T, alive ...string) coordinator.GroupStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		gs, code := w.status(t, alive[0])
		ok := code == 0 && gs.Leader != ""
		for _, n := range gs.Nodes {
			if strings.Contains(strings.Join(alive, ","), n.ID) && (n.Status == nil || n.Status.LeaderID != gs.Leader) {
				ok = false
			}
		}
		if ok {
			return gs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader agreed by %v within 60s: %+v", alive, gs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitRun waits until the run of job with this token has finished.
func waitRun(t *testing.T, c *api.Client, job string, done func(store.Run) bool, what string, within time.Duration) store.Run {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		runs, err := c.Runs(t.Context(), job, 50)
		for _, r := range runs {
			if done(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (runs %+v, err %v)", what, within, runs, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// completeBackups lists the complete backups in the Lyon bucket whose id
// is named after one of tokens, and the incomplete ones.
func (w *coWorld) backupsOf(t *testing.T, tokens ...uint64) (complete, incomplete []string) {
	t.Helper()
	entries, err := catalog.List(t.Context(), w.lyon, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, tok := range tokens {
			if strings.HasSuffix(e.ID, fmt.Sprintf("-%04x", tok&0xffff)) {
				if e.Complete {
					complete = append(complete, e.ID)
				} else {
					incomplete = append(incomplete, e.ID)
				}
			}
		}
	}
	return complete, incomplete
}

// TestCoordinatorE2E: three real `citadel server` processes on loopback
// elect a leader that `citadel coordinator status` shows; a job triggered
// through a follower runs on the leader and lands a complete backup; kill
// -9 of the leader during a scheduled backup gives a new leader (the time
// is measured and logged) and exactly one complete backup for that slot,
// the killed attempt's objects never visible; a missing or wrong token is
// 401 and the token is in no log line (issue 11).
func TestCoordinatorE2E(t *testing.T) {
	w := coStart(t)
	ctx := t.Context()
	// Enough data that a backup lasts a few seconds: the kill lands inside it.
	docs := make([]any, 0, 20000)
	for i := range 20000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("k", 200)}})
	}
	if _, err := w.set(t, "main").Database("big").Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	gs := w.waitLeader(t, "c1", "c2", "c3")
	roles := map[string]int{}
	for _, n := range gs.Nodes {
		roles[n.Status.State]++
	}
	if roles["Leader"] != 1 || roles["Follower"] != 2 {
		t.Fatalf("roles %v, want one leader and two followers", roles)
	}
	_, table, _ := citadel(t, w.env, "--config", w.cfg, "coordinator", "status")
	t.Logf("$ citadel coordinator status\n%s", table)
	if !strings.Contains(table, "leader: "+gs.Leader) || strings.Count(table, "follower") != 2 {
		t.Fatalf("status table does not show the roles:\n%s", table)
	}

	follower := "c1"
	for follower == gs.Leader {
		follower = map[string]string{"c1": "c2", "c2": "c3"}[follower]
	}
	w.triggeredRunsOnLeader(t, follower, gs.Leader)
	w.killLeaderDuringScheduledBackup(t, gs.Leader)

	w.recoverLyon(t)

	for _, h := range []string{"", "Bearer wrong-" + coToken} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+w.nodes["c3"].http+"/v1/status", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /v1/status with Authorization %q: %d, want 401", h, resp.StatusCode)
		}
	}
	code, _, errOut := citadel(t, append(w.env, "CITADEL_TOKEN=wrong"), "--config", w.cfg, "coordinator", "status", "--coordinator", w.nodes["c3"].http)
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("coordinator status with a wrong token: exit %d, %s", code, errOut)
	}
	for _, n := range w.nodes {
		for _, log := range n.logs {
			b, _ := os.ReadFile(log)
			if strings.Contains(string(b), coToken) {
				t.Errorf("node %s logged the token in %s", n.id, filepath.Base(log))
			}
		}
	}
}

// triggeredRunsOnLeader triggers the adhoc backup through a follower: the
// leader holds the run, and its backup, named after the token, lands whole.
func (w *coWorld) triggeredRunsOnLeader(t *testing.T, follower, leader string) {
	t.Helper()
	c := w.client(t, follower, coToken)
	run, err := c.Trigger(t.Context(), "backup-adhoc")
	if err != nil {
		t.Fatalf("trigger through follower %s: %v", follower, err)
	}
	if run.Holder != leader {
		t.Fatalf("the run triggered through %s is held by %q, want the leader %s", follower, run.Holder, leader)
	}
	done := waitRun(t, c, "backup-adhoc", func(r store.Run) bool { return r.Token == run.Token && r.Finished() }, "the triggered run ends", 2*time.Minute)
	if done.State != store.RunSucceeded {
		t.Fatalf("triggered run %s: %s %s", done.ID, done.State, done.Error)
	}
	var res runner.BackupResult
	bkJSON(t, string(done.Result), &res)
	// The token names the backup. After a recovery the survivor may issue
	// again tokens the lost nodes issued after its last entry: the ids
	// still differ by their start time.
	complete, _ := w.backupsOf(t, run.Token)
	if !slices.Contains(complete, res.Backup.ID) || !strings.HasSuffix(res.Backup.ID, fmt.Sprintf("-%04x", run.Token)) || res.Backup.Documents < 20000 {
		t.Fatalf("token %d: complete backups %v, result %+v", run.Token, complete, res.Backup)
	}
	t.Logf("triggered through %s, ran on %s: backup %s (%d documents) in %s", follower, leader, res.Backup.ID, res.Backup.Documents, done.End.Sub(done.Start).Round(time.Millisecond))
}

// killLeaderDuringScheduledBackup waits for the minutely slot to start on
// the leader, kills the leader with SIGKILL half a second into the backup,
// measures the election of the next leader, and checks that the slot ends
// with exactly one complete backup, taken by the run that took over.
func (w *coWorld) killLeaderDuringScheduledBackup(t *testing.T, leader string) {
	t.Helper()
	ctx := t.Context()
	lc := w.client(t, leader, coToken)
	var cur store.Run
	deadline := time.Now().Add(75 * time.Second)
	for cur.Token == 0 {
		jobs, _ := lc.Jobs(ctx)
		for _, j := range jobs {
			if j.Name == "backup-minutely" && j.Current != nil && j.Current.Trigger == store.TriggerSchedule {
				cur = *j.Current
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the minutely slot did not start within 75s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A backup of this data takes 1.5 to 3.5 s here (the triggered one is
	// logged): half a second in, the run is connecting or dumping.
	time.Sleep(time.Until(cur.Start.Add(500 * time.Millisecond)))
	killed := time.Now()
	w.nodes[leader].stop(syscall.SIGKILL)
	t.Logf("killed leader %s (kill -9) %s into run %s of slot %s", leader, killed.Sub(cur.Start).Round(time.Millisecond), cur.ID, cur.Slot.Format(time.RFC3339))
	next, elected := w.nextLeader(t, leader, killed)
	t.Logf("new leader %s elected %s after the kill (issue 11 asks for 3 s)", next, elected.Round(time.Millisecond))
	nc := w.client(t, next, coToken)
	final := waitRun(t, nc, "backup-minutely", func(r store.Run) bool { return r.Slot.Equal(cur.Slot) && r.State == store.RunSucceeded },
		"the killed slot succeeds on the new leader", 90*time.Second)
	runs, err := nc.Runs(ctx, "backup-minutely", 50)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []uint64
	for _, r := range runs {
		if r.Slot.Equal(cur.Slot) {
			tokens = append(tokens, r.Token)
			t.Logf("slot %s: run %s token %d trigger %s on %s: %s %s", r.Slot.Format(time.RFC3339), r.ID, r.Token, r.Trigger, r.Holder, r.State, r.Reason)
		}
	}
	if final.Token == cur.Token {
		t.Fatalf("run %s finished before the kill: no takeover was tested (a backup must last longer than 0.5 s)", cur.ID)
	}
	complete, incomplete := w.backupsOf(t, tokens...)
	t.Logf("slot %s: complete %v, incomplete (never listed) %v", cur.Slot.Format(time.RFC3339), complete, incomplete)
	var res runner.BackupResult
	bkJSON(t, string(final.Result), &res)
	if len(complete) != 1 || complete[0] != res.Backup.ID {
		t.Fatalf("slot %s: complete backups %v, want exactly the final run's %s", cur.Slot.Format(time.RFC3339), complete, res.Backup.ID)
	}
	code, out, _ := citadel(t, w.env, "--config", w.cfg, "-o", "json", "backup", "list", "--backup", "minutely")
	for _, id := range incomplete {
		if code != 0 || strings.Contains(out, id) {
			t.Errorf("backup list (exit %d) shows the killed attempt's %s", code, id)
		}
	}
	if code != 0 || !strings.Contains(out, complete[0]) {
		t.Errorf("backup list (exit %d) lacks the slot's backup %s", code, complete[0])
	}
}

// recoverLyon kills what runs of the Paris nodes for good, stops the Lyon
// node, runs `coordinator recover --survivors c3` on it and restarts it: a
// one-node group that leads, answers `coordinator status` and runs a job.
func (w *coWorld) recoverLyon(t *testing.T) {
	t.Helper()
	w.nodes["c1"].stop(syscall.SIGKILL)
	w.nodes["c2"].stop(syscall.SIGKILL)
	lyon := w.nodes["c3"]
	lyon.stop(syscall.SIGTERM)
	code, out, errOut := citadel(t, w.env, "--config", w.cfg, "coordinator", "recover", "--node-id", "c3", "--data-dir", lyon.dir, "--survivors", "c3")
	t.Logf("$ citadel coordinator recover --node-id c3 --survivors c3 → exit %d\n%s%s", code, out, errOut)
	if code != 0 {
		t.Fatal("coordinator recover failed")
	}
	w.start(t, lyon)
	gs := w.waitLeader(t, "c3")
	if gs.Leader != "c3" || len(gs.Nodes) != 1 {
		t.Fatalf("after recover: %+v, want c3 alone leading", gs)
	}
	w.triggeredRunsOnLeader(t, "c3", "c3")
}
