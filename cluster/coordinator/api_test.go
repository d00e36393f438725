package coordinator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/audit"
)

func TestAPIRefusesMissingOrWrongToken(t *testing.T) {
	g := newGroup(t, 1, true, nightly)
	n := g.start("n1")
	g.ready()
	for _, tt := range []struct {
		name, header string
		want         int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token as basic auth", "Basic " + testToken, http.StatusUnauthorized},
		{"longer token", "Bearer " + testToken + "x", http.StatusUnauthorized},
		{"right token", "Bearer " + testToken, http.StatusOK},
	} {
		for _, path := range []string{"/v1/status", "/v1/jobs", "/v1/audit"} {
			req, _ := http.NewRequest(http.MethodGet, "http://"+n.HTTPAddr()+path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: status %d, want %d", tt.name, path, resp.StatusCode, tt.want)
			}
		}
	}
	// A client with a wrong token gets the sentinel.
	c, _ := api.NewClient(n.HTTPAddr(), "wrong", api.ClientOptions{})
	if _, err := c.Status(context.Background()); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("client with a wrong token: %v", err)
	}
	// Health and metrics take no token.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get("http://" + n.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if strings.Contains(g.logs.String(), testToken) {
		t.Fatal("the token appears in the logs")
	}
}

// Every endpoint through the client, writes sent to a follower.
func TestAPIEndpointsThroughFollower(t *testing.T) {
	g := newGroup(t, 3, true, nightly)
	g.startAll()
	l, f := g.ready(), g.follower()
	c := g.client(f)
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.ID != f.opts.NodeID || st.State != "Follower" || st.LeaderID != l.opts.NodeID || st.LeaderHTTP != l.HTTPAddr() {
		t.Fatalf("status: %+v %v", st, err)
	}
	ld, err := c.Leader(ctx)
	if err != nil || ld.ID != l.opts.NodeID || ld.HTTPAddress != l.HTTPAddr() {
		t.Fatalf("leader: %+v %v", ld, err)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil || len(nodes) != 3 {
		t.Fatalf("nodes: %+v %v", nodes, err)
	}
	for _, nv := range nodes {
		if !nv.Voter || nv.Site == "" || nv.HTTPAddress == "" || nv.Leader != (nv.ID == l.opts.NodeID) {
			t.Fatalf("node view: %+v", nv)
		}
	}
	waitFor(t, 10*time.Second, "the follower sees the job", func() bool { _, ok := f.Store().FSM().Job("nightly"); return ok })
	jobs, err := c.Jobs(ctx)
	if err != nil || len(jobs) != 1 || jobs[0].Next.IsZero() || jobs[0].Kind != "backup" {
		t.Fatalf("jobs: %+v %v", jobs, err)
	}

	release := make(chan struct{})
	g.setHook(func(ctx context.Context, c call) error { <-release; return nil })
	run, err := c.Trigger(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Trigger(ctx, "nightly"); !errors.Is(err, api.ErrBusy) {
		t.Fatalf("second trigger: %v, want busy", err)
	}
	if _, err := c.Trigger(ctx, "nope"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("unknown job: %v, want not found", err)
	}
	close(release)
	waitFor(t, 10*time.Second, "the run is in the follower's history", func() bool {
		runs, err := c.Runs(ctx, "nightly", 10)
		return err == nil && len(runs) == 1 && runs[0].ID == run.ID && runs[0].State == store.RunSucceeded
	})

	if err := c.PutBackups(ctx, store.CatalogPutBody{Entries: []store.CatalogEntry{{ID: "b1", ReplicaSet: "main", Storage: "minio-paris", Time: time.Now(), Complete: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutDrill(ctx, store.DrillRecord{ID: "d1", Drill: "weekly", Start: time.Now(), End: time.Now(), Passed: true, RTO: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := c.AppendAudit(ctx, store.AuditRecord{Action: "backup.prune", Target: "minio-paris", Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := f.AuditSink().Write(ctx, audit.Record{Who: "bob", Action: "cluster.apply", Target: "main", Outcome: "ok", Parameters: map[string]any{"yes": true}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the follower applies the writes", func() bool {
		b, _ := c.Backups(ctx, "main", "")
		d, _ := c.Drills(ctx, "", 0)
		a, _ := c.Audit(ctx, time.Time{}, "", 0)
		return len(b) == 1 && len(d) == 1 && len(a) == 2
	})
	a, _ := c.Audit(ctx, time.Time{}, "backup.", 0)
	if len(a) != 1 || a[0].Who != "alice" {
		t.Fatalf("audit filtered by action: %+v", a)
	}
	if a, _ := c.Audit(ctx, time.Time{}, "cluster.", 0); len(a) != 1 || a[0].Who != "bob" || string(a[0].Parameters) != `{"yes":true}` {
		t.Fatalf("audit written by the node's sink: %+v", a)
	}
	if _, err := c.PITR(ctx); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get("http://" + f.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"citadel_coordinator_leader 0", "citadel_raft_term", "citadel_raft_commit_index", "citadel_raft_applied_index",
		`citadel_job_last_success_age_seconds{job="nightly"}`, `citadel_backup_last_success_age_seconds{replica_set="main"}`,
		`citadel_drill_last_success{drill="weekly"} 1`, "# HELP citadel_job_running"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %q", m)
		}
	}
	lresp, err := http.Get("http://" + l.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	lbody, _ := io.ReadAll(lresp.Body)
	lresp.Body.Close()
	for _, m := range []string{"citadel_coordinator_leader 1", `citadel_job_duration_seconds_count{job="nightly",outcome="succeeded"} 1`} {
		if !strings.Contains(string(lbody), m) {
			t.Errorf("leader metrics lack %q", m)
		}
	}
	if strings.Contains(g.logs.String(), testToken) {
		t.Fatal("the token appears in the logs")
	}
}
