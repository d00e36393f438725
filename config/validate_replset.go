package config

import (
	"fmt"
	"strings"
)

func (v *validator) replicaSet(i int) {
	rs := &v.c.ReplicaSets[i]
	p := fmt.Sprintf("replica_sets[%d]", i)
	v.name(p+".name", rs.Name, "replica set")
	switch n := len(rs.Members); {
	case n == 0:
		v.ps.at(p+".members", "declare the members with host and site", "replica set %q has no members", rs.Name)
		return
	case n > MaxMembers:
		v.ps.at(p+".members", "", "%d members; mongod allows at most %d", n, MaxMembers)
	}
	hosts, ids := map[string]int{}, map[int]int{}
	voters, electable := 0, 0
	for j := range rs.Members {
		m := &rs.Members[j]
		mp := fmt.Sprintf("%s.members[%d]", p, j)
		v.member(mp, m)
		if hp := v.hostPort(mp+".host", m.Host, "host"); hp != "" {
			if first, dup := hosts[hp]; dup {
				v.ps.at(mp+".host", "each member needs its own host:port", "duplicate host %s (also members[%d])", m.Host, first)
			} else {
				hosts[hp] = j
			}
		}
		if m.ID != nil {
			if first, dup := ids[*m.ID]; dup {
				v.ps.at(mp+".id", "", "duplicate member id %d (also members[%d])", *m.ID, first)
			}
			ids[*m.ID] = j
		}
		if m.EffectiveVotes() > 0 {
			voters++
		}
		if m.Electable() {
			electable++
		}
	}
	if voters > MaxVotingMembers {
		v.ps.at(p+".members", "set votes: 0 and priority: 0 on the extra members", "%d voting members; mongod allows at most %d", voters, MaxVotingMembers)
	}
	if voters == 0 {
		v.ps.at(p+".members", "give at least one member votes: 1", "no voting member")
	}
	if electable == 0 {
		v.ps.at(p+".members", "give at least one visible data member priority > 0 and votes: 1", "no electable member: the set could never have a primary")
	}
	v.rsSettings(p+".settings", rs.Settings)
	v.quorumWarnings(p, rs, voters)
}

func (v *validator) member(mp string, m *Member) {
	v.siteRef(mp+".site", m.Site, true)
	if m.ID != nil && (*m.ID < 0 || *m.ID > 255) {
		v.ps.at(mp+".id", "", "member id %d out of range 0..255", *m.ID)
	}
	pri, votes := m.EffectivePriority(), m.EffectiveVotes()
	if pri < 0 || pri > 1000 {
		v.ps.at(mp+".priority", "", "priority %v out of range 0..1000", pri)
	}
	if votes != 0 && votes != 1 {
		v.ps.at(mp+".votes", "", "votes must be 0 or 1, found %d", votes)
	}
	if votes == 0 && pri > 0 {
		v.ps.at(mp+".priority", "set priority: 0 or give the member votes: 1", "a member with votes: 0 must have priority 0 (found %v)", pri)
	}
	if m.Hidden && pri > 0 {
		v.ps.at(mp+".priority", "set priority: 0 (or leave priority out) for hidden members", "a hidden member must have priority 0 (found %v)", pri)
	}
	if m.SecondaryDelay > 0 {
		if pri > 0 {
			v.ps.at(mp+".priority", "set priority: 0 for delayed members", "a member with secondary_delay must have priority 0 (found %v)", pri)
		}
		if !m.Hidden {
			v.ps.warnAt(mp+".hidden", "make delayed members hidden so clients never read stale data", "delayed member is not hidden")
		}
	}
	if m.Arbiter {
		switch {
		case m.Hidden:
			v.ps.at(mp+".hidden", "", "an arbiter cannot be hidden")
		case votes != 1:
			v.ps.at(mp+".votes", "", "an arbiter must vote (votes: 1)")
		case m.Priority != nil && *m.Priority != 0:
			v.ps.at(mp+".priority", "", "an arbiter must have priority 0")
		case len(m.Tags) > 0:
			v.ps.at(mp+".tags", "", "an arbiter cannot have tags")
		case m.SecondaryDelay > 0:
			v.ps.at(mp+".secondary_delay", "", "an arbiter holds no data and cannot be delayed")
		}
	}
}

func (v *validator) rsSettings(p string, s RSSettings) {
	if s.ElectionTimeout > 0 && s.ElectionTimeout.D().Milliseconds() < 1 {
		v.ps.at(p+".election_timeout", "", "election_timeout below 1ms")
	}
	if s.HeartbeatInterval > 0 && s.HeartbeatInterval.D() >= s.ElectionTimeoutOr() {
		v.ps.at(p+".heartbeat_interval", "keep it well below election_timeout", "heartbeat_interval %v is not shorter than election_timeout %v", s.HeartbeatInterval, s.ElectionTimeoutOr())
	}
}

// quorumWarnings explains, without failing validation, the two-site reality.
func (v *validator) quorumWarnings(p string, rs *ReplicaSet, voters int) {
	if voters > 0 && voters%2 == 0 {
		v.ps.warnAt(p+".members", "add an arbiter at a third location or remove a vote", "%d voting members: an even count adds no fault tolerance", voters)
	}
	for _, loss := range rs.Quorum() {
		if loss.Votes == 0 || loss.KeepsPrimary {
			continue
		}
		v.ps.warnAt(p+".members",
			"a third-site witness (arbiter) lets the other site elect on its own; otherwise the way back is the rehearsed `citadel cluster failover --force`",
			"losing site %s leaves %d of the %d votes needed: no primary until an operator forces a failover", loss.Site, loss.Remaining, loss.Majority)
	}
}

// hostsAcrossSets reports a host:port used by two replica sets.
func (v *validator) hostsAcrossSets() {
	seen := map[string]string{}
	for i, rs := range v.c.ReplicaSets {
		for j, m := range rs.Members {
			key := strings.ToLower(m.Host)
			if key == "" {
				continue
			}
			if other, ok := seen[key]; ok && other != rs.Name {
				v.ps.at(fmt.Sprintf("replica_sets[%d].members[%d].host", i, j), "", "host %s is also a member of replica set %q", m.Host, other)
			}
			seen[key] = rs.Name
		}
	}
}
