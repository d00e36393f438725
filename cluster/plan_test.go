package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/noscites/citadel/internal/fault"
)

func TestPlan(t *testing.T) {
	base := twoSites()
	with := func(f func(c *Config)) *Config {
		c := base.Clone()
		f(c)
		sortMembers(c.Members)
		return c
	}
	tests := []struct {
		name    string
		st      *State
		desired *Config
		summary []string // substrings of each step's summary, in order
		check   func(t *testing.T, steps []Step)
	}{
		{
			name: "already converged", st: stateOf(base, "p1:27017", nil), desired: base, summary: nil,
		},
		{
			name: "add a Lyon voter", st: stateOf(base, "p1:27017", nil, "l2:27017"),
			desired: with(func(c *Config) { c.Members = append(c.Members, mem(4, "l2:27017", 0.5, 1)) }),
			summary: []string{"add l2:27017 in lyon (_id 4, votes 1, priority 0.5)"},
		},
		{
			name: "remove a Paris secondary", st: stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { c.Members = c.Members[0:1:1]; c.Members = append(c.Members, base.Members[2:]...) }),
			summary: []string{"remove p2:27017 in paris"},
		},
		{
			name: "swap priorities: raise first, no voter change", st: stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { c.Member("p1:27017").Priority = 0.5; c.Member("l1:27017").Priority = 2 }),
			summary: []string{"change", "change"},
			check: func(t *testing.T, steps []Step) {
				for _, s := range steps {
					if s.VoterChange {
						t.Errorf("%s: priority change counted as a voter change", s.Summary)
					}
				}
			},
		},
		{
			name: "hide a member: priority and hidden in one step", st: stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { m := c.Member("l1:27017"); m.Hidden, m.Priority = true, 0 }),
			summary: []string{"change l1:27017 in lyon: priority 0.5 → 0, hidden false → true"},
		},
		{
			name: "take a vote: votes and priority together", st: stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { m := c.Member("p2:27017"); m.Votes, m.Priority = 0, 0 }),
			summary: []string{"change p2:27017 in paris: votes 1 → 0, priority 1 → 0"},
		},
		{
			name: "remove the primary: step down first", st: stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { c.Members = c.Members[1:] }),
			summary: []string{"remove p1:27017"},
			check: func(t *testing.T, steps []Step) {
				if steps[0].StepDownFirst != "p1:27017" || steps[0].NewPrimary != "p2:27017" {
					t.Errorf("step down %q → %q, want p1 → p2", steps[0].StepDownFirst, steps[0].NewPrimary)
				}
			},
		},
		{
			name: "replace a Paris member: add before remove", st: stateOf(base, "p1:27017", nil, "p3:27017"),
			desired: with(func(c *Config) {
				c.Members = append([]MemberConfig{c.Members[0]}, c.Members[2:]...)
				c.Members = append(c.Members, mem(4, "p3:27017", 1, 1))
			}),
			summary: []string{"add p3:27017", "remove p2:27017"},
		},
		{
			name:    "one member down: shed its vote before removing a healthy voter",
			st:      stateOf(cfgOf(5, mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1), mem(2, "l1:27017", 1, 1), mem(3, "l2:27017", 1, 1), mem(4, "l3:27017", 1, 1)), "p1:27017", []string{"l3:27017"}),
			desired: cfgOf(9, mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1), mem(2, "l1:27017", 1, 1)),
			summary: []string{"remove l3:27017", "remove l2:27017"},
		},
		{
			name:    "settings first",
			st:      stateOf(base, "p1:27017", nil),
			desired: with(func(c *Config) { c.Settings = &Settings{ElectionTimeoutMillis: 5000} }),
			summary: []string{"settings: electionTimeoutMillis 0 → 5000"},
		},
		{
			name:    "adding a witness arbiter pins the write concern",
			st:      stateOf(base, "p1:27017", nil, "w1:27017"),
			desired: with(func(c *Config) { c.Members = append(c.Members, arbiter(4, "w1:27017")) }),
			summary: []string{"pin the cluster-wide default write concern to w:majority", "add w1:27017 in witness (_id 4, arbiter)"},
		},
		{
			name:    "arbiterOnly cannot change in place: remove, then add",
			st:      stateOf(cfgOf(2, mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1), mem(2, "w1:27017", 0, 1)), "p1:27017", nil),
			desired: cfgOf(9, mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1), arbiter(2, "w1:27017")),
			summary: []string{"pin", "remove w1:27017", "add w1:27017"},
		},
		{
			name: "seven voters, swap the only electable: a temporary vote",
			st: stateOf(cfgOf(4, mem(0, "p1:27017", 1, 1), mem(1, "p2:27017", 0, 1), mem(2, "p3:27017", 0, 1), mem(3, "p4:27017", 0, 1),
				mem(4, "l1:27017", 0, 1), mem(5, "l2:27017", 0, 1), mem(6, "l3:27017", 0, 1)), "p1:27017", nil, "l4:27017"),
			desired: cfgOf(9, mem(7, "l4:27017", 1, 1), mem(1, "p2:27017", 0, 1), mem(2, "p3:27017", 0, 1), mem(3, "p4:27017", 0, 1),
				mem(4, "l1:27017", 0, 1), mem(5, "l2:27017", 0, 1), mem(6, "l3:27017", 0, 1)),
			summary: []string{"temporarily take the vote", "add l4:27017", "remove p1:27017", "its vote back"},
			check: func(t *testing.T, steps []Step) {
				if !steps[0].Temporary || steps[2].StepDownFirst != "p1:27017" || steps[2].NewPrimary != "l4:27017" {
					t.Errorf("want a temporary first step and p1 stepped down for l4: %+v", steps)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := Plan(tt.st, tt.desired)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if len(steps) != len(tt.summary) {
				t.Fatalf("%d steps, want %d:\n%s", len(steps), len(tt.summary), summaries(steps))
			}
			for i, want := range tt.summary {
				if !strings.Contains(steps[i].Summary, want) {
					t.Errorf("step %d: %q does not contain %q", i, steps[i].Summary, want)
				}
			}
			final := checkSteps(t, tt.st, steps)
			if len(steps) > 0 && !sameMembers(final, tt.desired) {
				t.Errorf("final %s, want %s", dump(final), dump(tt.desired))
			}
			if tt.check != nil {
				tt.check(t, steps)
			}
		})
	}
}

