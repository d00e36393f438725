package replset

import (
	"sort"
	"time"
)

// FreshnessWindow is how close to the primary a member must be to take over
// by priority (mongod's priorityTakeoverFreshnessWindowSeconds).
const FreshnessWindow = 2

// Tick advances the set to now: heartbeats, a primary that lost its
// majority steps down, elections after the election timeout, priority
// takeovers. It returns the events taken.
func (s *Set) Tick(now time.Time) []Event {
	hb := s.HeartbeatInterval
	for _, n := range s.nodes {
		if n.Config != nil {
			h, _ := s.timing(n.Config)
			hb = min(hb, h)
		}
	}
	if now.Sub(s.lastHB) >= hb {
		s.Heartbeat(now)
	}
	for _, h := range s.order {
		if n := s.nodes[h]; n.Up && n.State == Primary {
			s.checkMajority(n, now)
		}
	}
	s.elections(now)
	s.takeovers(now)
	return s.TakeEvents()
}

// Heartbeat exchanges heartbeats between reachable members, as mongod
// does: a node heartbeats the members of its config; it learns a newer
// config from a member it heartbeats or that heartbeats it (it fetches the
// config back from the sender), learns a higher term only from the replies
// to its own heartbeats, and learns who is primary. A node absent from its
// newest config (REMOVED) still heartbeats that config's members, so it
// learns when it is added back.
func (s *Set) Heartbeat(now time.Time) {
	s.lastHB = now
	for _, a := range s.order {
		for _, b := range s.order {
			if a == b || !s.Reachable(a, b) {
				continue
			}
			na, nb := s.nodes[a], s.nodes[b]
			aBeatsB := na.Config != nil && na.Config.Member(b) != nil
			bBeatsA := nb.Config != nil && nb.Config.Member(a) != nil
			if !aBeatsB && !bBeatsA {
				continue
			}
			na.LastHeartbeat[b], na.heard[b] = now, true
			if nb.Config != nil && nb.Config.Newer(na.Config) {
				s.install(na, nb.Config.Clone(), now)
			}
			if aBeatsB && nb.Term > na.Term {
				s.adoptTerm(na, nb.Term)
			}
		}
	}
	s.learnPrimaries(now)
}

// learnPrimaries sets, for every node, the primary its heartbeats show.
func (s *Set) learnPrimaries(now time.Time) {
	for _, a := range s.order {
		na := s.nodes[a]
		if !na.Up || na.State == Primary {
			continue
		}
		na.Primary = ""
		for _, b := range s.order {
			nb := s.nodes[b]
			if b != a && na.heard[b] && nb.State == Primary && nb.Term >= na.Term && na.Config != nil && na.Config.Member(b) != nil {
				na.Primary, na.PrimaryContact = b, now
			}
		}
	}
}

func (s *Set) adoptTerm(n *Node, term int64) {
	n.Term = term
	if n.State == Primary {
		s.stepDown(n)
	}
}

func (s *Set) stepDown(n *Node) {
	n.State = Secondary
	n.Primary = ""
	n.lostMajoritySince = time.Time{}
	s.emit(Event{Kind: SteppedDown, Host: n.Host, Term: n.Term})
}

// install puts a config on a node and sets its state from it.
func (s *Set) install(n *Node, c *Config, now time.Time) {
	wasUninit := n.Config == nil
	n.Config = c
	self := c.Member(n.Host)
	switch {
	case self == nil:
		if n.State == Primary {
			s.stepDown(n)
		}
		n.State = Removed
	case self.ArbiterOnly:
		n.State = Arbiter
	case wasUninit || n.State == Startup || (n.State == Removed && n.Applied.IsZero()):
		// No data yet: initial sync.
		n.State = Startup2
		n.PrimaryContact = now
	case n.State == Removed:
		// Added back with its data: it resumes as the follower it was
		// (mongod keeps its follower mode while REMOVED) and syncs, rolling
		// back first whatever its sync source does not have.
		n.State = Secondary
		n.PrimaryContact = now
	case n.State == Primary && !self.Electable():
		s.stepDown(n)
	}
	s.emit(Event{Kind: ConfigInstalled, Host: n.Host, Term: n.Term})
}

// checkMajority steps a primary down once it has not reached a majority of
// voters for an election timeout.
func (s *Set) checkMajority(p *Node, now time.Time) {
	_, et := s.timing(p.Config)
	votes := 0
	for _, m := range p.Config.Members {
		if m.Votes > 0 && s.Reachable(p.Host, m.Host) {
			votes++
		}
	}
	if votes >= p.Config.MajorityVoteCount() {
		p.lostMajoritySince = time.Time{}
		return
	}
	if p.lostMajoritySince.IsZero() {
		p.lostMajoritySince = now
	}
	if now.Sub(p.lostMajoritySince) >= et {
		s.stepDown(p)
	}
}

