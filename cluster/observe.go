package cluster

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/noscites/citadel/config"
)

// probe is what one direct look at a member found.
type probe struct {
	host   string
	hello  helloReply
	err    error
	status *statusReply
	config *Config
}

// Observe looks at every member of the set: the file's hosts and any host of
// the live config, each through its own direct connection and in parallel.
// It never fails because members are down: they are reported as such, and
// listed in State.Unreachable (with no config seen, State.Unknown).
func (m *Manager) Observe(ctx context.Context, rs *config.ReplicaSet) (*State, error) {
	st := &State{Name: rs.Name, ObservedAt: m.now()}
	hosts := fileHosts(rs)
	probes := m.probeAll(ctx, hosts)
	// Hosts of the live config the file no longer lists are members too.
	if cfg := bestConfig(probes); cfg != nil {
		var extra []string
		for _, cm := range cfg.Members {
			if !slices.ContainsFunc(hosts, func(h string) bool { return sameHost(h, cm.Host) }) {
				extra = append(extra, cm.Host)
			}
		}
		probes = append(probes, m.probeAll(ctx, extra)...)
	}
	st.Config = bestConfig(probes)
	st.Initiated = st.Config != nil
	for _, p := range probes {
		if p.err == nil && p.hello.IsWritablePrimary && p.hello.SetName == rs.Name {
			if st.Primary == "" || p.status != nil && p.status.Term > st.Term {
				st.Primary = p.host
				if p.status != nil {
					st.Term = p.status.Term
				}
			}
		}
	}
	if st.Primary != "" {
		m.fromPrimary(ctx, st)
	} else {
		for _, p := range probes {
			if p.status != nil {
				st.Term = max(st.Term, p.status.Term)
			}
		}
	}
	st.Members = m.members(st, rs, probes)
	for _, p := range probes {
		if p.err != nil {
			st.Unreachable = append(st.Unreachable, p.host)
		}
	}
	return st, nil
}

func fileHosts(rs *config.ReplicaSet) []string {
	out := make([]string, 0, len(rs.Members))
	for _, fm := range rs.Members {
		out = append(out, fm.Host)
	}
	return out
}

func (m *Manager) probeAll(ctx context.Context, hosts []string) []probe {
	out := make([]probe, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() { out[i] = m.probe(ctx, h) })
	}
	wg.Wait()
	return out
}

func (m *Manager) probe(ctx context.Context, host string) probe {
	p := probe{host: host}
	p.hello, p.err = m.dial.hello(ctx, host)
	if p.err != nil {
		return p
	}
	if st, err := m.dial.replSetGetStatus(ctx, host); err == nil {
		p.status = &st
	}
	// A member removed from the set answers hello like an uninitiated one
	// but still holds a config.
	if r, err := m.dial.replSetGetConfig(ctx, host, false); err == nil {
		p.config = r.Config
	}
	return p
}

// bestConfig is the newest config any member holds.
func bestConfig(ps []probe) *Config {
	var best *Config
	for _, p := range ps {
		if c := p.config; c != nil && (best == nil || c.NewerThan(best)) {
			best = c
		}
	}
	return best
}

// fromPrimary reads what only the primary knows: the committed config, the
// cluster-wide write concern, the oplog window.
func (m *Manager) fromPrimary(ctx context.Context, st *State) {
	if r, err := m.dial.replSetGetConfig(ctx, st.Primary, true); err == nil {
		st.Config, st.Committed = r.Config, r.CommitmentStatus
	} else {
		m.log.Debug("read commitment status", "host", st.Primary, "err", err)
	}
	if w, err := m.dial.defaultWriteConcern(ctx, st.Primary); err == nil {
		st.DefaultWriteConcern, st.DefaultWCKnown = w, true
	}
	first, err1 := m.dial.oplogEnd(ctx, st.Primary, false)
	last, err2 := m.dial.oplogEnd(ctx, st.Primary, true)
	if err1 == nil && err2 == nil {
		st.Oplog = OplogWindow{Host: st.Primary, First: first.Wall, Last: last.Wall}
	} else {
		m.log.Debug("read oplog window", "host", st.Primary, "first", err1, "last", err2)
	}
}

// members merges the config, the primary's view and each member's own view.
func (m *Manager) members(st *State, rs *config.ReplicaSet, probes []probe) []MemberState {
	var view map[string]statusMember
	for _, p := range probes {
		if sameHost(p.host, st.Primary) && p.status != nil {
			view = map[string]statusMember{}
			for _, sm := range p.status.Members {
				view[normHost(sm.Name)] = sm
			}
		}
	}
	var primaryDate time.Time
	if pv, ok := view[normHost(st.Primary)]; ok {
		primaryDate = pv.OpTimeDate
	}
	out := make([]MemberState, 0, len(probes))
	for _, p := range probes {
		ms := MemberState{Host: p.host, ID: -1, Reachable: p.err == nil, Site: siteFor(rs, st.Config, p.host)}
		if p.err != nil {
			ms.Error, ms.State = shortError(p.err), "DOWN"
		} else {
			ms.SetName, ms.ConfigVer = p.hello.SetName, p.hello.SetVersion
			ms.Uninitiated = p.config == nil
			if p.config != nil && p.hello.SetName == "" {
				ms.State, ms.SetName, ms.ConfigVer = "REMOVED", p.config.ID, p.config.Version
			}
		}
		if self := selfStatus(p); self != nil {
			ms.State, ms.OpTime, ms.OpTimeDate, ms.SyncSource = self.StateStr, self.OpTime, self.OpTimeDate, self.SyncSourceHost
		}
		ms.Health = ms.Reachable && view == nil
		if pv, ok := view[normHost(p.host)]; ok {
			ms.Health, ms.State = pv.Health >= 1, pv.StateStr
			ms.OpTime, ms.OpTimeDate, ms.SyncSource = pv.OpTime, pv.OpTimeDate, pv.SyncSourceHost
			if !primaryDate.IsZero() && !pv.OpTimeDate.IsZero() {
				ms.Lag, ms.LagKnown = Seconds(max(0, primaryDate.Sub(pv.OpTimeDate))), true
			}
		}
		if st.Config != nil {
			if cm := st.Config.Member(p.host); cm != nil {
				ms.InConfig, ms.ID = true, cm.ID
				ms.Priority, ms.Votes, ms.Hidden, ms.Arbiter = cm.Priority, cm.Votes, cm.Hidden, cm.ArbiterOnly
				ms.NewlyAdded, ms.DelaySecs = cm.IsNewlyAdded(), cm.SecondaryDelaySecs
			}
		}
		if ms.State == "" && ms.Uninitiated {
			ms.State = "UNINITIATED"
		}
		out = append(out, ms)
	}
	return out
}

func selfStatus(p probe) *statusMember {
	if p.status == nil {
		return nil
	}
	for i := range p.status.Members {
		if p.status.Members[i].Self {
			return &p.status.Members[i]
		}
	}
	return nil
}

// siteFor is the file's site of a host, else its live "site" tag.
func siteFor(rs *config.ReplicaSet, live *Config, host string) string {
	for _, fm := range rs.Members {
		if sameHost(fm.Host, host) {
			return fm.Site
		}
	}
	if live != nil {
		if cm := live.Member(host); cm != nil {
			return cm.Tags["site"]
		}
	}
	return ""
}

// shortError keeps the useful part of a driver error: the last connection
// error of a server selection failure, or the first line, bounded.
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "Last error: "); i >= 0 {
		s = s[i+len("Last error: "):]
		if j := strings.IndexAny(s, "}]"); j >= 0 {
			s = s[:j]
		}
		s = strings.TrimSpace(s)
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
