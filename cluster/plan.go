package cluster

import (
	"fmt"
	"strings"
)

// StepKind says what a step does.
type StepKind string

// The kinds of steps a plan holds.
const (
	// StepInitiate runs replSetInitiate with the whole desired config.
	StepInitiate StepKind = "initiate"
	// StepReconfig runs a non-force replSetReconfig with Step.Config.
	StepReconfig StepKind = "reconfig"
	// StepDefaultWriteConcern pins the cluster-wide default write concern
	// (setDefaultRWConcern) to its current implicit value before a step
	// that would change the implicit one: mongod refuses such a reconfig
	// otherwise, and the durability of writes must not change silently.
	StepDefaultWriteConcern StepKind = "set-default-write-concern"
)

// Step is one operation of a plan. Reconfig steps carry the whole config
// to send, with the version it must have.
type Step struct {
	Kind    StepKind `json:"kind"`
	Summary string   `json:"summary"`
	Host    string   `json:"host,omitempty"`
	Config  *Config  `json:"config,omitempty"`
	// WriteConcern is the w value of a StepDefaultWriteConcern.
	WriteConcern string `json:"write_concern,omitempty"`
	// VoterChange: this step adds, removes or changes one voting member.
	VoterChange bool `json:"voter_change"`
	// StepDownFirst names the primary this step makes unelectable: Apply
	// steps it down (freezing the members that must not win) first.
	StepDownFirst string `json:"step_down_first,omitempty"`
	// NewPrimary is the member the plan expects to take over after that
	// step-down; Apply freezes the others so it wins.
	NewPrimary string `json:"new_primary,omitempty"`
	// Temporary: the step moves a member through a temporary shape that a
	// later step undoes (for example removing a vote to stay within seven
	// voters while another member is swapped in).
	Temporary bool `json:"temporary,omitempty"`
}

// Plan returns the ordered steps that take the observed set to the desired
// configuration. It is a pure function of its arguments. Every reconfig step
// is valid for mongod 7.0 as a non-force reconfig of the previous one
// (ValidateTransition), changes at most one voting member, keeps at least a
// majority of the healthy voters and a healthy electable member, and raises
// the version by one. An uninitiated set gets a single initiate step. An
// empty plan means the set already has the desired shape.
func Plan(cur *State, desired *Config) ([]Step, error) {
	if err := ValidateConfig(desired); err != nil {
		return nil, fmt.Errorf("check desired config: %w", err)
	}
	if !cur.Initiated || cur.Config == nil {
		return planInitiate(cur, desired)
	}
	if desired.ID != cur.Config.ID {
		return nil, fmt.Errorf("%w: the live set is named %q, the file says %q", ErrIncompatible, cur.Config.ID, desired.ID)
	}
	if cur.Primary == "" {
		return nil, fmt.Errorf("%w: set %s has no primary and a reconfig needs one; if a site is lost, see citadel cluster failover", ErrNoPrimary, cur.Name)
	}
	start := cur.Config.Clone()
	start.Term = 0
	for i := range start.Members {
		start.Members[i].NewlyAdded = nil
	}
	sortMembers(start.Members)
	units := diffUnits(start, desired)
	if err := checkAdditions(cur, units); err != nil {
		return nil, err
	}
	p := &planner{units: units, state: cur, budget: searchBudget, seen: map[string]bool{}}
	settings := !SameSettings(start.Settings, desired.Settings)
	steps, ok := p.search(start, make([]progress, len(units)), cur.Primary, !settings, desired.Settings)
	if !ok {
		return nil, p.failure(cur.Name)
	}
	return pinWriteConcern(cur, steps), nil
}

