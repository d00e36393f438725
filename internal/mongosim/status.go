package mongosim

import (
	"context"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func (r *request) replSetGetStatus(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	d, err := m.statusLocked()
	if err != nil {
		return nil, err
	}
	return r.ok(d), nil
}

func (m *Member) statusLocked() (bson.D, error) {
	n := m.node()
	if n.Config == nil {
		return nil, mongoerr.New(mongoerr.NotYetInitialized, "no replset config has been received")
	}
	if n.Self() == nil {
		return nil, mongoerr.New(mongoerr.InvalidReplicaSetConfig, "Our replica set config is invalid or we are not a member of it")
	}
	now := m.set.now()
	hb, _ := time.Duration(n.Config.Settings.HeartbeatIntervalMillis), 0
	commit := m.set.commitPointLocked(m.set.rs.PrimaryOf(m.host))
	if p := m.set.rs.PrimaryOf(m.host); p == "" || !m.log.Contains(commit) {
		commit = m.set.commitPointLocked(m.host)
	}
	last := m.log.LastEntry()
	lastWall := time.Unix(0, 0)
	if last != nil {
		lastWall = last.Wall
	}
	src := m.set.rs.SyncSource(m.host)
	srcID := -1
	if mc := n.Config.Member(src); mc != nil {
		srcID = mc.ID
	}
	members := bson.A{}
	for _, mc := range n.Config.Members {
		members = append(members, m.memberStatusLocked(mc, now))
	}
	return bson.D{
		{Key: "set", Value: m.set.name}, {Key: "date", Value: now}, {Key: "myState", Value: int32(n.State)},
		{Key: "term", Value: n.Term}, {Key: "syncSourceHost", Value: src}, {Key: "syncSourceId", Value: int32(srcID)},
		{Key: "heartbeatIntervalMillis", Value: int64(hb)},
		{Key: "majorityVoteCount", Value: int32(n.Config.MajorityVoteCount())},
		{Key: "writeMajorityCount", Value: int32(n.Config.WriteMajorityCount())},
		{Key: "votingMembersCount", Value: int32(n.Config.Voters())},
		{Key: "writableVotingMembersCount", Value: int32(n.Config.WritableVoters())},
		{Key: "optimes", Value: bson.D{
			{Key: "lastCommittedOpTime", Value: commit.BSON()}, {Key: "lastCommittedWallTime", Value: commit.Date()},
			{Key: "readConcernMajorityOpTime", Value: commit.BSON()}, {Key: "appliedOpTime", Value: m.log.Last().BSON()},
			{Key: "durableOpTime", Value: m.log.Last().BSON()}, {Key: "lastAppliedWallTime", Value: lastWall},
			{Key: "lastDurableWallTime", Value: lastWall},
		}},
		{Key: "members", Value: members},
	}, nil
}

func (m *Member) memberStatusLocked(mc replset.MemberConfig, now time.Time) bson.D {
	o := m.set.rs.Node(mc.Host)
	om := m.set.byHost[mc.Host]
	self := mc.Host == m.host
	reach := self || m.set.rs.Reachable(m.host, mc.Host)
	d := bson.D{{Key: "_id", Value: int32(mc.ID)}, {Key: "name", Value: mc.Host}}
	if !reach {
		zero := replset.OpTime{}
		hbAt := m.node().LastHeartbeat[mc.Host]
		return append(d, bson.E{Key: "health", Value: 0.0}, bson.E{Key: "state", Value: int32(replset.Down)},
			bson.E{Key: "stateStr", Value: replset.Down.String()}, bson.E{Key: "uptime", Value: int32(0)},
			bson.E{Key: "optime", Value: zero.BSON()}, bson.E{Key: "optimeDurable", Value: zero.BSON()},
			bson.E{Key: "optimeDate", Value: time.Unix(0, 0)}, bson.E{Key: "optimeDurableDate", Value: time.Unix(0, 0)},
			bson.E{Key: "lastAppliedWallTime", Value: time.Unix(0, 0)}, bson.E{Key: "lastDurableWallTime", Value: time.Unix(0, 0)},
			bson.E{Key: "lastHeartbeat", Value: now}, bson.E{Key: "lastHeartbeatRecv", Value: hbAt},
			bson.E{Key: "pingMs", Value: int64(0)},
			bson.E{Key: "lastHeartbeatMessage", Value: "Error connecting to " + mc.Host + " :: caused by :: Connection refused"},
			bson.E{Key: "syncSourceHost", Value: ""}, bson.E{Key: "syncSourceId", Value: int32(-1)},
			bson.E{Key: "infoMessage", Value: ""}, bson.E{Key: "configVersion", Value: int32(-1)}, bson.E{Key: "configTerm", Value: int64(-1)})
	}
	var op replset.OpTime
	wall := time.Unix(0, 0)
	if om != nil && !mc.ArbiterOnly {
		if e := om.log.LastEntry(); e != nil {
			op, wall = e.OpTime, e.Wall
		}
	}
	src := m.set.rs.SyncSource(mc.Host)
	srcID := -1
	if c := m.node().Config.Member(src); c != nil {
		srcID = c.ID
	}
	d = append(d, bson.E{Key: "health", Value: 1.0}, bson.E{Key: "state", Value: int32(o.State)},
		bson.E{Key: "stateStr", Value: o.State.String()}, bson.E{Key: "uptime", Value: int32(now.Sub(o.UpSince).Seconds())},
		bson.E{Key: "optime", Value: op.BSON()}, bson.E{Key: "optimeDurable", Value: op.BSON()},
		bson.E{Key: "optimeDate", Value: op.Date()}, bson.E{Key: "optimeDurableDate", Value: op.Date()},
		bson.E{Key: "lastAppliedWallTime", Value: wall}, bson.E{Key: "lastDurableWallTime", Value: wall})
	// A member that cannot apply says so in its own infoMessage and in
	// the heartbeat replies the others show as lastHeartbeatMessage.
	info := ""
	if om != nil {
		info = om.applyMessageLocked()
	}
	if !self {
		d = append(d, bson.E{Key: "lastHeartbeat", Value: m.node().LastHeartbeat[mc.Host]},
			bson.E{Key: "lastHeartbeatRecv", Value: o.LastHeartbeat[m.host]}, bson.E{Key: "pingMs", Value: int64(0)},
			bson.E{Key: "lastHeartbeatMessage", Value: info})
	}
	d = append(d, bson.E{Key: "syncSourceHost", Value: src}, bson.E{Key: "syncSourceId", Value: int32(srcID)},
		bson.E{Key: "infoMessage", Value: info})
	if o.State == replset.Primary {
		d = append(d, bson.E{Key: "electionTime", Value: bson.Timestamp{T: uint32(o.ElectionTime.Unix()), I: 1}},
			bson.E{Key: "electionDate", Value: o.ElectionTime})
	}
	cv, ct := int32(-1), int64(-1)
	if o.Config != nil {
		cv, ct = int32(o.Config.Version), o.Config.Term
	}
	d = append(d, bson.E{Key: "configVersion", Value: cv}, bson.E{Key: "configTerm", Value: ct})
	if self {
		d = append(d, bson.E{Key: "self", Value: true}, bson.E{Key: "lastHeartbeatMessage", Value: ""})
	}
	return d
}
