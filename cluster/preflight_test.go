package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// fileSet is the example file's set: p1 priority 2, p2 1, l1 0.5, lb hidden.
func fileSet() *config.ReplicaSet {
	f := func(v float64) *float64 { return &v }
	zero := 0
	return &config.ReplicaSet{Name: "main", Members: []config.Member{
		{Host: "p1:27017", Site: "paris", Priority: f(2)},
		{Host: "p2:27017", Site: "paris", Priority: f(1)},
		{Host: "l1:27017", Site: "lyon", Priority: f(0.5)},
		{Host: "lb:27017", Site: "lyon", Hidden: true, Priority: f(0), Votes: &zero},
	}}
}

// withLag sets every secondary's lag, and l1's to l1Lag.
func withLag(st *State, l1Lag time.Duration) *State {
	for i := range st.Members {
		m := &st.Members[i]
		m.LagKnown = true
		if m.Host == "l1:27017" {
			m.Lag = Seconds(l1Lag)
		}
	}
	st.Member("lb:27017").Site = "lyon"
	return st
}

func TestPrepareSwitchover(t *testing.T) {
	st := withLag(stateOf(twoSites(), "p1:27017", nil), 2*time.Second)
	sp, err := PrepareSwitchover(st, fileSet(), "lyon", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Target != "l1:27017" || strings.Join(sp.Freeze, ",") != "p2:27017" || sp.Priorities["l1:27017"] != 3 || sp.Priorities["p1:27017"] != 2 {
		t.Fatalf("got %+v", sp)
	}
	if sp.Bound.D() != 22*time.Second {
		t.Errorf("bound %v, want catch-up 10s + election timeout 10s + 2s", sp.Bound.D())
	}
	if err := ValidateTransition(st.Config, WithPriorities(st.Config, sp.Priorities), "l1:27017"); err != nil {
		t.Errorf("priority reconfig refused: %v", err)
	}

	// Back to Paris from a Lyon primary: the file's priorities come back.
	lyon := twoSites()
	lyon.Member("l1:27017").Priority = 3
	st2 := withLag(stateOf(lyon, "l1:27017", nil), 0)
	sp, err = PrepareSwitchover(st2, fileSet(), "paris", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Target != "p1:27017" || sp.Priorities["l1:27017"] != 0.5 || sp.Priorities["p1:27017"] != 2 {
		t.Fatalf("want p1 and the file's priorities, got %+v", sp)
	}

	sp, err = PrepareSwitchover(st2, fileSet(), "lyon", 10*time.Second)
	if err != nil || !sp.AlreadyThere {
		t.Fatalf("want already there, got %+v %v", sp, err)
	}
}

func TestSwitchoverRefusals(t *testing.T) {
	lagging := withLag(stateOf(twoSites(), "p1:27017", nil), 30*time.Second)
	down := withLag(stateOf(twoSites(), "p1:27017", []string{"l1:27017"}), 0)
	onlyHidden := twoSites()
	onlyHidden.Member("l1:27017").Priority = 0
	noPrimary := stateOf(twoSites(), "", []string{"p1:27017"})
	no := false
	pending := withLag(stateOf(twoSites(), "p1:27017", nil), 0)
	pending.Committed = &no
	tests := []struct {
		name string
		st   *State
		site string
		want error
		msg  string
	}{
		{"lyon lags beyond --catch-up", lagging, "lyon", ErrNotCaughtUp, "l1:27017 lags 30s behind the primary (limit --catch-up 10s)"},
		{"lyon member down", down, "lyon", ErrNotCaughtUp, "l1:27017 is down"},
		{"only a priority-0 and a hidden member", withLag(stateOf(onlyHidden, "p1:27017", nil), 0), "lyon", ErrNotCaughtUp, "lb:27017 is hidden"},
		{"no primary", noPrimary, "lyon", ErrNoPrimary, "cluster failover"},
		{"config not committed", pending, "lyon", ErrConfigPending, "still propagating"},
		{"unknown site", lagging, "lyom", ErrUnknownSite, `"lyom" is not a site`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PrepareSwitchover(tt.st, fileSet(), tt.site, 10*time.Second)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %v saying %q", err, tt.want, tt.msg)
			}
			wantFault := fault.ErrRefused
			if tt.want == ErrUnknownSite {
				wantFault = fault.ErrUsage
			}
			if !errors.Is(err, wantFault) {
				t.Errorf("%v does not wrap %v", err, wantFault)
			}
		})
	}
}

// parisGone: both Paris members stopped, Lyon has no primary.
func parisGone() *State {
	st := stateOf(twoSites(), "", []string{"p1:27017", "p2:27017"})
	st.Member("lb:27017").Site = "lyon"
	st.Member("l1:27017").OpTime = OpTime{Term: 3, TS: ts(100)}
	st.Member("lb:27017").OpTime = OpTime{Term: 3, TS: ts(90)}
	return st
}