func planInitiate(cur *State, desired *Config) ([]Step, error) {
	if cur.Unknown() {
		// Unreachable is not uninitiated: the members that do not answer
		// may hold the set's config, and initiating the others would make
		// a second set.
		return nil, fmt.Errorf("%w: %s (nothing planned)", ErrUnreachable, cur.unknownDetail())
	}
	var down, other []string
	for _, m := range desired.Members {
		ms := cur.Member(m.Host)
		switch {
		case ms == nil || !ms.Reachable:
			down = append(down, m.Host)
		case !ms.Uninitiated:
			other = append(other, fmt.Sprintf("%s (already in set %q, config version %d)", m.Host, ms.SetName, ms.ConfigVer))
		}
	}
	if len(down) > 0 {
		return nil, fmt.Errorf("%w: initiate needs every member up; start mongod --replSet %s on %s", ErrUnreachable, desired.ID, strings.Join(down, ", "))
	}
	if len(other) > 0 {
		return nil, fmt.Errorf("%w: these members already belong to a set: %s; check the hosts in the file", ErrIncompatible, strings.Join(other, ", "))
	}
	cfg := desired.Clone()
	cfg.Version, cfg.Term = 1, 0
	return []Step{{
		Kind: StepInitiate, Config: cfg, Host: initiateHost(cfg),
		Summary: fmt.Sprintf("initiate %s with %d members (%d voters) on %s", cfg.ID, len(cfg.Members), cfg.Voters(), initiateHost(cfg)),
	}}, nil
}

// initiateHost picks the member replSetInitiate runs on: the electable
// member with the highest priority, so it is likely the first primary.
func initiateHost(c *Config) string {
	best := -1
	for i, m := range c.Members {
		if m.Electable() && (best < 0 || m.Priority > c.Members[best].Priority) {
			best = i
		}
	}
	if best < 0 {
		return c.Members[0].Host
	}
	return c.Members[best].Host
}

// checkAdditions refuses to add a host citadel cannot reach: mongod would
// keep it newly added forever and Apply would wait for it.
func checkAdditions(cur *State, units []unit) error {
	var down []string
	for _, u := range units {
		if u.from == nil && u.to != nil && !cur.Healthy(u.to.Host) {
			down = append(down, u.to.Host)
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("%w: cannot add %s: it does not answer; start mongod --replSet %s there (or fix the host in the file) and plan again",
			ErrUnreachable, strings.Join(down, ", "), cur.Name)
	}
	return nil
}

// pinWriteConcern prepends a setDefaultRWConcern step when a step would
// change the implicit default write concern and no cluster-wide default is
// set.
func pinWriteConcern(cur *State, steps []Step) []Step {
	if cur.DefaultWCKnown && cur.DefaultWriteConcern != "" {
		return steps
	}
	now := cur.Config.ImplicitWriteConcern()
	for _, s := range steps {
		if s.Config != nil && s.Config.ImplicitWriteConcern() != now {
			pin := Step{Kind: StepDefaultWriteConcern, WriteConcern: now,
				Summary: fmt.Sprintf("pin the cluster-wide default write concern to w:%s (the layout change would otherwise change the implicit default)", now)}
			return append([]Step{pin}, steps...)
		}
	}
	return steps
}

// unit is the change of one member: an addition (from nil), a removal
// (to nil) or a change. temp is an optional temporary non-voting shape.
// An optional unit (from equal to to) only exists to offer its temp shape:
// it is done when untouched or when its vote is back.
type unit struct {
	from, to, temp *MemberConfig
	optional       bool
}

func (u unit) host() string {
	if u.to != nil {
		return u.to.Host
	}
	return u.from.Host
}

// diffUnits lists the member changes from cur to desired. A member whose
// arbiterOnly or buildIndexes changes, or whose _id changes, is removed and
// added back: mongod cannot change those in place.
func diffUnits(cur, desired *Config) []unit {
	var units []unit
	for i := range cur.Members {
		o := &cur.Members[i]
		n := desired.Member(o.Host)
		switch {
		case n == nil:
			units = append(units, unit{from: o})
		case n.ArbiterOnly != o.ArbiterOnly || n.BuildIndexes != o.BuildIndexes || n.ID != o.ID:
			nn := n.Clone()
			units = append(units, unit{from: o}, unit{to: &nn})
		default:
			nn := n.Clone()
			u := unit{from: o, to: &nn, optional: o.Same(*n)}
			if o.Voter() && nn.Voter() && !nn.ArbiterOnly {
				t := nn.Clone()
				t.Votes, t.Priority = 0, 0
				u.temp = &t
			}
			if !u.optional || u.temp != nil {
				units = append(units, u)
			}
		}
	}
	for i := range desired.Members {
		if cur.Member(desired.Members[i].Host) == nil {
			nn := desired.Members[i].Clone()
			units = append(units, unit{to: &nn})
		}
	}
	return units
}
