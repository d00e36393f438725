package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

var cliJobs = []store.Job{
	nightly[0],
	{Name: "drill-weekly", Kind: "drill", Schedule: "0 4 * * 0", Params: []byte(`{"drill":"weekly"}`)},
}

func cliAccess() Access { return Access{Token: testToken, Who: "alice", Timeout: 2 * time.Second} }

// TestJobsCLIThroughFollower: the CLI's job commands skip a configured node
// that does not answer, list the jobs, trigger through a follower, refuse
// a second trigger while the run goes on (busy, exit 4's category, naming
// the run), bound the wait by its timeout, and map the outcomes.
func TestJobsCLIThroughFollower(t *testing.T) {
	g := newGroup(t, 3, true, cliJobs)
	g.startAll()
	l, f := g.ready(), g.follower()
	ctx := context.Background()
	waitFor(t, 10*time.Second, "the follower sees the jobs", func() bool { _, ok := f.Store().FSM().Job("drill-weekly"); return ok })

	dead := config.CoordinatorNode{ID: "gone", HTTPAddress: testbed.FreeAddr(t)}
	jc, err := ConnectJobs(ctx, cliAccess(), "", []config.CoordinatorNode{dead, {ID: "f", HTTPAddress: f.HTTPAddr()}})
	if err != nil || jc.Node() != f.HTTPAddr() {
		t.Fatalf("connect: %v (node %v)", err, jc)
	}
	if _, err := ConnectJobs(ctx, cliAccess(), "", []config.CoordinatorNode{dead}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("connect to a dead node: %v, want ErrUnreachable", err)
	}
	js, err := jc.Jobs(ctx)
	if err != nil || len(js) != 2 || js[0].Name != "drill-weekly" || js[1].Name != "nightly" || js[1].Next.IsZero() || js[1].Last != nil {
		t.Fatalf("jobs: %+v %v", js, err)
	}
	if v, err := jc.JobFor(ctx, "backup", "main"); err != nil || v.Name != "nightly" {
		t.Fatalf("job for backup main: %+v %v", v, err)
	}
	if _, err := jc.JobFor(ctx, "drill", "monthly"); !errors.Is(err, ErrNoJob) || !strings.Contains(err.Error(), `drills entry "monthly" a schedule`) {
		t.Fatalf("job for an unscheduled drill: %v", err)
	}

	release := make(chan struct{})
	g.setHook(func(ctx context.Context, c call) error { <-release; return nil })
	run, err := jc.Trigger(ctx, "nightly")
	if err != nil || run.Holder != l.opts.NodeID || run.Who != "alice" {
		t.Fatalf("trigger: %+v %v", run, err)
	}
	busy, err := jc.Trigger(ctx, "nightly")
	if !errors.Is(err, api.ErrBusy) || !errors.Is(err, fault.ErrRefused) || busy.ID != run.ID || !strings.Contains(err.Error(), run.ID) {
		t.Fatalf("second trigger: %+v %v, want busy naming %s", busy, err, run.ID)
	}
	if _, err := jc.Trigger(ctx, "nope"); !errors.Is(err, ErrNoJob) || !errors.Is(err, fault.ErrUsage) || !strings.Contains(err.Error(), "drill-weekly, nightly") {
		t.Fatalf("unknown job: %v", err)
	}
	if _, err := jc.Wait(ctx, run, WaitOptions{Timeout: 300 * time.Millisecond, Poll: 50 * time.Millisecond}); !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("wait with a short timeout: %v", err)
	}
	close(release)
	end, err := jc.Wait(ctx, run, WaitOptions{Timeout: 10 * time.Second, Poll: 50 * time.Millisecond})
	if err != nil || end.ID != run.ID || end.State != store.RunSucceeded || Outcome("backup", end) != nil {
		t.Fatalf("wait: %+v %v", end, err)
	}

	g.setHook(func(ctx context.Context, c call) error { return errors.New("source unreachable") })
	run, err = jc.Trigger(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	end, err = jc.Wait(ctx, run, WaitOptions{Timeout: 10 * time.Second, Poll: 50 * time.Millisecond})
	oerr := Outcome("backup", end)
	if err != nil || end.State != store.RunFailed || !errors.Is(oerr, ErrRunFailed) || errors.Is(oerr, fault.ErrVerification) || !strings.Contains(oerr.Error(), "source unreachable") {
		t.Fatalf("failed run: %+v %v, outcome %v", end, err, oerr)
	}
	hist, err := jc.History(ctx, "nightly", 1)
	if err != nil || len(hist) != 1 || hist[0].ID != run.ID {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if _, err := jc.History(ctx, "nope", 1); !errors.Is(err, ErrNoJob) {
		t.Fatalf("history of an unknown job: %v", err)
	}
}

// TestJobsWaitFollowsTakeover: the CLI waits through the leader it talks
// to; the leader dies mid-run. The wait moves to the next configured node
// and follows the run to the new leader's takeover attempt, which it
// reports.
func TestJobsWaitFollowsTakeover(t *testing.T) {
	g := newGroup(t, 3, true, nightly)
	g.startAll()
	l := g.ready()
	g.setHook(func(ctx context.Context, c call) error {
		if c.Node == l.opts.NodeID {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	nodes := []config.CoordinatorNode{{ID: l.opts.NodeID, HTTPAddress: l.HTTPAddr()}}
	for id, n := range g.nodes {
		if n != l {
			nodes = append(nodes, config.CoordinatorNode{ID: id, HTTPAddress: n.HTTPAddr()})
		}
	}
	ctx := context.Background()
	jc, err := ConnectJobs(ctx, cliAccess(), "", nodes)
	if err != nil || jc.Node() != l.HTTPAddr() {
		t.Fatalf("connect: %v", err)
	}
	first, err := jc.Trigger(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first run starts", func() bool { return len(g.callsSnapshot()) == 1 })
	g.stop(l.opts.NodeID)
	var seen []string
	end, err := jc.Wait(ctx, first, WaitOptions{Timeout: 20 * time.Second, Poll: 50 * time.Millisecond,
		OnChange: func(r store.Run) { seen = append(seen, r.ID+":"+r.State) }})
	if err != nil || end.State != store.RunSucceeded || end.Replaces != first.Token || end.Trigger != store.TriggerTakeover || jc.Node() == l.HTTPAddr() {
		t.Fatalf("wait across the takeover: %+v %v (node %s)", end, err, jc.Node())
	}
	if len(seen) == 0 || seen[len(seen)-1] != end.ID+":succeeded" {
		t.Fatalf("changes seen: %v", seen)
	}
}

func TestOutcome(t *testing.T) {
	report := func(passed bool, reasons ...string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"drill": "weekly", "passed": passed, "reasons": reasons})
		return b
	}
	for _, tc := range []struct {
		name         string
		kind         string
		run          store.Run
		failed, veri bool
	}{
		{"succeeded", "backup", store.Run{State: store.RunSucceeded}, false, false},
		{"failed backup", "backup", store.Run{State: store.RunFailed, Error: "copy failed", Result: []byte(`{"backup":{"id":"x"}}`)}, true, false},
		{"skipped", "backup", store.Run{State: store.RunSkipped, Reason: "previous run still running"}, true, false},
		{"drill verdict", "drill", store.Run{State: store.RunFailed, Error: "drill weekly failed: rto 2m over max_rto 1m", Result: report(false, "rto 2m over max_rto 1m")}, true, true},
		{"drill that could not complete", "drill", store.Run{State: store.RunFailed, Error: "drill weekly could not complete: no backup", Result: report(false, "no backup")}, true, false},
		{"drill without report", "drill", store.Run{State: store.RunFailed, Error: "refused: production target"}, true, false},
		{"verify damaged", "verify", store.Run{State: store.RunFailed, Error: "damaged", Result: []byte(`{"id":"b1","ok":false}`)}, true, true},
		{"verify result of a backup kind", "backup", store.Run{State: store.RunFailed, Error: "x", Result: []byte(`{"id":"b1","ok":false}`)}, true, false},
	} {
		err := Outcome(tc.kind, tc.run)
		if errors.Is(err, ErrRunFailed) != tc.failed || errors.Is(err, fault.ErrVerification) != tc.veri {
			t.Errorf("%s: %v (failed %t, verification %t wanted)", tc.name, err, tc.failed, tc.veri)
		}
	}
	// The recorded category wins over reading the result (older records
	// have none): a refused drill exits 4 as the direct run does.
	refused := Outcome("drill", store.Run{State: store.RunFailed, Error: "drill target is a production set", Category: fault.CategoryRefused})
	if !errors.Is(refused, ErrRunFailed) || !errors.Is(refused, fault.ErrRefused) || errors.Is(refused, fault.ErrVerification) {
		t.Errorf("refused category: %v", refused)
	}
	if err := Outcome("backup", store.Run{State: store.RunFailed, Error: "x", Category: fault.CategoryVerification}); !errors.Is(err, fault.ErrVerification) {
		t.Errorf("verification category: %v", err)
	}
	if err := Outcome("backup", store.Run{State: store.RunRunning}); err == nil || errors.Is(err, ErrRunFailed) {
		t.Errorf("running run: %v", err)
	}
}

func TestFollowTakeovers(t *testing.T) {
	runs := []store.Run{
		{ID: "c", Token: 3, Replaces: 2, State: store.RunSucceeded},
		{ID: "b", Token: 2, Replaces: 1, State: store.RunAbandoned},
		{ID: "a", Token: 1, State: store.RunAbandoned},
		{ID: "z", Token: 9, State: store.RunAbandoned},
	}
	for _, tc := range []struct{ from, want string }{{"a", "c"}, {"b", "c"}, {"c", "c"}, {"z", "z"}} {
		if got, ok := follow(runs, store.Run{ID: tc.from}); !ok || got.ID != tc.want {
			t.Errorf("follow %s: %s %t, want %s", tc.from, got.ID, ok, tc.want)
		}
	}
	if _, ok := follow(runs, store.Run{ID: "new"}); ok {
		t.Error("a run not yet applied was found")
	}
}
