package replset

import (
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// NodeNotElectable is mongod's code for a reconfig that makes self unelectable.
const NodeNotElectable = 76

// CommandFailed is mongod's generic failure code (replSetStepUp losing).
const CommandFailed = 125

func notInitialized() error {
	return mongoerr.New(mongoerr.NotYetInitialized, "no replset config has been received")
}

// Initiate installs the first config from host, after mongod's checks: not
// yet initialized, valid, self in it and electable, every other member
// reachable and uninitiated (the quorum check).
func (s *Set) Initiate(host string, c *Config, now time.Time) error {
	n := s.nodes[host]
	if n.Config != nil {
		return mongoerr.New(mongoerr.AlreadyInitialized, "already initialized")
	}
	if c.Term == UninitializedTerm {
		c.Term = 0
	} else if c.Term != 0 {
		return mongoerr.New(mongoerr.NewReplicaSetConfigurationIncompatible, "Configuration used to initiate a replica set must have term 0, but found %d", c.Term)
	}
	if err := ValidateInitiate(c, s.Name); err != nil {
		return err
	}
	self := c.Member(host)
	if self == nil {
		return mongoerr.New(mongoerr.NodeNotFound, "No host described in new configuration %s for replica set %s maps to this node", c.versionAndTerm(), c.ID)
	}
	if !self.Electable() {
		return mongoerr.New(NodeNotElectable, "This node, %s, with _id %d is not electable under the new configuration %s for replica set %s", host, self.ID, c.versionAndTerm(), c.ID)
	}
	for _, m := range c.Members {
		if m.Host == host {
			continue
		}
		o := s.nodes[m.Host]
		switch {
		case o == nil || !s.Reachable(host, m.Host):
			return mongoerr.New(mongoerr.NodeNotFound, "replSetInitiate quorum check failed because not all proposed set members responded affirmatively: %s failed with Connection refused", m.Host)
		case o.Config != nil:
			return mongoerr.New(mongoerr.NewReplicaSetConfigurationIncompatible, "replSetInitiate quorum check failed because not all proposed set members responded affirmatively: %s failed with Our replica set configuration is invalid or does not include us", m.Host)
		}
	}
	if c.Settings.ReplicaSetID.IsZero() {
		c.Settings.ReplicaSetID = bson.NewObjectIDFromTimestamp(now)
	}
	n.Config, n.State, n.PrimaryContact = c.Clone(), Secondary, now
	s.emit(Event{Kind: ConfigInstalled, Host: host})
	for _, m := range c.Members {
		if o := s.nodes[m.Host]; m.Host != host && o != nil {
			s.install(o, c.Clone(), now)
		}
	}
	return nil
}

// Reconfig validates and installs a new config on host. A non-force
// reconfig runs on the primary, needs the current config committed and
// changes at most one voter; force runs anywhere and jumps the version by
// tens of thousands, as mongod does, with an uninitialized term.
func (s *Set) Reconfig(host string, c *Config, force bool, now time.Time) error {
	n := s.nodes[host]
	if n.Config == nil {
		return notInitialized()
	}
	if !force && n.State != Primary {
		return mongoerr.New(mongoerr.NotWritablePrimary, "replSetReconfig should only be run on a writable PRIMARY. Current state %s;", n.State)
	}
	if !force && !s.ConfigCommitted(host) {
		return mongoerr.New(mongoerr.CurrentConfigNotCommittedYet, "Cannot run replSetReconfig because the current config: %s is not yet committed", n.Config.versionAndTerm())
	}
	if force {
		c.Term = UninitializedTerm
		c.Version = max(c.Version, n.Config.Version) + 10000 + now.UnixNano()%100000
	} else {
		c.Term = n.Term
	}
	if c.Settings.ReplicaSetID.IsZero() {
		c.Settings.ReplicaSetID = n.Config.Settings.ReplicaSetID
	}
	if err := ValidateReconfig(n.Config, c, force); err != nil {
		return err
	}
	self := c.Member(host)
	if self == nil {
		return mongoerr.New(mongoerr.NodeNotFound, "No host described in new configuration %s for replica set %s maps to this node", c.versionAndTerm(), c.ID)
	}
	if !force && !self.Electable() {
		return mongoerr.New(NodeNotElectable, "This node, %s, with _id %d is not electable under the new configuration %s for replica set %s", host, self.ID, c.versionAndTerm(), c.ID)
	}
	s.install(n, c.Clone(), now)
	if n.State == Secondary && force {
		n.PrimaryContact = time.Time{}
	}
	for _, m := range c.Members {
		if o := s.nodes[m.Host]; m.Host != host && o != nil && s.Reachable(host, m.Host) && c.Newer(o.Config) {
			s.install(o, c.Clone(), now)
		}
	}
	return nil
}

// ConfigCommitted reports whether a majority of the voters of host's config
// have installed that same config (replSetGetConfig's commitmentStatus).
func (s *Set) ConfigCommitted(host string) bool {
	n := s.nodes[host]
	if n == nil || n.Config == nil {
		return false
	}
	have := 0
	for _, m := range n.Config.Members {
		o := s.nodes[m.Host]
		if m.Votes == 0 || o == nil || o.Config == nil {
			continue
		}
		if (m.Host == host || s.Reachable(host, m.Host)) && o.Config.Version == n.Config.Version && o.Config.Term == n.Config.Term {
			have++
		}
	}
	return have >= n.Config.MajorityVoteCount()
}

// CaughtUpElectable returns a reachable electable secondary whose applied
// optime equals the primary's, preferring the highest priority; "" if none.
func (s *Set) CaughtUpElectable(primary string, now time.Time) string {
	p := s.nodes[primary]
	best := ""
	for _, h := range s.order {
		n := s.nodes[h]
		if h == primary || !s.Reachable(primary, h) || !s.canStand(n, now) || n.Applied.Less(p.Applied) {
			continue
		}
		if best == "" || better(n, s.nodes[best]) {
			best = h
		}
	}
	return best
}

// MajorityCaughtUp reports whether a majority of voters (primary included)
// have applied everything the primary has.
func (s *Set) MajorityCaughtUp(primary string) bool {
	p := s.nodes[primary]
	n := 0
	for _, m := range p.Config.Members {
		o := s.nodes[m.Host]
		if m.Votes > 0 && !m.ArbiterOnly && (m.Host == primary || s.Reachable(primary, m.Host)) && !o.Applied.Less(p.Applied) {
			n++
		}
	}
	return n >= p.Config.WriteMajorityCount()
}

// StepDown makes the primary a secondary that may not stand for secs, and
// hands the election to the best caught-up electable secondary at once
// (mongod's election handoff).
func (s *Set) StepDown(host string, secs time.Duration, now time.Time) error {
	n := s.nodes[host]
	if n == nil || n.State != Primary {
		return mongoerr.New(mongoerr.NotWritablePrimary, "not primary so can't step down")
	}
	target := s.CaughtUpElectable(host, now)
	s.stepDown(n)
	n.StepDownUntil = now.Add(secs)
	if target != "" {
		s.RunElection(target, now, host)
	}
	return nil
}

// StepUp has a secondary run for election now (replSetStepUp).
func (s *Set) StepUp(host string, now time.Time) error {
	n := s.nodes[host]
	if n.Config == nil {
		return notInitialized()
	}
	if n.State == Primary {
		return nil
	}
	if !s.canStand(n, now) || !s.RunElection(host, now, "") {
		return mongoerr.New(CommandFailed, "Election failed.")
	}
	return nil
}

// Freeze keeps a secondary from standing for election for d (0 unfreezes).
func (s *Set) Freeze(host string, d time.Duration, now time.Time) (string, error) {
	n := s.nodes[host]
	if n.Config == nil {
		return "", notInitialized()
	}
	if n.State == Primary {
		return "", mongoerr.New(mongoerr.NotSecondary, "cannot freeze node when primary or running for election. state: Primary")
	}
	if d <= 0 {
		n.FrozenUntil = time.Time{}
		return "unfreezing", nil
	}
	n.FrozenUntil = now.Add(d)
	return "", nil
}
