package cluster

import (
	"fmt"

	"github.com/noscites/citadel/config"
)

// SiteReport says where the votes are and what losing each site means,
// computed from the live configuration (newly added members do not vote yet).
type SiteReport struct {
	Voters   int `json:"voters"`
	Majority int `json:"majority"`
	// MajoritySite holds a voting majority on its own; "" when no site does.
	MajoritySite string            `json:"majority_site"`
	Losses       []config.SiteLoss `json:"losses"`
}

// AnalyzeSites computes the site report of the observed set with the
// config package's Quorum, so `config validate` and `cluster status` agree.
func AnalyzeSites(st *State) SiteReport {
	if st.Config == nil {
		return SiteReport{}
	}
	rs := liveReplicaSet(st)
	rep := SiteReport{Voters: rs.VotingMembers()}
	rep.Majority = Majority(rep.Voters)
	rep.Losses = rs.Quorum()
	for _, l := range rep.Losses {
		if l.Votes >= rep.Majority {
			rep.MajoritySite = l.Site
		}
	}
	return rep
}

// liveReplicaSet expresses the live config as the config package's type,
// with each member's site.
func liveReplicaSet(st *State) *config.ReplicaSet {
	rs := &config.ReplicaSet{Name: st.Name}
	for _, m := range st.Config.Members {
		pri, votes := m.Priority, m.Votes
		if m.IsNewlyAdded() {
			votes = 0
		}
		site := st.SiteOf(m.Host)
		if site == "" {
			site = m.Tags["site"]
		}
		if site == "" {
			site = "unknown"
		}
		rs.Members = append(rs.Members, config.Member{
			Host: m.Host, Site: site, Priority: &pri, Votes: &votes,
			Hidden: m.Hidden, Arbiter: m.ArbiterOnly,
		})
	}
	return rs
}

// LossSentence explains one site loss in words an operator acts on.
func LossSentence(set string, rep SiteReport, l config.SiteLoss, sites []string) string {
	switch {
	case l.Votes == 0:
		return fmt.Sprintf("losing %s: it holds no vote; the set keeps its primary", l.Site)
	case l.KeepsPrimary:
		return fmt.Sprintf("losing %s: %s, %d needed: the set keeps or elects a primary", l.Site, votes(l.Remaining), l.Majority)
	case !l.ElectableLeft:
		return fmt.Sprintf("losing %s: no electable member remains elsewhere; no primary until %s is back", l.Site, l.Site)
	}
	to := "SITE"
	for _, s := range sites {
		if s != l.Site {
			to = s
			break
		}
	}
	return fmt.Sprintf("losing %s: %s, %d needed: no primary until an operator runs citadel cluster failover --rs %s --to-site %s --force",
		l.Site, votes(l.Remaining), l.Majority, set, to)
}

func votes(n int) string {
	if n == 1 {
		return "1 vote remains"
	}
	return fmt.Sprintf("%d votes remain", n)
}