func TestPrepareFailover(t *testing.T) {
	fp, err := PrepareFailover(parisGone(), "lyon", true)
	if err != nil {
		t.Fatal(err)
	}
	if fp.RunOn != "l1:27017" || len(fp.Config.Members) != 2 || strings.Join(fp.Lost, ",") != "p1:27017,p2:27017" {
		t.Fatalf("got %+v", fp)
	}
	if fp.Survivors[0].Host != "l1:27017" || fp.Config.Version != 4 || fp.Previous.Version != 3 {
		t.Errorf("survivors %+v, version %d", fp.Survivors, fp.Config.Version)
	}

	// Only the hidden backup member survives: it is made electable.
	st := parisGone()
	st.Member("l1:27017").Reachable, st.Member("l1:27017").Health = false, false
	fp, err = PrepareFailover(st, "lyon", true)
	if err != nil {
		t.Fatal(err)
	}
	if m := fp.Config.Member("lb:27017"); !m.Electable() || len(fp.Changes) != 1 {
		t.Fatalf("lb should be made electable: %+v %v", m, fp.Changes)
	}
}

func TestFailoverRefusals(t *testing.T) {
	primary := stateOf(twoSites(), "l1:27017", []string{"p1:27017", "p2:27017"})
	answers := parisGone()
	answers.Member("p2:27017").Reachable = true
	answers.Member("p2:27017").State = "SECONDARY"
	allDown := parisGone()
	for _, h := range []string{"l1:27017", "lb:27017"} {
		allDown.Member(h).Reachable = false
	}
	tests := []struct {
		name  string
		st    *State
		force bool
		want  error
		msg   string
	}{
		{"without --force", parisGone(), false, fault.ErrRefused, "rerun with --force"},
		{"a primary still exists", primary, true, ErrPrimaryExists, "l1:27017 (lyon) is primary"},
		{"paris still answers", answers, true, ErrSiteAnswers, "p2:27017 (paris, SECONDARY) still answer"},
		{"no lyon member answers", allDown, true, ErrUnreachable, "no member of lyon answers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PrepareFailover(tt.st, "lyon", tt.force)
			if !errors.Is(err, tt.want) || !errors.Is(err, fault.ErrRefused) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %v saying %q", err, tt.want, tt.msg)
			}
		})
	}
}

// afterFailover: the set holds l1 (primary) and lb; Paris came back.
func afterFailover(parisUp bool) *State {
	cfg := cfgOf(100004, mem(2, "l1:27017", 0.5, 1), hidden(3, "lb:27017", 0))
	var down []string
	if !parisUp {
		down = []string{"p1:27017", "p2:27017"}
	}
	st := stateOf(cfg, "l1:27017", down, "p1:27017", "p2:27017")
	st.Member("lb:27017").Site = "lyon"
	return st
}

func TestPrepareRejoin(t *testing.T) {
	st := afterFailover(true)
	desired, err := PrepareRejoin(st, fileSet(), "paris")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := desired.Member("p1:27017"), desired.Member("p2:27017")
	if p1 == nil || p2 == nil || p1.Priority != 0.25 || p2.Priority != 0.25 || p1.ID != 0 || p2.ID != 1 {
		t.Fatalf("want p1 and p2 back with priority 0.25 and _ids 0, 1: %s", dump(desired))
	}
	steps, err := Plan(st, desired)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || !steps[0].VoterChange || !steps[1].VoterChange {
		t.Fatalf("want two single-voter additions:\n%s", summaries(steps))
	}
	checkSteps(t, st, steps)

	if _, err := PrepareRejoin(afterFailover(false), fileSet(), "paris"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "p1:27017, p2:27017") {
		t.Fatalf("want ErrUnreachable naming both, got %v", err)
	}
	noPrimary := afterFailover(true)
	noPrimary.Primary = ""
	if _, err := PrepareRejoin(noPrimary, fileSet(), "paris"); !errors.Is(err, ErrNoPrimary) {
		t.Fatalf("want ErrNoPrimary, got %v", err)
	}
	if _, err := PrepareRejoin(st, fileSet(), "lyom"); !errors.Is(err, ErrUnknownSite) {
		t.Fatalf("want ErrUnknownSite, got %v", err)
	}
	if d, err := PrepareRejoin(stateOf(twoSites(), "p1:27017", nil), fileSet(), "paris"); err != nil || d != nil {
		t.Fatalf("nothing to rejoin: got %v %v", d, err)
	}
}

func TestSummarizeRollback(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := SummarizeRollback("p1:27017", []OplogEntry{
		{Op: "i", NS: "app.orders", Wall: at},
		{Op: "u", NS: "app.orders", Wall: at.Add(time.Second)},
		{Op: "n", NS: ""},
		{Op: "i", NS: "app.users", Wall: at.Add(2 * time.Second)},
	}, OpTime{Term: 3, TS: ts(90)}, false)
	if r.Entries != 3 || r.ByNS["app.orders"] != 2 || r.ByOp["insert"] != 2 || !r.First.Equal(at) || !r.Last.Equal(at.Add(2*time.Second)) {
		t.Fatalf("got %+v", r)
	}
	if s := r.Sentence(); !strings.Contains(s, "3 write(s)") || !strings.Contains(s, "app.orders 2, app.users 1") {
		t.Errorf("sentence %q", s)
	}
	if s := SummarizeRollback("p2:27017", nil, OpTime{}, false).Sentence(); !strings.Contains(s, "nothing to roll back") {
		t.Errorf("sentence %q", s)
	}
}
