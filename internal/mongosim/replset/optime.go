// Package replset is the replica-set state machine of mongosim as a pure,
// deterministic value: configurations and their validation with mongod's
// error codes, terms, member states, optimes as reported by the members,
// reachability, elections (priority, votes, freshness, takeover), stepping
// down on losing the majority, and config propagation by heartbeats.
//
// Nothing here sleeps, reads a clock or does I/O: every call takes the
// current time, so elections and timeouts are unit-tested with a fake
// clock. The mongosim package drives it with real time and real oplogs.
package replset

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// OpTime is an oplog position: a timestamp and the term it was written in.
type OpTime struct {
	TS bson.Timestamp
	T  int64
}

// Less orders optimes the way mongod does: by term, then by timestamp.
func (a OpTime) Less(b OpTime) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && !b.IsZero()
	}
	if a.T != b.T {
		return a.T < b.T
	}
	return a.TS.T < b.TS.T || (a.TS.T == b.TS.T && a.TS.I < b.TS.I)
}

// IsZero reports an empty optime.
func (a OpTime) IsZero() bool { return a.TS.T == 0 && a.TS.I == 0 }

// BSON renders {ts, t}; an empty optime is {ts: Timestamp(0, 0), t: -1}.
func (a OpTime) BSON() bson.D {
	t := a.T
	if a.IsZero() {
		t = -1
	}
	return bson.D{{Key: "ts", Value: a.TS}, {Key: "t", Value: t}}
}

func (a OpTime) String() string {
	return fmt.Sprintf("{ts: Timestamp(%d, %d), t: %d}", a.TS.T, a.TS.I, a.T)
}

// Date is the wall time of the optime's timestamp.
func (a OpTime) Date() time.Time { return time.Unix(int64(a.TS.T), 0).UTC() }

// MemberState is a replica-set member state.
type MemberState int

// Member states (mongod's numbering).
const (
	Startup    MemberState = 0
	Primary    MemberState = 1
	Secondary  MemberState = 2
	Recovering MemberState = 3
	Startup2   MemberState = 5
	Unknown    MemberState = 6
	Arbiter    MemberState = 7
	Down       MemberState = 8
	Rollback   MemberState = 9
	Removed    MemberState = 10
)

func (s MemberState) String() string {
	switch s {
	case Startup:
		return "STARTUP"
	case Primary:
		return "PRIMARY"
	case Secondary:
		return "SECONDARY"
	case Recovering:
		return "RECOVERING"
	case Startup2:
		return "STARTUP2"
	case Arbiter:
		return "ARBITER"
	case Down:
		return "(not reachable/healthy)"
	case Rollback:
		return "ROLLBACK"
	case Removed:
		return "REMOVED"
	}
	return "UNKNOWN"
}

// ElectionID is mongod's electionId for a term: 7fffffff then the term.
func ElectionID(term int64) bson.ObjectID {
	var id bson.ObjectID
	id[0], id[1], id[2], id[3] = 0x7f, 0xff, 0xff, 0xff
	for i := 0; i < 8; i++ {
		id[11-i] = byte(term >> (8 * i))
	}
	return id
}
