package cluster

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// mem builds a visible data member.
func mem(id int, host string, priority float64, votes int) MemberConfig {
	return MemberConfig{ID: id, Host: host, BuildIndexes: true, Priority: priority, Votes: votes, Tags: map[string]string{}}
}

func hidden(id int, host string, votes int) MemberConfig {
	m := mem(id, host, 0, votes)
	m.Hidden = true
	return m
}

func arbiter(id int, host string) MemberConfig {
	m := mem(id, host, 0, 1)
	m.ArbiterOnly = true
	return m
}

func cfgOf(version int, ms ...MemberConfig) *Config {
	c := &Config{ID: "main", Version: version, ProtocolVersion: 1, Members: ms}
	sortMembers(c.Members)
	return c
}

// twoSites is the example layout: two Paris members, a Lyon member and a
// hidden non-voting Lyon backup member.
func twoSites() *Config {
	return cfgOf(3,
		mem(0, "p1:27017", 2, 1), mem(1, "p2:27017", 1, 1),
		mem(2, "l1:27017", 0.5, 1), hidden(3, "lb:27017", 0))
}

// stateOf observes cfg with every member healthy except down; extra hosts
// are reachable hosts outside the config (members to be added).
func stateOf(cfg *Config, primary string, down []string, extra ...string) *State {
	isDown := map[string]bool{}
	for _, d := range down {
		isDown[d] = true
	}
	st := &State{Name: cfg.ID, Initiated: true, Config: cfg, Primary: primary, Term: 1}
	for _, m := range cfg.Members {
		ms := MemberState{Host: m.Host, ID: m.ID, InConfig: true, Reachable: !isDown[m.Host], Health: !isDown[m.Host],
			Site: siteOfHost(m.Host), Priority: m.Priority, Votes: m.Votes, Hidden: m.Hidden, Arbiter: m.ArbiterOnly}
		switch {
		case isDown[m.Host]:
			ms.State = "DOWN"
		case m.Host == primary:
			ms.State = "PRIMARY"
		case m.ArbiterOnly:
			ms.State = "ARBITER"
		default:
			ms.State = "SECONDARY"
		}
		st.Members = append(st.Members, ms)
	}
	for _, h := range extra {
		st.Members = append(st.Members, MemberState{Host: h, ID: -1, Reachable: !isDown[h], Uninitiated: true, Site: siteOfHost(h)})
	}
	return st
}

func siteOfHost(h string) string {
	switch h[0] {
	case 'p':
		return "paris"
	case 'l':
		return "lyon"
	case 'w':
		return "witness"
	}
	return ""
}

// checkSteps replays steps from the state's config and fails the test on
// any step mongod would refuse or that breaks citadel's safety rules; it
// returns the final config.
func checkSteps(t *testing.T, st *State, steps []Step) *Config {
	t.Helper()
	cfg := st.Config.Clone()
	for i := range cfg.Members {
		cfg.Members[i].NewlyAdded = nil
	}
	cfg.Term = 0
	primary := st.Primary
	for i, s := range steps {
		if s.Kind != StepReconfig {
			continue
		}
		if s.StepDownFirst != "" {
			if s.StepDownFirst != primary {
				t.Fatalf("step %d steps down %s but the primary is %s", i, s.StepDownFirst, primary)
			}
			if h := cfg.Member(s.NewPrimary); h == nil || !h.Electable() || !st.Healthy(s.NewPrimary) {
				t.Fatalf("step %d: heir %s cannot be elected", i, s.NewPrimary)
			}
			primary = s.NewPrimary
		}
		if err := ValidateTransition(cfg, s.Config, primary); err != nil {
			t.Fatalf("step %d (%s) refused: %v\nfrom %s\nto   %s", i, s.Summary, err, dump(cfg), dump(s.Config))
		}
		if err := safetyOf(st, s.Config); err != nil {
			t.Fatalf("step %d (%s) unsafe: %v\nto %s", i, s.Summary, err, dump(s.Config))
		}
		if got := VoterChanges(cfg, s.Config) > 0; got != s.VoterChange {
			t.Fatalf("step %d: VoterChange %t, want %t", i, s.VoterChange, got)
		}
		cfg = s.Config
	}
	return cfg
}

// safetyOf recomputes the safety rules independently of the planner.
func safetyOf(st *State, c *Config) error {
	voters, up, electable := 0, 0, 0
	for _, m := range c.Members {
		if m.Votes > 0 {
			voters++
			if st.Healthy(m.Host) {
				up++
			}
		}
		if m.Electable() && st.Healthy(m.Host) {
			electable++
		}
	}
	if up*2 <= voters {
		return fmt.Errorf("%d healthy of %d voters", up, voters)
	}
	if electable == 0 {
		return fmt.Errorf("no healthy electable member")
	}
	return nil
}

func dump(c *Config) string {
	s := fmt.Sprintf("v%d", c.Version)
	for _, m := range c.Members {
		s += fmt.Sprintf(" [%d %s v%d p%g", m.ID, m.Host, m.Votes, m.Priority)
		if m.Hidden {
			s += " h"
		}
		if m.ArbiterOnly {
			s += " arb"
		}
		s += "]"
	}
	return s
}

func ts(sec uint32) bson.Timestamp { return bson.Timestamp{T: sec, I: 1} }
