package mongosim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// tickEvery is how often the set's state machine is advanced.
const tickEvery = 20 * time.Millisecond

// Set is one simulated replica set: the state machine and its members.
type Set struct {
	name    string
	log     *slog.Logger
	now     func() time.Time
	members []*Member
	byHost  map[string]*Member
	wg      sync.WaitGroup

	mu       sync.Mutex // guards everything below and every member's oplog
	rs       *replset.Set
	changed  chan struct{}
	topology int64
	prints   map[string]string
	rwc      rwDefaults
	ctx      context.Context
}

func newSet(rc config.ReplicaSet, hb, et time.Duration, log *slog.Logger) *Set {
	hosts := make([]string, len(rc.Members))
	for i, m := range rc.Members {
		hosts[i] = m.Host
	}
	s := &Set{name: rc.Name, log: log, now: time.Now, byHost: map[string]*Member{},
		changed: make(chan struct{}), prints: map[string]string{}}
	s.rs = replset.New(rc.Name, hosts, s.now())
	s.rs.HeartbeatInterval, s.rs.ElectionTimeout = hb, et
	return s
}

// notifyLocked wakes every waiter; s.mu must be held.
func (s *Set) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until the set changes, the deadline passes or ctx ends;
// ch must have been read under s.mu before the predicate was checked.
func wait(ctx context.Context, ch <-chan struct{}, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// run starts the ticker and every member's applier.
func (s *Set) run(ctx context.Context) {
	s.ctx = ctx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.tick(ctx)
			}
		}
	}()
	for _, m := range s.members {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			m.applyLoop(ctx)
		}()
	}
}

func (s *Set) tick(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.rs.Tick(s.now())
	s.handleEventsLocked(events)
	s.refreshTopologyLocked()
}

// handleEventsLocked reacts to the machine's decisions.
func (s *Set) handleEventsLocked(events []replset.Event) {
	for _, e := range events {
		switch e.Kind {
		case replset.Elected:
			s.log.Info("elected primary", "host", e.Host, "term", e.Term, "takeover_from", e.From)
			m := s.byHost[e.Host]
			m.writable = false
			go m.becomePrimary(s.ctx, e.Term)
		case replset.SteppedDown:
			s.log.Info("stepped down", "host", e.Host, "term", e.Term)
			s.byHost[e.Host].writable = false
		case replset.ConfigInstalled:
			n := s.rs.Node(e.Host)
			if n.Config != nil {
				s.log.Debug("config installed", "host", e.Host, "version", n.Config.Version, "term", n.Config.Term)
			}
		}
	}
	if len(events) > 0 {
		s.notifyLocked()
	}
}

// refreshTopologyLocked bumps the topology version when anything a hello
// reply shows has changed, and wakes streaming hellos.
func (s *Set) refreshTopologyLocked() {
	changed := false
	for _, m := range s.members {
		n := s.rs.Node(m.host)
		p := fmt.Sprintf("%v/%v/%s/%d/%d/%v", n.Up, n.State, s.rs.PrimaryOf(m.host), n.Term, cfgVersion(n.Config), m.writable)
		if s.prints[m.host] != p {
			s.prints[m.host] = p
			changed = true
		}
	}
	if changed {
		s.topology++
		s.notifyLocked()
	}
}

func cfgVersion(c *replset.Config) int64 {
	if c == nil {
		return 0
	}
	return c.Version
}

// nextOpTimeLocked returns the next optime for a write on m in term.
func (m *Member) nextOpTimeLocked(term int64) replset.OpTime {
	secs := uint32(m.set.now().Unix())
	last := m.log.Last().TS
	if secs <= last.T {
		return replset.OpTime{TS: bson.Timestamp{T: last.T, I: last.I + 1}, T: term}
	}
	return replset.OpTime{TS: bson.Timestamp{T: secs, I: 1}, T: term}
}

// contains reports whether member host has applied the entry at op.
func (s *Set) containsLocked(host string, op replset.OpTime) bool {
	m := s.byHost[host]
	return m != nil && !m.arbiter() && m.log.Contains(op)
}

// acknowledgedLocked counts data members of primary's config that hold op;
// votersOnly restricts the count to voting members (w: majority).
func (s *Set) acknowledgedLocked(primary string, op replset.OpTime, votersOnly bool) int {
	n := s.rs.Node(primary)
	if n == nil || n.Config == nil {
		return 0
	}
	count := 0
	for _, mc := range n.Config.Members {
		if mc.ArbiterOnly || (votersOnly && mc.Votes == 0) {
			continue
		}
		if s.containsLocked(mc.Host, op) {
			count++
		}
	}
	return count
}

// commitPointLocked is the newest optime of host's log that a majority of
// its config's data-bearing voters hold (lastCommittedOpTime).
func (s *Set) commitPointLocked(host string) replset.OpTime {
	m := s.byHost[host]
	n := s.rs.Node(host)
	if m == nil || n.Config == nil || m.log.Len() == 0 {
		return replset.OpTime{}
	}
	need := n.Config.WriteMajorityCount()
	lo, hi := 0, m.log.Len()-1
	best := -1
	for lo <= hi {
		mid := (lo + hi) / 2
		if s.acknowledgedLocked(host, m.log.At(mid).OpTime, true) >= need {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best < 0 {
		return replset.OpTime{}
	}
	return m.log.At(best).OpTime
}