// canStand reports whether a node may run for election now.
func (s *Set) canStand(n *Node, now time.Time) bool {
	self := n.Self()
	return n.Up && self != nil && self.Electable() && n.State == Secondary && !now.Before(n.StepDownUntil)
}

// elections lets candidates whose election timer expired run, best first:
// highest priority, then most up to date, then lowest _id.
func (s *Set) elections(now time.Time) {
	var cands []*Node
	for _, h := range s.order {
		n := s.nodes[h]
		if !s.canStand(n, now) || (n.Primary != "" && s.Reachable(h, n.Primary)) {
			continue
		}
		_, et := s.timing(n.Config)
		single := n.Config.Voters() == 1
		if single || now.Sub(n.PrimaryContact) >= et {
			cands = append(cands, n)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return better(cands[i], cands[j]) })
	for _, c := range cands {
		if c.State == Secondary && s.RunElection(c.Host, now, "") {
			return
		}
	}
}

func better(a, b *Node) bool {
	pa, pb := a.Self().Priority, b.Self().Priority
	if pa != pb {
		return pa > pb
	}
	if a.Applied != b.Applied {
		return b.Applied.Less(a.Applied)
	}
	return a.Self().ID < b.Self().ID
}

// RunElection has host ask for votes in a new term. Voters are reachable
// voting members (by the candidate's config) whose term is lower than the
// new term and whose last applied optime is not ahead of the candidate's.
// It reports whether host won; the winner's term is max(terms)+1.
func (s *Set) RunElection(host string, now time.Time, from string) bool {
	c := s.nodes[host]
	if c == nil || c.Config == nil {
		return false
	}
	newTerm := c.Term + 1
	var voters []*Node
	for _, m := range c.Config.Members {
		if m.Votes == 0 || !s.Reachable(host, m.Host) {
			continue
		}
		v := s.nodes[m.Host]
		newTerm = max(newTerm, v.Term+1)
		voters = append(voters, v)
	}
	yes := 0
	for _, v := range voters {
		if v == c || !c.Applied.Less(v.Applied) {
			yes++
		}
	}
	if yes < c.Config.MajorityVoteCount() {
		return false
	}
	for _, v := range voters {
		if v != c && v.State == Primary {
			s.stepDown(v)
			from = v.Host
		}
		v.Term = newTerm
	}
	c.Term, c.State, c.Primary = newTerm, Primary, ""
	// On step-up mongod rewrites its config with the new term, so configs
	// order by the term of the primary that installed them.
	c.Config = c.Config.Clone()
	c.Config.Term = newTerm
	c.ElectionTime, c.ElectionOpTime = now, c.Applied
	c.takeoverSince, c.lostMajoritySince = time.Time{}, time.Time{}
	for _, v := range voters {
		if v != c {
			v.Primary, v.PrimaryContact = host, now
		}
	}
	s.emit(Event{Kind: Elected, Host: host, Term: newTerm, From: from})
	return true
}

// takeovers lets a caught-up secondary with a higher priority than the
// primary it sees replace it after (rank+1) election timeouts, rank being
// the number of electable members with a higher priority.
func (s *Set) takeovers(now time.Time) {
	for _, h := range s.order {
		n := s.nodes[h]
		if !s.canStand(n, now) || n.Primary == "" || !s.Reachable(h, n.Primary) {
			n.takeoverSince = time.Time{}
			continue
		}
		p := s.nodes[n.Primary]
		pm := n.Config.Member(p.Host)
		caughtUp := p.Applied.T == n.Applied.T && int64(p.Applied.TS.T)-int64(n.Applied.TS.T) <= FreshnessWindow
		if pm == nil || n.Self().Priority <= pm.Priority || !caughtUp {
			n.takeoverSince = time.Time{}
			continue
		}
		if n.takeoverSince.IsZero() {
			n.takeoverSince = now
		}
		_, et := s.timing(n.Config)
		if now.Sub(n.takeoverSince) >= time.Duration(s.priorityRank(n)+1)*et {
			s.RunElection(h, now, p.Host)
		}
	}
}

func (s *Set) priorityRank(n *Node) int {
	rank := 0
	for _, m := range n.Config.Members {
		if m.Electable() && m.Priority > n.Self().Priority {
			rank++
		}
	}
	return rank
}
