package config

import "sort"

// MaxVotingMembers and MaxMembers are mongod's limits.
const (
	MaxVotingMembers = 7
	MaxMembers       = 50
)

// SiteLoss says what losing one site means for a replica set.
type SiteLoss struct {
	Site          string `json:"site"`
	Votes         int    `json:"votes"`          // voting members in the site
	Remaining     int    `json:"remaining"`      // votes left when it is lost
	Majority      int    `json:"majority"`       // votes needed to elect a primary
	KeepsPrimary  bool   `json:"keeps_primary"`  // a primary can still be elected
	ElectableLeft bool   `json:"electable_left"` // an electable member remains elsewhere
}

// Quorum describes the voting layout of a replica set across sites.
func (rs *ReplicaSet) Quorum() []SiteLoss {
	votes := map[string]int{}
	total := 0
	for _, m := range rs.Members {
		votes[m.Site] += m.EffectiveVotes()
		total += m.EffectiveVotes()
	}
	sites := make([]string, 0, len(votes))
	for s := range votes {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	majority := total/2 + 1
	out := make([]SiteLoss, 0, len(sites))
	for _, s := range sites {
		electable := false
		for _, m := range rs.Members {
			if m.Site != s && m.Electable() {
				electable = true
			}
		}
		left := total - votes[s]
		out = append(out, SiteLoss{
			Site: s, Votes: votes[s], Remaining: left, Majority: majority,
			KeepsPrimary: left >= majority && electable, ElectableLeft: electable,
		})
	}
	return out
}

// VotingMembers counts members with a vote.
func (rs *ReplicaSet) VotingMembers() int {
	n := 0
	for _, m := range rs.Members {
		if m.EffectiveVotes() > 0 {
			n++
		}
	}
	return n
}

// MembersIn returns the members located in a site.
func (rs *ReplicaSet) MembersIn(site string) []Member {
	var out []Member
	for _, m := range rs.Members {
		if m.Site == site {
			out = append(out, m)
		}
	}
	return out
}
