package cluster

import (
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// State is what citadel observed of one replica set at one moment: the
// configuration, each member's state as the primary sees it (or as the
// member itself says when there is no primary), optimes, lag, oplog window.
type State struct {
	Name       string    `json:"set"`
	ObservedAt time.Time `json:"observed_at"`
	Initiated  bool      `json:"initiated"`
	// Config is the configuration held by the primary (or by the member
	// with the highest version when there is none); nil before initiate.
	Config *Config `json:"config,omitempty"`
	// Committed is the primary's commitmentStatus: the config is installed
	// on a majority and a new reconfig may start. Nil when unknown.
	Committed *bool         `json:"config_committed,omitempty"`
	Term      int64         `json:"term"`
	Primary   string        `json:"primary"`
	Members   []MemberState `json:"members"`
	// Unreachable lists the hosts citadel could not reach. With no config
	// seen, they make the set's state unknown (see Unknown), not
	// uninitiated: they may hold the config.
	Unreachable []string    `json:"unreachable,omitempty"`
	Oplog       OplogWindow `json:"oplog"`
	// DefaultWriteConcern is the cluster-wide default w set with
	// setDefaultRWConcern ("" when none is set); DefaultWCKnown says
	// whether it could be read.
	DefaultWriteConcern string `json:"default_write_concern,omitempty"`
	DefaultWCKnown      bool   `json:"-"`
}

// OpTime is a position in the oplog.
type OpTime struct {
	TS   bson.Timestamp `bson:"ts" json:"ts"`
	Term int64          `bson:"t" json:"t"`
}

// After reports whether o is later than p.
func (o OpTime) After(p OpTime) bool {
	if o.Term != p.Term {
		return o.Term > p.Term
	}
	return o.TS.After(p.TS)
}

// IsZero reports an unknown optime.
func (o OpTime) IsZero() bool { return o.TS.IsZero() && o.Term == 0 }

// OplogWindow is the time span the oplog of the primary covers.
type OplogWindow struct {
	Host  string    `json:"host,omitempty"`
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// Span is Last minus First.
func (w OplogWindow) Span() time.Duration {
	if w.First.IsZero() || w.Last.IsZero() {
		return 0
	}
	return w.Last.Sub(w.First)
}

// MemberState is one member as observed.
type MemberState struct {
	Host     string `json:"host"`
	Site     string `json:"site"`
	ID       int    `json:"id"`
	InConfig bool   `json:"in_config"`
	// Reachable: citadel itself reached the member (hello answered).
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// State is mongod's stateStr (PRIMARY, SECONDARY, ARBITER, DOWN, …).
	State string `json:"state"`
	// Health: the primary's heartbeats reach it (or, without a primary,
	// citadel reached it).
	Health      bool      `json:"health"`
	OpTime      OpTime    `json:"optime"`
	OpTimeDate  time.Time `json:"optime_date,omitzero"`
	Lag         Seconds   `json:"lag_seconds"`
	LagKnown    bool      `json:"lag_known"`
	ConfigVer   int       `json:"config_version"`
	SetName     string    `json:"set_name,omitempty"`
	Uninitiated bool      `json:"uninitiated"`
	SyncSource  string    `json:"sync_source,omitempty"`
	Priority    float64   `json:"priority"`
	Votes       int       `json:"votes"`
	Hidden      bool      `json:"hidden"`
	Arbiter     bool      `json:"arbiter"`
	NewlyAdded  bool      `json:"newly_added"`
	DelaySecs   int64     `json:"secondary_delay_secs"`
}

// Seconds is a duration printed in JSON as fractional seconds.
type Seconds time.Duration

// MarshalJSON writes seconds with millisecond precision.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(formatSeconds(time.Duration(s))), nil
}

// D returns the duration.
func (s Seconds) D() time.Duration { return time.Duration(s) }

// Member returns the observed member with that host, or nil.
func (s *State) Member(host string) *MemberState {
	for i := range s.Members {
		if sameHost(s.Members[i].Host, host) {
			return &s.Members[i]
		}
	}
	return nil
}

// Healthy reports whether a host can take part in the set now: a member
// of the config the primary's heartbeats reach, or a host outside the
// config that citadel reached.
func (s *State) Healthy(host string) bool {
	m := s.Member(host)
	if m == nil {
		return false
	}
	if m.InConfig {
		return m.Health
	}
	return m.Reachable
}

// SiteOf returns the site of a host, "" when unknown.
func (s *State) SiteOf(host string) string {
	if m := s.Member(host); m != nil {
		return m.Site
	}
	return ""
}

// Sites lists the sites of the observed members in first-seen order.
func (s *State) Sites() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range s.Members {
		if m.Site != "" && !seen[m.Site] {
			seen[m.Site] = true
			out = append(out, m.Site)
		}
	}
	return out
}

// Unknown reports whether the observation cannot tell if the set is
// initiated: no member that answered holds a config, and some did not
// answer.
func (s *State) Unknown() bool { return !s.Initiated && len(s.Unreachable) > 0 }

// UnknownError explains an unknown state (nil when the state is known):
// which members could not be reached and what the others said.
func (s *State) UnknownError() error {
	if !s.Unknown() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrStateUnknown, s.unknownDetail())
}

func (s *State) unknownDetail() string {
	var answered []string
	for _, m := range s.Members {
		if m.Reachable {
			answered = append(answered, m.Host)
		}
	}
	what := fmt.Sprintf("no member of %s answers (could not reach %s)", s.Name, strings.Join(s.Unreachable, ", "))
	if len(answered) > 0 {
		what = fmt.Sprintf("could not reach %s, and the members of %s that answer (%s) hold no config",
			strings.Join(s.Unreachable, ", "), s.Name, strings.Join(answered, ", "))
	}
	return what + ": cannot tell whether the set is initiated; check that mongod runs there and that this machine reaches it"
}
