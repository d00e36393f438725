package mongosim

import (
	"fmt"
	"time"

	"github.com/noscites/citadel/internal/mongosim/replset"
)

// Stop takes a member down: its listener and connections close, it stops
// replicating and the others stop hearing from it.
func (s *Sim) Stop(host string) error {
	m, err := s.member(host)
	if err != nil {
		return err
	}
	m.set.stopMember(m)
	return nil
}

func (s *Set) stopMember(m *Member) {
	m.writeMu.Lock()
	s.mu.Lock()
	s.rs.Stop(m.host)
	m.writable = false
	s.handleEventsLocked(s.rs.TakeEvents())
	s.refreshTopologyLocked()
	s.notifyLocked()
	s.mu.Unlock()
	m.writeMu.Unlock()
	m.stopListening()
	s.log.Info("member stopped", "host", m.host)
}

// Start brings a stopped member back; it rejoins as a secondary.
func (s *Sim) Start(host string) error {
	m, err := s.member(host)
	if err != nil {
		return err
	}
	m.set.mu.Lock()
	up := m.node().Up
	m.set.mu.Unlock()
	if up {
		return nil
	}
	if err := m.listen(); err != nil {
		return err
	}
	m.set.mu.Lock()
	m.set.rs.Start(host, m.set.now())
	m.set.refreshTopologyLocked()
	m.set.notifyLocked()
	m.set.mu.Unlock()
	s.log.Info("member started", "host", host)
	return nil
}

// Partition splits the members into groups that only reach inside
// themselves; members in no group form one more group together.
func (s *Sim) Partition(groups ...[]string) error {
	for _, g := range groups {
		for _, h := range g {
			if _, err := s.member(h); err != nil {
				return err
			}
		}
	}
	for _, set := range s.sets {
		set.mu.Lock()
		set.rs.Partition(groups)
		set.notifyLocked()
		set.mu.Unlock()
	}
	s.log.Info("partition", "groups", fmt.Sprint(groups))
	return nil
}

// Heal removes every partition.
func (s *Sim) Heal() {
	for _, set := range s.sets {
		set.mu.Lock()
		set.rs.Heal()
		set.notifyLocked()
		set.mu.Unlock()
	}
	s.log.Info("healed")
}

// SetLag makes a member apply entries only once they are d old.
func (s *Sim) SetLag(host string, d time.Duration) error {
	m, err := s.member(host)
	if err != nil {
		return err
	}
	m.set.mu.Lock()
	m.lag = d
	m.set.notifyLocked()
	m.set.mu.Unlock()
	return nil
}

// PauseReplication stops a member from applying entries until resumed.
func (s *Sim) PauseReplication(host string) error { return s.setPaused(host, true) }

// ResumeReplication lets a paused member apply entries again.
func (s *Sim) ResumeReplication(host string) error { return s.setPaused(host, false) }

func (s *Sim) setPaused(host string, p bool) error {
	m, err := s.member(host)
	if err != nil {
		return err
	}
	m.set.mu.Lock()
	m.paused = p
	m.set.notifyLocked()
	m.set.mu.Unlock()
	return nil
}

// MemberState is one member in State's answer.
type MemberState struct {
	Set       string     `json:"set"`
	Host      string     `json:"host"`
	Site      string     `json:"site"`
	Addr      string     `json:"addr"`
	Up        bool       `json:"up"`
	State     string     `json:"state"`
	Term      int64      `json:"term"`
	Optime    OptimeJSON `json:"optime"`
	Group     int        `json:"partition_group"`
	Lag       string     `json:"lag,omitempty"`
	Paused    bool       `json:"paused,omitempty"`
	SyncFrom  string     `json:"sync_source,omitempty"`
	OplogSize int        `json:"oplog_entries"`
}

// OptimeJSON is an optime for JSON.
type OptimeJSON struct {
	T  uint32 `json:"ts_t"`
	I  uint32 `json:"ts_i"`
	Tm int64  `json:"t"`
}

// State reports every member: up or down, state, optime, partition group.
func (s *Sim) State() []MemberState {
	var out []MemberState
	for _, set := range s.sets {
		set.mu.Lock()
		for _, m := range set.members {
			n := m.node()
			st := n.State.String()
			if !n.Up {
				st = "DOWN"
			}
			last := m.log.Last()
			ms := MemberState{Set: set.name, Host: m.host, Site: m.site, Addr: m.addr, Up: n.Up, State: st, Term: n.Term,
				Optime: OptimeJSON{T: last.TS.T, I: last.TS.I, Tm: last.T}, Group: set.rs.Group(m.host),
				Paused: m.paused, SyncFrom: set.rs.SyncSource(m.host), OplogSize: m.log.Len()}
			if m.lag > 0 {
				ms.Lag = m.lag.String()
			}
			out = append(out, ms)
		}
		set.mu.Unlock()
	}
	return out
}

// Primary returns the host of the set's writable primary, "" if none.
func (s *Sim) Primary(setName string) string {
	for _, set := range s.sets {
		if set.name != setName {
			continue
		}
		set.mu.Lock()
		defer set.mu.Unlock()
		for _, m := range set.members {
			if n := m.node(); n.Up && n.State == replset.Primary && m.writable {
				return m.host
			}
		}
	}
	return ""
}
