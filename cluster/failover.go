package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/internal/fault"
)

// FailoverPlan is what a forced failover will do.
type FailoverPlan struct {
	Set    string `json:"set"`
	ToSite string `json:"to_site"`
	// Survivors are the members kept, with the optime each holds: writes
	// newer than the newest of them are lost with the other site.
	Survivors []Survivor `json:"survivors"`
	Lost      []string   `json:"lost"`
	// RunOn is the survivor with the newest optime: the forced reconfig
	// runs there.
	RunOn string `json:"run_on"`
	// Config is the forced configuration (survivors only); mongod raises
	// the version further on its own.
	Config  *Config  `json:"config"`
	Changes []string `json:"changes,omitempty"`
	// Previous is the configuration before the failover, saved first.
	Previous *Config `json:"previous"`
}

// Survivor is one member kept by a failover.
type Survivor struct {
	Host       string    `json:"host"`
	Site       string    `json:"site"`
	State      string    `json:"state"`
	OpTime     OpTime    `json:"optime"`
	OpTimeDate time.Time `json:"optime_date,omitzero"`
}

// PrepareFailover checks the refusals of a forced failover and builds the
// forced configuration. It refuses (exit 4) without force, while any member
// is a reachable primary, while any data member outside toSite answers (the
// site is not gone: a forced reconfig would give two primaries), and when
// no member of toSite answers. Arbiters elsewhere that answer (a witness)
// are kept.
func PrepareFailover(st *State, toSite string, force bool) (*FailoverPlan, error) {
	if err := checkSite(st, toSite); err != nil {
		return nil, err
	}
	if !force {
		return nil, fault.Refused(fmt.Sprintf("failover of %s rewrites the set without the other site and can lose writes; it is for the day a site is gone: rerun with --force", st.Name))
	}
	if st.Config == nil {
		return nil, fmt.Errorf("%w: no member of %s answers with a configuration", ErrUnreachable, st.Name)
	}
	var primaries, answering []string
	for _, m := range st.Members {
		if m.Reachable && m.State == "PRIMARY" {
			primaries = append(primaries, fmt.Sprintf("%s (%s)", m.Host, m.Site))
		}
		if m.Reachable && m.Site != toSite && !m.Arbiter {
			answering = append(answering, fmt.Sprintf("%s (%s, %s)", m.Host, m.Site, dash(m.State)))
		}
	}
	if len(primaries) > 0 {
		return nil, fmt.Errorf("%w: %s is primary; a forced failover now would split the set: use citadel cluster switchover --rs %s --to-site %s",
			ErrPrimaryExists, strings.Join(primaries, ", "), st.Name, toSite)
	}
	if len(answering) > 0 {
		return nil, fmt.Errorf("%w: %s still answer; the site is not gone. Find out why there is no primary (citadel cluster status) before forcing anything",
			ErrSiteAnswers, strings.Join(answering, ", "))
	}
	fp := &FailoverPlan{Set: st.Name, ToSite: toSite, Previous: st.Config.Clone()}
	next := st.Config.Clone()
	next.Members = nil
	for _, m := range st.Config.Members {
		ms := st.Member(m.Host)
		if ms == nil || !ms.Reachable || (ms.Site != toSite && !m.ArbiterOnly) {
			fp.Lost = append(fp.Lost, m.Host)
			continue
		}
		m.NewlyAdded = nil
		next.Members = append(next.Members, m.Clone())
		fp.Survivors = append(fp.Survivors, Survivor{Host: m.Host, Site: ms.Site, State: ms.State, OpTime: ms.OpTime, OpTimeDate: ms.OpTimeDate})
	}
	if !slices.ContainsFunc(fp.Survivors, func(s Survivor) bool { return s.Site == toSite }) {
		return nil, fmt.Errorf("%w: no member of %s answers; start them before a failover to %s", ErrUnreachable, toSite, toSite)
	}
	slices.SortStableFunc(fp.Survivors, func(a, b Survivor) int { return compareOpTime(b.OpTime, a.OpTime) })
	fp.RunOn = fp.Survivors[0].Host
	fp.Changes = ensureElectable(next, st)
	next.Version, next.Term = st.Config.Version+1, 0
	if err := ValidateConfig(next); err != nil {
		return nil, fmt.Errorf("build forced config: %w", err)
	}
	fp.Config = next
	return fp, nil
}

func compareOpTime(a, b OpTime) int {
	switch {
	case a.After(b):
		return 1
	case b.After(a):
		return -1
	}
	return 0
}

// ensureElectable makes the surviving data member with the newest optime
// electable when no survivor is (it is unhidden, given a vote and priority
// 1), and keeps the voters within seven.
func ensureElectable(c *Config, st *State) []string {
	if electableCount(c) > 0 {
		return nil
	}
	best := -1
	for i, m := range c.Members {
		if m.ArbiterOnly || m.SecondaryDelaySecs > 0 || !m.BuildIndexes {
			continue
		}
		if best < 0 || st.Member(m.Host).OpTime.After(st.Member(c.Members[best].Host).OpTime) {
			best = i
		}
	}
	if best < 0 {
		return nil // ValidateConfig reports it
	}
	m := &c.Members[best]
	if !m.Voter() && c.Voters() >= MaxVoters {
		return nil
	}
	m.Hidden, m.Votes, m.Priority = false, 1, 1
	return []string{fmt.Sprintf("%s made electable (visible, votes 1, priority 1): no other survivor could become primary", m.Host)}
}