func summaries(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("  " + s.Summary + "\n")
	}
	return b.String()
}

func TestPlanRefusals(t *testing.T) {
	base := twoSites()
	three := cfgOf(4, mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1), mem(2, "l1:27017", 0.5, 1))
	tests := []struct {
		name    string
		st      *State
		desired *Config
		want    error
		msg     string
	}{
		{"no primary", stateOf(base, "", []string{"p1:27017", "p2:27017"}), base, ErrNoPrimary, "cluster failover"},
		{"add a host that does not answer", stateOf(base, "p1:27017", []string{"l2:27017"}, "l2:27017"),
			cfgOf(9, append(base.Clone().Members, mem(4, "l2:27017", 0.5, 1))...), ErrUnreachable, "l2:27017"},
		{"removing a healthy voter while another is down loses the majority",
			stateOf(three, "p1:27017", []string{"l1:27017"}),
			cfgOf(9, mem(0, "p1:27017", 2, 1), mem(2, "l1:27017", 0.5, 1)), ErrNoSafePath, "only 1 of 2 voters"},
		{"desired config invalid", stateOf(base, "p1:27017", nil),
			cfgOf(9, mem(0, "p1:27017", 2, 0)), ErrInvalidConfig, "non-voting member must have priority 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := Plan(tt.st, tt.desired)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v (steps %v)", err, tt.want, summaries(steps))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
			if tt.want != ErrInvalidConfig && !errors.Is(err, fault.ErrRefused) {
				t.Errorf("%v does not map to exit 4", err)
			}
		})
	}
}

func TestPlanInitiate(t *testing.T) {
	desired := twoSites()
	desired.Version = 9
	st := &State{Name: "main"}
	for _, m := range desired.Members {
		st.Members = append(st.Members, MemberState{Host: m.Host, Reachable: true, Uninitiated: true, ID: -1})
	}
	steps, err := Plan(st, desired)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Kind != StepInitiate || steps[0].Config.Version != 1 || steps[0].Host != "p1:27017" {
		t.Fatalf("want one initiate of version 1 on p1, got %+v", steps)
	}
	st.Members[2].Reachable = false
	if _, err := Plan(st, desired); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "l1:27017") {
		t.Fatalf("want ErrUnreachable naming l1, got %v", err)
	}
	st.Members[2] = MemberState{Host: "l1:27017", Reachable: true, SetName: "other", ConfigVer: 4}
	if _, err := Plan(st, desired); !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), `set "other"`) {
		t.Fatalf("want ErrIncompatible naming the other set, got %v", err)
	}
}

func TestPlanNewlyAdded(t *testing.T) {
	cur := twoSites()
	yes := true
	cur.Members = append(cur.Members, mem(4, "l2:27017", 0.5, 1))
	cur.Members[4].NewlyAdded = &yes
	desired := cur.Clone()
	desired.Members[4].NewlyAdded = nil
	desired.Member("p2:27017").Priority = 3
	st := stateOf(cur, "p1:27017", nil)
	steps, err := Plan(st, desired)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Config.Member("l2:27017").NewlyAdded != nil {
		t.Fatalf("want one step that never writes newlyAdded, got %s", summaries(steps))
	}
	checkSteps(t, st, steps)
}

// TestPlanUnknownState: members that do not answer may hold the set's
// config; with no config seen the state is unknown, never "not initiated",
// and no initiate is planned.
func TestPlanUnknownState(t *testing.T) {
	desired := twoSites()
	for _, down := range []int{1, len(desired.Members)} {
		st := &State{Name: "main"}
		for i, m := range desired.Members {
			ms := MemberState{Host: m.Host, Reachable: i >= down, Uninitiated: i >= down, ID: -1}
			if !ms.Reachable {
				ms.State, ms.Error = "DOWN", "connection refused"
				st.Unreachable = append(st.Unreachable, m.Host)
			}
			st.Members = append(st.Members, ms)
		}
		if !st.Unknown() || !errors.Is(st.UnknownError(), ErrStateUnknown) {
			t.Fatalf("%d down: state should be unknown", down)
		}
		steps, err := Plan(st, desired)
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "could not reach p1:27017") ||
			!strings.Contains(err.Error(), "cannot tell whether the set is initiated") || steps != nil {
			t.Fatalf("%d down: want a refusal naming p1, got %v %+v", down, err, steps)
		}
		var out strings.Builder
		if err := WriteStatus(&out, st); err != nil || strings.Contains(out.String(), "not initiated") || !strings.Contains(out.String(), "STATE UNKNOWN") {
			t.Fatalf("%d down: status says\n%s", down, out.String())
		}
		if r := Report(st); r.Initiated != nil {
			t.Fatalf("%d down: JSON initiated = %v, want null", down, *r.Initiated)
		}
	}
}
