package replset

import (
	"time"
)

// Node is the state of one member as the set holds it.
type Node struct {
	Host   string
	Up     bool
	Config *Config // nil while uninitiated
	State  MemberState
	Term   int64

	Applied     OpTime
	AppliedWall time.Time

	// Primary is the host this node believes is primary ("" if none).
	Primary        string
	PrimaryContact time.Time
	// StepDownUntil is the end of a step-down or freeze period: mongod
	// keeps one timer for both (replSetStepDown sets it, replSetFreeze N
	// extends it, replSetFreeze 0 ends it).
	StepDownUntil  time.Time
	ElectionTime   time.Time
	ElectionOpTime OpTime
	UpSince        time.Time
	LastHeartbeat  map[string]time.Time
	RBID           int

	lostMajoritySince time.Time
	takeoverSince     time.Time
	// heard holds the members this node has exchanged a heartbeat with
	// since they last became reachable: a node acts only on what its
	// heartbeats told it (sync source, primary), never on the live state of
	// a member it has not heard from since a partition healed.
	heard map[string]bool
}

// Self returns this node's own member config, or nil.
func (n *Node) Self() *MemberConfig {
	if n.Config == nil {
		return nil
	}
	return n.Config.Member(n.Host)
}

// EventKind says what a Tick or command changed.
type EventKind int

// Events.
const (
	Elected EventKind = iota + 1
	SteppedDown
	ConfigInstalled
)

// Event is a decision the machine took.
type Event struct {
	Kind EventKind
	Host string
	Term int64
	// From is the former primary a takeover replaced ("" otherwise).
	From string
}

// Set is one replica set: every member's state and who can reach whom.
type Set struct {
	Name   string
	nodes  map[string]*Node
	order  []string
	group  map[string]int
	lastHB time.Time
	// HeartbeatInterval and ElectionTimeout apply until a config says otherwise.
	HeartbeatInterval time.Duration
	ElectionTimeout   time.Duration
	events            []Event
}

// New returns a set of uninitiated, running members.
func New(name string, hosts []string, now time.Time) *Set {
	s := &Set{Name: name, nodes: map[string]*Node{}, group: map[string]int{},
		HeartbeatInterval: 2 * time.Second, ElectionTimeout: 10 * time.Second}
	for _, h := range hosts {
		s.nodes[h] = &Node{Host: h, Up: true, State: Startup, UpSince: now, LastHeartbeat: map[string]time.Time{}, heard: map[string]bool{}}
		s.order = append(s.order, h)
	}
	return s
}

// Node returns the node with that host, or nil.
func (s *Set) Node(host string) *Node { return s.nodes[host] }

// Hosts lists every simulated member.
func (s *Set) Hosts() []string { return append([]string(nil), s.order...) }

// Reachable reports whether a and b are both up and in the same partition group.
func (s *Set) Reachable(a, b string) bool {
	na, nb := s.nodes[a], s.nodes[b]
	if na == nil || nb == nil || !na.Up || !nb.Up {
		return false
	}
	return a == b || s.group[a] == s.group[b]
}

// Group returns the partition group of host (0 when not partitioned).
func (s *Set) Group(host string) int { return s.group[host] }

func (s *Set) emit(e Event) { s.events = append(s.events, e) }

// TakeEvents returns and clears the events emitted so far.
func (s *Set) TakeEvents() []Event {
	ev := s.events
	s.events = nil
	return ev
}

// Stop takes a member down.
func (s *Set) Stop(host string) {
	n := s.nodes[host]
	if n == nil || !n.Up {
		return
	}
	if n.State == Primary {
		s.emit(Event{Kind: SteppedDown, Host: host, Term: n.Term})
	}
	n.Up = false
	n.Primary = ""
	s.forgetUnreachable()
}

