package cluster

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// hostPool is the world random sets are drawn from: Paris, Lyon, witness.
var hostPool = []string{
	"p1:27017", "p2:27017", "p3:27017", "p4:27017", "p5:27017",
	"l1:27017", "l2:27017", "l3:27017", "l4:27017", "l5:27017",
	"w1:27017", "w2:27017",
}

// randomMember draws a member shape that respects mongod's member rules.
func randomMember(r *rand.Rand, id int, host string) MemberConfig {
	m := mem(id, host, []float64{0, 0.5, 1, 2, 5}[r.IntN(5)], 1)
	switch x := r.IntN(20); {
	case x < 2:
		return arbiter(id, host)
	case x < 5:
		m.Hidden, m.Priority = true, 0
	case x < 6:
		m.Hidden, m.Priority, m.SecondaryDelaySecs = true, 0, 3600
	}
	if r.IntN(4) == 0 {
		m.Votes, m.Priority = 0, 0
	}
	if r.IntN(3) == 0 {
		m.Tags = map[string]string{"site": siteOfHost(host)}
	}
	return m
}

// randomConfig draws a valid config over some of the hosts, keeping the
// _ids of hosts in keep and giving new hosts the lowest free _id.
func randomConfig(r *rand.Rand, version int, keep *Config) *Config {
	for {
		hosts := slices.Clone(hostPool)
		r.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
		hosts = hosts[:1+r.IntN(9)]
		c := &Config{ID: "main", Version: version, ProtocolVersion: 1}
		used := map[int]bool{}
		if keep != nil {
			for _, m := range keep.Members {
				used[m.ID] = true
			}
		}
		for _, h := range hosts {
			id := -1
			if keep != nil {
				if k := keep.Member(h); k != nil {
					id = k.ID
				}
			}
			if id < 0 {
				for id = 0; used[id]; id++ {
				}
				used[id] = true
			}
			c.Members = append(c.Members, randomMember(r, id, h))
		}
		sortMembers(c.Members)
		for i := len(c.Members) - 1; c.Voters() > MaxVoters && i >= 0; i-- {
			if !c.Members[i].ArbiterOnly {
				c.Members[i].Votes, c.Members[i].Priority = 0, 0
			}
		}
		if electableCount(c) == 0 {
			i := r.IntN(len(c.Members))
			if m := &c.Members[i]; !m.ArbiterOnly && (m.Voter() || c.Voters() < MaxVoters) {
				m.Votes, m.Priority, m.Hidden, m.SecondaryDelaySecs = 1, 1, false, 0
			}
		}
		if ValidateConfig(c) == nil {
			return c
		}
	}
}

// randomCase draws a live set (with some members down and a primary) and a
// desired config. allUp keeps every host healthy.
func randomCase(r *rand.Rand, allUp bool) (*State, *Config) {
	for {
		cur := randomConfig(r, 1+r.IntN(50), nil)
		desired := randomConfig(r, 1, cur)
		var down []string
		if !allUp {
			for _, h := range hostPool {
				if r.IntN(8) == 0 {
					down = append(down, h)
				}
			}
		}
		var extra []string
		for _, h := range hostPool {
			if cur.Member(h) == nil {
				extra = append(extra, h)
			}
		}
		st := stateOf(cur, "", down, extra...)
		var primaries []string
		for _, m := range cur.Members {
			if m.Electable() && st.Healthy(m.Host) {
				primaries = append(primaries, m.Host)
			}
		}
		if len(primaries) == 0 || safetyOf(st, cur) != nil {
			continue
		}
		st.Primary = primaries[r.IntN(len(primaries))]
		st.Member(st.Primary).State = "PRIMARY"
		if r.IntN(3) == 0 {
			desired.Settings = &Settings{ElectionTimeoutMillis: int64(1000 * (1 + r.IntN(10)))}
		}
		return st, desired
	}
}

// checkPlan runs one random case and checks the plan's properties.
func checkPlan(t *testing.T, seed uint64, allUp bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	st, desired := randomCase(r, allUp)
	steps, err := Plan(st, desired)
	if err != nil {
		if allUp {
			t.Fatalf("seed %d: every host is healthy, yet no plan from %s to %s: %v", seed, dump(st.Config), dump(desired), err)
		}
		if !errors.Is(err, ErrNoSafePath) && !errors.Is(err, ErrUnreachable) {
			t.Fatalf("seed %d: unexpected error %v", seed, err)
		}
		return
	}
	t.Run(fmt.Sprint(seed), func(t *testing.T) {
		final := checkSteps(t, st, steps)
		if !sameMembers(final, desired) || !SameSettings(final.Settings, desired.Settings) {
			t.Fatalf("seed %d: plan ends at %s, want %s", seed, dump(final), dump(desired))
		}
		reconfigs := 0
		for _, s := range steps {
			if s.Kind == StepReconfig {
				reconfigs++
			}
		}
		if final.Version != st.Config.Version+reconfigs && reconfigs > 0 {
			t.Fatalf("seed %d: final version %d after %d steps from %d", seed, final.Version, reconfigs, st.Config.Version)
		}
	})
}

// TestPlanProperty: over random live/desired pairs, every intermediate
// config is one mongod accepts as a non-force reconfig of the previous one
// (valid members, ≤7 voters, an electable member, version +1, at most one
// voter changed, the primary electable) and keeps a healthy majority of
// voters; the plan ends at the desired config. With every host healthy a
// plan always exists.
func TestPlanProperty(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for seed := range uint64(n) {
		checkPlan(t, seed, seed%3 == 0)
	}
}

func FuzzPlan(f *testing.F) {
	for _, s := range []uint64{1, 42, 2026} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, seed uint64, allUp bool) { checkPlan(t, seed, allUp) })
}
