package replset

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Limits of mongod 7.0.
const (
	MaxMembers       = 50
	MaxVotingMembers = 7
)

// UninitializedTerm is the config term a force reconfig installs.
const UninitializedTerm = -1

// MemberConfig is one entry of the members array.
type MemberConfig struct {
	ID                 int
	Host               string
	ArbiterOnly        bool
	BuildIndexes       bool
	Hidden             bool
	Priority           float64
	Tags               map[string]string
	SecondaryDelaySecs int64
	Votes              int
}

// Electable reports whether the member may become primary.
func (m MemberConfig) Electable() bool {
	return !m.ArbiterOnly && m.Priority > 0 && m.Votes > 0
}

// Settings is the settings document.
type Settings struct {
	ChainingAllowed         bool
	HeartbeatIntervalMillis int64
	HeartbeatTimeoutSecs    int64
	ElectionTimeoutMillis   int64
	CatchUpTimeoutMillis    int64
	ReplicaSetID            bson.ObjectID
}

// Config is a replica-set configuration document.
type Config struct {
	ID       string
	Version  int64
	Term     int64
	Members  []MemberConfig
	Settings Settings
}

// Member returns the member with that host, or nil.
func (c *Config) Member(host string) *MemberConfig {
	for i := range c.Members {
		if c.Members[i].Host == host {
			return &c.Members[i]
		}
	}
	return nil
}

// Voters returns the number of voting members.
func (c *Config) Voters() int {
	n := 0
	for _, m := range c.Members {
		if m.Votes > 0 {
			n++
		}
	}
	return n
}

// MajorityVoteCount is the votes an election needs.
func (c *Config) MajorityVoteCount() int { return c.Voters()/2 + 1 }

// WritableVoters counts voting members that hold data.
func (c *Config) WritableVoters() int {
	n := 0
	for _, m := range c.Members {
		if m.Votes > 0 && !m.ArbiterOnly {
			n++
		}
	}
	return n
}

// WriteMajorityCount is how many data-bearing voters acknowledge w:majority.
func (c *Config) WriteMajorityCount() int {
	return min(c.MajorityVoteCount(), c.WritableVoters())
}

// Arbiters counts arbiters.
func (c *Config) Arbiters() int {
	n := 0
	for _, m := range c.Members {
		if m.ArbiterOnly {
			n++
		}
	}
	return n
}

// Newer reports whether c is ordered after o the way mongod orders
// ConfigVersionAndTerm: by term then version, or by version alone when
// either term is uninitialized (after a force reconfig).
func (c *Config) Newer(o *Config) bool {
	if o == nil {
		return true
	}
	if c.Term != UninitializedTerm && o.Term != UninitializedTerm && c.Term != o.Term {
		return c.Term > o.Term
	}
	return c.Version > o.Version
}

func (c *Config) versionAndTerm() string {
	return fmt.Sprintf("{version: %d, term: %d}", c.Version, c.Term)
}

func invalid(format string, args ...any) error {
	return mongoerr.New(mongoerr.InvalidReplicaSetConfig, format, args...)
}

func incompatible(format string, args ...any) error {
	return mongoerr.New(mongoerr.NewReplicaSetConfigurationIncompatible, format, args...)
}

// Validate checks one configuration on its own, as ReplSetConfig::validate.
func (c *Config) Validate() error {
	if c.ID == "" {
		return invalid("Replica set configuration must have non-empty _id field")
	}
	if c.Version <= 0 {
		return invalid("version field value of %d is out of range", c.Version)
	}
	if len(c.Members) == 0 {
		return invalid("Replica set configuration must contain at least one non-arbiter member with priority > 0")
	}
	if len(c.Members) > MaxMembers {
		return invalid("Replica set configuration contains %d members, but must have at most %d members", len(c.Members), MaxMembers)
	}
	ids, hosts := map[int]bool{}, map[string]bool{}
	voters, electable, arbiters, local := 0, 0, 0, 0
	for i, m := range c.Members {
		if err := m.validate(i); err != nil {
			return err
		}
		if ids[m.ID] {
			return invalid("Found two member configurations with same _id field, members.%d._id == %d", i, m.ID)
		}
		if hosts[m.Host] {
			return invalid("Found two member configurations with same host field, members.%d.host == %s", i, m.Host)
		}
		ids[m.ID], hosts[m.Host] = true, true
		if m.Votes > 0 {
			voters++
		}
		if m.Electable() && !m.Hidden {
			electable++
		}
		if m.ArbiterOnly {
			arbiters++
		}
		if isLocalHost(m.Host) {
			local++
		}
	}
	if local != 0 && local != len(c.Members) {
		return invalid("Either all host names in a replica set configuration must be localhost references, or none must be; found %d out of %d", local, len(c.Members))
	}
	if voters > MaxVotingMembers {
		return invalid("Replica set configuration contains %d voting members, but must be at least 1 and no more than %d", voters, MaxVotingMembers)
	}
	if voters == 0 {
		return invalid("Replica set configuration contains 0 voting members, but must be at least 1 and no more than %d", MaxVotingMembers)
	}
	if electable == 0 {
		return invalid("Replica set configuration must contain at least one non-arbiter member with priority > 0")
	}
	s := c.Settings
	if s.HeartbeatIntervalMillis <= 0 || s.ElectionTimeoutMillis <= 0 || s.HeartbeatTimeoutSecs <= 0 {
		return invalid("settings.heartbeatIntervalMillis, heartbeatTimeoutSecs and electionTimeoutMillis must be positive")
	}
	return nil
}

func isLocalHost(host string) bool {
	h := host
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" || h == "[::1]"
}