// Start brings a member back: it rejoins as a secondary (or its former state
// if it never had a config) and restarts its election timer.
func (s *Set) Start(host string, now time.Time) {
	n := s.nodes[host]
	if n == nil || n.Up {
		return
	}
	n.Up, n.UpSince, n.PrimaryContact, n.Primary = true, now, now, ""
	n.lostMajoritySince, n.takeoverSince = time.Time{}, time.Time{}
	switch {
	case n.Config == nil:
		n.State = Startup
	case n.Self() == nil:
		n.State = Removed
	case n.Self().ArbiterOnly:
		n.State = Arbiter
	case n.State != Startup2:
		n.State = Secondary
	}
	s.forgetUnreachable()
}

// Partition splits members into groups that only reach inside themselves;
// members named in no group share one more group.
func (s *Set) Partition(groups [][]string) {
	s.group = map[string]int{}
	for i, g := range groups {
		for _, h := range g {
			if _, ok := s.nodes[h]; ok {
				s.group[h] = i + 1
			}
		}
	}
	s.forgetUnreachable()
}

// Heal removes every partition. Members learn about each other again at
// their next heartbeat.
func (s *Set) Heal() {
	s.group = map[string]int{}
	s.forgetUnreachable()
}

// forgetUnreachable drops what nodes heard from members they no longer
// reach, so that after a heal they act only once a heartbeat went through.
func (s *Set) forgetUnreachable() {
	for _, a := range s.order {
		na := s.nodes[a]
		for b := range na.heard {
			if !s.Reachable(a, b) {
				delete(na.heard, b)
			}
		}
	}
}

// SetApplied records a member's last applied optime.
func (s *Set) SetApplied(host string, op OpTime, wall time.Time) {
	if n := s.nodes[host]; n != nil {
		n.Applied, n.AppliedWall = op, wall
	}
}

// SetState lets the data side move a member between data states
// (STARTUP2 → SECONDARY after initial sync, ROLLBACK and back).
func (s *Set) SetState(host string, st MemberState) {
	if n := s.nodes[host]; n != nil && n.State != Primary {
		n.State = st
		if st == Rollback {
			n.RBID++
		}
	}
}

// timing returns heartbeat interval and election timeout from a config.
func (s *Set) timing(c *Config) (time.Duration, time.Duration) {
	if c == nil {
		return s.HeartbeatInterval, s.ElectionTimeout
	}
	return time.Duration(c.Settings.HeartbeatIntervalMillis) * time.Millisecond,
		time.Duration(c.Settings.ElectionTimeoutMillis) * time.Millisecond
}

// PrimaryOf returns the host the node believes is primary, "" if none.
func (s *Set) PrimaryOf(host string) string {
	n := s.nodes[host]
	if n == nil || !n.Up {
		return ""
	}
	if n.State == Primary {
		return host
	}
	return n.Primary
}

// SyncSource picks where a member fetches oplog entries from: its primary
// when reachable, else (chaining) the reachable data member furthest ahead,
// among the members of its config it has heard from since they became
// reachable. A member absent from its own config (REMOVED) syncs from no
// one.
func (s *Set) SyncSource(host string) string {
	n := s.nodes[host]
	if n == nil || !n.Up || n.Config == nil || n.State == Primary || n.State == Arbiter || n.Self() == nil {
		return ""
	}
	if p := n.Primary; p != "" && n.heard[p] && s.Reachable(host, p) && s.nodes[p].State == Primary {
		return p
	}
	if !n.Config.Settings.ChainingAllowed {
		return ""
	}
	best := ""
	for _, h := range s.order {
		o := s.nodes[h]
		m := n.Config.Member(h)
		if h == host || m == nil || m.ArbiterOnly || !n.heard[h] || !s.Reachable(host, h) || (o.State != Secondary && o.State != Primary) {
			continue
		}
		if n.Applied.Less(o.Applied) && (best == "" || s.nodes[best].Applied.Less(o.Applied)) {
			best = h
		}
	}
	return best
}
