package cluster

import (
	"fmt"
	"strings"
)

// ValidateConfig checks a configuration document against mongod 7.0's rules
// (repl_set_config_checks and member_config): every problem is reported.
func ValidateConfig(c *Config) error {
	var ps []string
	if c.ID == "" {
		ps = append(ps, "the set name (_id) is empty")
	}
	if c.Version < 1 {
		ps = append(ps, fmt.Sprintf("version %d is below 1", c.Version))
	}
	switch n := len(c.Members); {
	case n == 0:
		ps = append(ps, "no members")
	case n > MaxMembers:
		ps = append(ps, fmt.Sprintf("%d members; mongod allows at most %d", n, MaxMembers))
	}
	ids, hosts := map[int]bool{}, map[string]bool{}
	electable := 0
	for _, m := range c.Members {
		if ids[m.ID] {
			ps = append(ps, fmt.Sprintf("duplicate member _id %d", m.ID))
		}
		ids[m.ID] = true
		if hosts[normHost(m.Host)] {
			ps = append(ps, fmt.Sprintf("duplicate host %s", m.Host))
		}
		hosts[normHost(m.Host)] = true
		ps = append(ps, memberProblems(m)...)
		if m.Electable() {
			electable++
		}
	}
	switch v := c.Voters(); {
	case v > MaxVoters:
		ps = append(ps, fmt.Sprintf("%d voting members; mongod allows at most %d", v, MaxVoters))
	case v == 0 && len(c.Members) > 0:
		ps = append(ps, "no voting member")
	}
	if electable == 0 && len(c.Members) > 0 {
		ps = append(ps, "no electable member (a visible data member with priority > 0 and a vote)")
	}
	return problems(ErrInvalidConfig, ps)
}

func memberProblems(m MemberConfig) []string {
	var ps []string
	add := func(format string, a ...any) {
		ps = append(ps, fmt.Sprintf("member %d (%s): ", m.ID, m.Host)+fmt.Sprintf(format, a...))
	}
	if m.ID < 0 || m.ID > MaxMemberID {
		add("_id out of range 0..%d", MaxMemberID)
	}
	if strings.TrimSpace(m.Host) == "" {
		add("host is empty")
	}
	if m.Priority < 0 || m.Priority > MaxPriority {
		add("priority %v out of range 0..%d", m.Priority, MaxPriority)
	}
	if m.Votes != 0 && m.Votes != 1 {
		add("votes must be 0 or 1, found %d", m.Votes)
	}
	if m.Votes == 0 && m.Priority > 0 {
		add("a non-voting member must have priority 0")
	}
	if m.Hidden && m.Priority > 0 {
		add("a hidden member must have priority 0")
	}
	if m.SecondaryDelaySecs < 0 {
		add("secondaryDelaySecs is negative")
	}
	if m.SecondaryDelaySecs > 0 && m.Priority > 0 {
		add("a delayed member must have priority 0")
	}
	if !m.BuildIndexes && m.Priority > 0 {
		add("a member with buildIndexes false must have priority 0")
	}
	if m.ArbiterOnly {
		switch {
		case m.Votes != 1:
			add("an arbiter must have exactly one vote")
		case m.Priority != 0:
			add("an arbiter must have priority 0")
		case m.Hidden:
			add("an arbiter cannot be hidden")
		case len(m.Tags) > 0:
			add("an arbiter cannot have tags")
		case m.SecondaryDelaySecs != 0:
			add("an arbiter cannot be delayed")
		case !m.BuildIndexes:
			add("an arbiter must have buildIndexes true")
		}
	}
	return ps
}

// ValidateTransition checks that mongod would accept next as a non-force
// reconfig of cur, run on primary (its host; empty when unknown): version
// exactly one higher, same set name and replicaSetId, every kept host keeps
// its _id, arbiterOnly and buildIndexes unchanged, at most one voting member
// added, removed or changed, the primary still electable, no newlyAdded
// field written by the client. next must also pass ValidateConfig.
func ValidateTransition(cur, next *Config, primary string) error {
	if err := ValidateConfig(next); err != nil {
		return err
	}
	var ps []string
	if next.Version != cur.Version+1 {
		ps = append(ps, fmt.Sprintf("version %d does not follow %d", next.Version, cur.Version))
	}
	if next.ID != cur.ID {
		ps = append(ps, fmt.Sprintf("set name changes from %q to %q", cur.ID, next.ID))
	}
	if a, b := replicaSetID(cur), replicaSetID(next); a != "" && b != "" && a != b {
		ps = append(ps, "settings.replicaSetId changes")
	}
	for _, n := range next.Members {
		if n.NewlyAdded != nil {
			ps = append(ps, fmt.Sprintf("member %s carries newlyAdded, which only the server may set", n.Host))
		}
		if o := cur.Member(n.Host); o != nil {
			if o.ID != n.ID {
				ps = append(ps, fmt.Sprintf("host %s changes _id from %d to %d", n.Host, o.ID, n.ID))
				continue
			}
			if o.ArbiterOnly != n.ArbiterOnly || o.BuildIndexes != n.BuildIndexes {
				ps = append(ps, fmt.Sprintf("member %s changes arbiterOnly or buildIndexes; remove it and add it back instead", n.Host))
			}
		} else if o := cur.MemberByID(n.ID); o != nil {
			ps = append(ps, fmt.Sprintf("_id %d moves from host %s to %s", n.ID, o.Host, n.Host))
		}
	}
	if d := VoterChanges(cur, next); d > 1 {
		ps = append(ps, fmt.Sprintf("%d voting members added, removed or changed; a non-force reconfig allows one", d))
	}
	if primary != "" {
		if m := next.Member(primary); m == nil || !m.Electable() {
			ps = append(ps, fmt.Sprintf("primary %s would not be electable; step it down first", primary))
		}
	}
	return problems(ErrIncompatible, ps)
}

// VoterChanges counts the voting members added, removed, or whose vote
// changed between two configs (the symmetric difference of the voter sets).
func VoterChanges(a, b *Config) int {
	in := func(c *Config) map[string]bool {
		s := map[string]bool{}
		for _, h := range c.VoterHosts() {
			s[h] = true
		}
		return s
	}
	sa, sb := in(a), in(b)
	n := 0
	for h := range sa {
		if !sb[h] {
			n++
		}
	}
	for h := range sb {
		if !sa[h] {
			n++
		}
	}
	return n
}

func replicaSetID(c *Config) string {
	if c.Settings == nil || c.Settings.ReplicaSetID == nil {
		return ""
	}
	return c.Settings.ReplicaSetID.Hex()
}
