package replset

import (
	"errors"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func notInitialized() error {
	return mongoerr.New(mongoerr.NotYetInitialized, "no replset config has been received")
}

// Initiate installs the first config from host, after mongod's checks: not
// yet initialized, valid, self in it and electable, every other member
// reachable and uninitiated (the quorum check). As processReplSetInitiate
// does, every validation failure reaches the client as
// InvalidReplicaSetConfig with the check's own message.
func (s *Set) Initiate(host string, c *Config, now time.Time) error {
	n := s.nodes[host]
	if n.Config != nil {
		return mongoerr.New(mongoerr.AlreadyInitialized, "already initialized")
	}
	if err := validateInitiate(c, s.Name, host); err != nil {
		var e *mongoerr.Error
		if errors.As(err, &e) {
			return mongoerr.New(mongoerr.InvalidReplicaSetConfig, "%s", e.Msg)
		}
		return err
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
	if err := checkSelf(c, host, !force); err != nil {
		return err
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
		return mongoerr.New(mongoerr.CommandFailed, "Election failed.")
	}
	return nil
}

// FreezeReply is what replSetFreeze adds to its reply ("" when absent).
type FreezeReply struct {
	Info    string
	Warning string
}

// Freeze keeps a secondary from standing for election for d; 0 ends the
// period at once. mongod keeps one timer for freezes and step-downs, so a
// freeze extends a step-down period and replSetFreeze 0 ends it too
// (jstests/replsets/stepdown2.js relies on it).
func (s *Set) Freeze(host string, d time.Duration, now time.Time) (FreezeReply, error) {
	n := s.nodes[host]
	if n.Config == nil {
		return FreezeReply{}, notInitialized()
	}
	if n.State == Primary {
		return FreezeReply{}, mongoerr.New(mongoerr.NotSecondary, "cannot freeze node when primary or running for election. state: Primary")
	}
	if d <= 0 {
		n.StepDownUntil = now
		return FreezeReply{Info: "unfreezing"}, nil
	}
	var r FreezeReply
	if d == time.Second {
		r.Warning = "you really want to freeze for only 1 second?"
	}
	if until := now.Add(d); until.After(n.StepDownUntil) {
		n.StepDownUntil = until
	}
	return r, nil
}

// validateInitiate is validateConfigForInitiate plus the set name check:
// a valid config with this node in it and electable.
func validateInitiate(c *Config, setName, host string) error {
	if err := ValidateInitiate(c, setName); err != nil {
		return err
	}
	return checkSelf(c, host, true)
}

// checkSelf finds this node in c (NodeNotFound) and, when asked, checks it
// is electable there (NodeNotElectable).
func checkSelf(c *Config, host string, electable bool) error {
	self := c.Member(host)
	if self == nil {
		return mongoerr.New(mongoerr.NodeNotFound, "No host described in new configuration with %s for replica set %s maps to this node", c.versionAndTerm(), c.ID)
	}
	if electable && !self.Electable() {
		return mongoerr.New(mongoerr.NodeNotElectable, "This node, %s, with _id MemberId(%d) is not electable under the new configuration with %s for replica set %s",
			host, self.ID, c.versionAndTerm(), c.ID)
	}
	return nil
}