func (m MemberConfig) validate(i int) error {
	p := fmt.Sprintf("members.%d", i)
	if m.ID < 0 {
		return invalid("%s._id field value of %d is out of range", p, m.ID)
	}
	if m.Host == "" || !strings.Contains(m.Host, ":") {
		return invalid("%s.host %q must be host:port", p, m.Host)
	}
	if m.Priority < 0 || m.Priority > 1000 || math.IsNaN(m.Priority) {
		return invalid("%s.priority field value of %v is out of range", p, m.Priority)
	}
	if m.Votes != 0 && m.Votes != 1 {
		return invalid("%s.votes field value is %d but must be 0 or 1", p, m.Votes)
	}
	if m.ArbiterOnly {
		if m.Votes != 1 {
			return invalid("Arbiter must vote (cannot have 0 votes)")
		}
		if m.Hidden || m.SecondaryDelaySecs > 0 || !m.BuildIndexes {
			return invalid("%s: arbiters may not be hidden, delayed or without buildIndexes", p)
		}
		return nil
	}
	if m.Priority > 0 && m.Votes == 0 {
		return invalid("priority must be 0 when non-voting (votes:0)")
	}
	if m.Hidden && m.Priority != 0 {
		return invalid("priority must be 0 when hidden=true")
	}
	if m.SecondaryDelaySecs > 0 && m.Priority != 0 {
		return invalid("priority must be 0 when secondaryDelaySecs is used")
	}
	if m.SecondaryDelaySecs < 0 {
		return invalid("%s.secondaryDelaySecs field value of %d is out of range", p, m.SecondaryDelaySecs)
	}
	if !m.BuildIndexes && m.Priority != 0 {
		return invalid("priority must be 0 when buildIndexes=false")
	}
	return nil
}

// ValidateInitiate checks a config given to replSetInitiate, in mongod's
// order: the set name (processReplSetInitiate), then
// validateConfigForInitiate's version, term, validity and arbiter
// priorities (self lookup is the caller's). A config without a term gets
// the initial term 0.
func ValidateInitiate(c *Config, setName string) error {
	if c.ID != setName {
		return invalid("Attempting to initiate a replica set with name %s, but command line reports %s; rejecting", c.ID, setName)
	}
	if c.Version != 1 {
		return incompatible("Configuration used to initiate a replica set must  have version 1, but found %d", c.Version)
	}
	if c.Term == UninitializedTerm {
		c.Term = 0
	} else if c.Term != 0 {
		return incompatible("Configuration used to initiate a replica set must  have term 0, but found %d", c.Term)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return arbiterPriorities(c)
}

func arbiterPriorities(c *Config) error {
	for _, m := range c.Members {
		if m.ArbiterOnly && m.Priority != 0 {
			return invalid("Member %s is an arbiter but has priority %v. Arbiter priority must be 0.", m.Host, m.Priority)
		}
	}
	return nil
}

// ValidateReconfig checks newc as a successor of old, in mongod's order:
// the config alone, then compatibility, then (non-force) the single
// voting-member change, then arbiter priorities.
func ValidateReconfig(old, newc *Config, force bool) error {
	if err := newc.Validate(); err != nil {
		return err
	}
	if !newc.Newer(old) {
		return incompatible("New replica set configuration version and term must be greater than old, but %s is not greater than %s for replica set %s",
			newc.versionAndTerm(), old.versionAndTerm(), newc.ID)
	}
	if old.ID != newc.ID {
		return incompatible("New and old configurations differ in replica set name; old was %s, and new is %s", old.ID, newc.ID)
	}
	if old.Settings.ReplicaSetID != newc.Settings.ReplicaSetID {
		return incompatible("New and old configurations differ in replica set ID; old was %s, and new is %s",
			old.Settings.ReplicaSetID.Hex(), newc.Settings.ReplicaSetID.Hex())
	}
	for _, n := range newc.Members {
		for _, o := range old.Members {
			sameID, sameHost := n.ID == o.ID, n.Host == o.Host
			switch {
			case !sameID && !sameHost:
				continue
			case sameHost && !sameID:
				return incompatible("New and old configurations both have members with host of %s but in the new configuration the _id field is %d and in the old configuration it is %d for replica set %s",
					o.Host, n.ID, o.ID, newc.ID)
			case sameID && sameHost && n.BuildIndexes != o.BuildIndexes:
				return incompatible("New and old configurations differ in the setting of the buildIndexes field for member %s; to make this change, remove then re-add the member", o.Host)
			case sameID && sameHost && n.ArbiterOnly != o.ArbiterOnly:
				return incompatible("New and old configurations differ in the setting of the arbiterOnly field for member %s; to make this change, remove then re-add the member", o.Host)
			}
		}
	}
	if !force && votersChanged(old, newc) > 1 {
		return invalid("Non force replica set reconfig can only add or remove at most 1 voting member.")
	}
	return arbiterPriorities(newc)
}

// votersChanged is the size of the symmetric difference of voter ids.
func votersChanged(a, b *Config) int {
	set := map[int]int{}
	for _, m := range a.Members {
		if m.Votes > 0 {
			set[m.ID]++
		}
	}
	for _, m := range b.Members {
		if m.Votes > 0 {
			set[m.ID]--
		}
	}
	n := 0
	for _, v := range set {
		if v != 0 {
			n++
		}
	}
	return n
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	n := *c
	n.Members = make([]MemberConfig, len(c.Members))
	for i, m := range c.Members {
		n.Members[i] = m
		if m.Tags != nil {
			n.Members[i].Tags = make(map[string]string, len(m.Tags))
			for k, v := range m.Tags {
				n.Members[i].Tags[k] = v
			}
		}
	}
	return &n
}

// Hosts lists member hosts in config order.
func (c *Config) Hosts() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.Host
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
