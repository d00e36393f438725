package cluster

import (
	"maps"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Limits of mongod 7.0 for a replica-set configuration.
const (
	MaxVoters   = 7
	MaxMembers  = 50
	MaxPriority = 1000
	MaxMemberID = 255
)

// Config is a replica-set configuration document as mongod stores it and as
// replSetGetConfig returns it. It is also what replSetInitiate and
// replSetReconfig take.
type Config struct {
	ID                                 string         `bson:"_id" json:"_id"`
	Version                            int            `bson:"version" json:"version"`
	Term                               int64          `bson:"term,omitempty" json:"term,omitempty"`
	ProtocolVersion                    int64          `bson:"protocolVersion,omitempty" json:"protocolVersion,omitempty"`
	WriteConcernMajorityJournalDefault *bool          `bson:"writeConcernMajorityJournalDefault,omitempty" json:"writeConcernMajorityJournalDefault,omitempty"`
	Members                            []MemberConfig `bson:"members" json:"members"`
	Settings                           *Settings      `bson:"settings,omitempty" json:"settings,omitempty"`
}

// MemberConfig is one element of the members array.
type MemberConfig struct {
	ID                 int               `bson:"_id" json:"_id"`
	Host               string            `bson:"host" json:"host"`
	ArbiterOnly        bool              `bson:"arbiterOnly" json:"arbiterOnly"`
	BuildIndexes       bool              `bson:"buildIndexes" json:"buildIndexes"`
	Hidden             bool              `bson:"hidden" json:"hidden"`
	Priority           float64           `bson:"priority" json:"priority"`
	Tags               map[string]string `bson:"tags" json:"tags"`
	SecondaryDelaySecs int64             `bson:"secondaryDelaySecs" json:"secondaryDelaySecs"`
	Votes              int               `bson:"votes" json:"votes"`
	// NewlyAdded is set by the primary (never by a client) on a voting
	// member it has just added: the member does not count as a voter until
	// it reaches SECONDARY, when the primary removes the field with an
	// automatic reconfig (which raises the version by one).
	NewlyAdded *bool `bson:"newlyAdded,omitempty" json:"newlyAdded,omitempty"`
}

// Settings is the settings subdocument. Fields citadel does not manage are
// kept as they are so that a reconfig never changes them by accident.
type Settings struct {
	ChainingAllowed            *bool          `bson:"chainingAllowed,omitempty" json:"chainingAllowed,omitempty"`
	HeartbeatIntervalMillis    int64          `bson:"heartbeatIntervalMillis,omitempty" json:"heartbeatIntervalMillis,omitempty"`
	HeartbeatTimeoutSecs       int64          `bson:"heartbeatTimeoutSecs,omitempty" json:"heartbeatTimeoutSecs,omitempty"`
	ElectionTimeoutMillis      int64          `bson:"electionTimeoutMillis,omitempty" json:"electionTimeoutMillis,omitempty"`
	CatchUpTimeoutMillis       *int64         `bson:"catchUpTimeoutMillis,omitempty" json:"catchUpTimeoutMillis,omitempty"`
	CatchUpTakeoverDelayMillis *int64         `bson:"catchUpTakeoverDelayMillis,omitempty" json:"catchUpTakeoverDelayMillis,omitempty"`
	GetLastErrorModes          bson.Raw       `bson:"getLastErrorModes,omitempty" json:"-"`
	GetLastErrorDefaults       bson.Raw       `bson:"getLastErrorDefaults,omitempty" json:"-"`
	ReplicaSetID               *bson.ObjectID `bson:"replicaSetId,omitempty" json:"replicaSetId,omitempty"`
}

// IsNewlyAdded reports whether the primary still holds the member as newly added.
func (m MemberConfig) IsNewlyAdded() bool { return m.NewlyAdded != nil && *m.NewlyAdded }

// Voter reports whether the member has a vote in the configuration document.
func (m MemberConfig) Voter() bool { return m.Votes > 0 }

// Electable reports whether the member can become primary under this config.
func (m MemberConfig) Electable() bool {
	return !m.ArbiterOnly && !m.Hidden && m.Priority > 0 && m.Votes > 0 && m.BuildIndexes && m.SecondaryDelaySecs == 0
}

// DataBearing reports whether the member holds data (is not an arbiter).
func (m MemberConfig) DataBearing() bool { return !m.ArbiterOnly }

// Same reports whether two member documents say the same thing, ignoring
// the server-managed newlyAdded flag. A nil and an empty tag set are equal.
func (m MemberConfig) Same(o MemberConfig) bool {
	return m.ID == o.ID && sameHost(m.Host, o.Host) && m.ArbiterOnly == o.ArbiterOnly &&
		m.BuildIndexes == o.BuildIndexes && m.Hidden == o.Hidden && m.Priority == o.Priority &&
		m.SecondaryDelaySecs == o.SecondaryDelaySecs && m.Votes == o.Votes && maps.Equal(m.Tags, o.Tags)
}

// Clone returns a deep copy.
func (m MemberConfig) Clone() MemberConfig {
	m.Tags = maps.Clone(m.Tags)
	if m.Tags == nil {
		m.Tags = map[string]string{}
	}
	if m.NewlyAdded != nil {
		v := *m.NewlyAdded
		m.NewlyAdded = &v
	}
	return m
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Members = make([]MemberConfig, len(c.Members))
	for i, m := range c.Members {
		out.Members[i] = m.Clone()
	}
	if c.Settings != nil {
		s := *c.Settings
		out.Settings = &s
	}
	return &out
}

// NewerThan compares configs as mongod does, by (term, version); a forced
// reconfig writes term -1, and then only the versions are compared.
func (c *Config) NewerThan(o *Config) bool {
	if c.Term == -1 || o.Term == -1 || c.Term == o.Term {
		return c.Version > o.Version
	}
	return c.Term > o.Term
}

// Member returns the member with that host (compared case-insensitively), or nil.
func (c *Config) Member(host string) *MemberConfig {
	for i := range c.Members {
		if sameHost(c.Members[i].Host, host) {
			return &c.Members[i]
		}
	}
	return nil
}

// MemberByID returns the member with that _id, or nil.
func (c *Config) MemberByID(id int) *MemberConfig {
	for i := range c.Members {
		if c.Members[i].ID == id {
			return &c.Members[i]
		}
	}
	return nil
}

// Voters counts the members with a vote, newly added ones included: mongod
// counts them against the seven-voter limit.
func (c *Config) Voters() int {
	n := 0
	for _, m := range c.Members {
		if m.Voter() {
			n++
		}
	}
	return n
}

// EffectiveVoters counts the votes that elect a primary now: newly added
// members do not vote until they reach SECONDARY.
func (c *Config) EffectiveVoters() int {
	n := 0
	for _, m := range c.Members {
		if m.Voter() && !m.IsNewlyAdded() {
			n++
		}
	}
	return n
}

// Majority is the number of votes a primary needs (the voting majority).
func Majority(voters int) int { return voters/2 + 1 }

// VoterHosts returns the lower-cased hosts of the voting members, sorted.
func (c *Config) VoterHosts() []string {
	var out []string
	for _, m := range c.Members {
		if m.Voter() {
			out = append(out, normHost(m.Host))
		}
	}
	slices.Sort(out)
	return out
}

// ImplicitWriteConcern is the default write concern mongod 7.0 derives from
// the layout when no cluster-wide default is set: "1" when arbiters exist and
// the data-bearing voters are not more than the voting majority, otherwise
// "majority".
func (c *Config) ImplicitWriteConcern() string {
	arbiters, dataVoters := 0, 0
	for _, m := range c.Members {
		switch {
		case m.ArbiterOnly:
			arbiters++
		case m.Voter():
			dataVoters++
		}
	}
	if arbiters > 0 && dataVoters <= Majority(c.Voters()) {
		return "1"
	}
	return "majority"
}

// sameMembers reports whether two configs have the same members (newlyAdded
// ignored).
func sameMembers(a, b *Config) bool {
	if len(a.Members) != len(b.Members) {
		return false
	}
	for _, m := range a.Members {
		o := b.Member(m.Host)
		if o == nil || !o.Same(m) {
			return false
		}
	}
	return true
}

// sortMembers orders members by _id, the order mongod keeps them in.
func sortMembers(ms []MemberConfig) {
	slices.SortFunc(ms, func(a, b MemberConfig) int { return a.ID - b.ID })
}

func normHost(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

func sameHost(a, b string) bool { return normHost(a) == normHost(b) }
