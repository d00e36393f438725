package mongosim

import (
	"context"
	"sort"
	"time"

	"github.com/noscites/citadel/internal/mongosim/replset"
	"github.com/noscites/citadel/internal/mongosim/wire"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// processID identifies this run of the member in topologyVersion; a
// restarted member gets a new one, as a restarted mongod does.
func (m *Member) processID() bson.ObjectID {
	m.lnMu.Lock()
	defer m.lnMu.Unlock()
	return m.pid
}

// helloLocked builds a hello/isMaster reply body; set.mu must be held.
func (m *Member) helloLocked(isHello bool, req bson.Raw, connID int64) bson.D {
	n := m.set.rs.Node(m.host)
	primaryKey := "ismaster"
	if isHello {
		primaryKey = "isWritablePrimary"
	}
	var d bson.D
	if _, ok := req.Lookup("helloOk").BooleanOK(); ok {
		d = append(d, bson.E{Key: "helloOk", Value: true})
	}
	d = append(d, bson.E{Key: "topologyVersion", Value: bson.D{{Key: "processId", Value: m.processID()}, {Key: "counter", Value: m.set.topology}}})
	self := n.Self()
	if n.Config == nil || self == nil {
		d = append(d, bson.E{Key: primaryKey, Value: false}, bson.E{Key: "secondary", Value: false},
			bson.E{Key: "info", Value: "Does not have a valid replica set config"}, bson.E{Key: "isreplicaset", Value: true})
		return append(d, m.standardHelloFields(connID)...)
	}
	d = append(d, memberLists(n.Config)...)
	d = append(d, bson.E{Key: "setName", Value: m.set.name}, bson.E{Key: "setVersion", Value: int32(n.Config.Version)})
	isPrimary := n.State == replset.Primary && m.writable
	d = append(d, bson.E{Key: primaryKey, Value: isPrimary}, bson.E{Key: "secondary", Value: n.State == replset.Secondary})
	if p := m.set.rs.PrimaryOf(m.host); p != "" {
		d = append(d, bson.E{Key: "primary", Value: p})
	}
	if self.ArbiterOnly {
		d = append(d, bson.E{Key: "arbiterOnly", Value: true})
	}
	if self.Priority == 0 && !self.ArbiterOnly {
		d = append(d, bson.E{Key: "passive", Value: true})
	}
	if self.Hidden {
		d = append(d, bson.E{Key: "hidden", Value: true})
	}
	if len(self.Tags) > 0 {
		tags := bson.D{}
		for _, k := range sortedKeys(self.Tags) {
			tags = append(tags, bson.E{Key: k, Value: self.Tags[k]})
		}
		d = append(d, bson.E{Key: "tags", Value: tags})
	}
	d = append(d, bson.E{Key: "me", Value: m.host})
	if n.State == replset.Primary {
		d = append(d, bson.E{Key: "electionId", Value: replset.ElectionID(n.Term)})
	}
	d = append(d, bson.E{Key: "lastWrite", Value: m.lastWriteLocked()})
	return append(d, m.standardHelloFields(connID)...)
}

// memberLists are hello's hosts, passives and arbiters: hidden members are
// in none, priority-0 members are passives.
func memberLists(c *replset.Config) bson.D {
	var hosts, passives, arbiters bson.A
	for _, mc := range c.Members {
		switch {
		case mc.Hidden:
		case mc.ArbiterOnly:
			arbiters = append(arbiters, mc.Host)
		case mc.Priority == 0:
			passives = append(passives, mc.Host)
		default:
			hosts = append(hosts, mc.Host)
		}
	}
	d := bson.D{{Key: "hosts", Value: hosts}}
	if len(passives) > 0 {
		d = append(d, bson.E{Key: "passives", Value: passives})
	}
	if len(arbiters) > 0 {
		d = append(d, bson.E{Key: "arbiters", Value: arbiters})
	}
	return d
}

func (m *Member) lastWriteLocked() bson.D {
	last := m.log.LastEntry()
	var op replset.OpTime
	var wall time.Time
	if last != nil {
		op, wall = last.OpTime, last.Wall
	} else {
		wall = time.Unix(0, 0)
	}
	maj := m.set.commitPointLocked(m.host)
	if p := m.set.rs.PrimaryOf(m.host); p != "" && p != m.host {
		pc := m.set.commitPointLocked(p)
		if m.log.Contains(pc) {
			maj = pc
		}
	}
	return bson.D{{Key: "opTime", Value: op.BSON()}, {Key: "lastWriteDate", Value: wall},
		{Key: "majorityOpTime", Value: maj.BSON()}, {Key: "majorityWriteDate", Value: maj.Date()}}
}

func (m *Member) standardHelloFields(connID int64) bson.D {
	return bson.D{
		{Key: "maxBsonObjectSize", Value: int32(16 * 1024 * 1024)},
		{Key: "maxMessageSizeBytes", Value: int32(wire.MaxMessageSize)},
		{Key: "maxWriteBatchSize", Value: int32(100000)},
		{Key: "localTime", Value: m.set.now()},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
		{Key: "connectionId", Value: connID},
		{Key: "minWireVersion", Value: int32(0)},
		{Key: "maxWireVersion", Value: int32(21)},
		{Key: "readOnly", Value: false},
	}
}

func (m *Member) hello(isHello bool, req bson.Raw, connID int64) bson.D {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	d := m.helloLocked(isHello, req, connID)
	return append(d, bson.E{Key: "ok", Value: 1.0})
}

// helloCmd answers hello/isMaster, including the awaitable form
// (topologyVersion + maxAwaitTimeMS) and its exhaust streaming.
func (r *request) helloCmd(ctx context.Context) ([]byte, error) {
	m := r.cn.m
	isHello := r.name == "hello"
	tv, hasTV := r.body.Lookup("topologyVersion").DocumentOK()
	maxAwait := time.Duration(asInt(r.body.Lookup("maxAwaitTimeMS"))) * time.Millisecond
	counter := int64(-1)
	if hasTV {
		counter = asInt(tv.Lookup("counter"))
		if pid, ok := tv.Lookup("processId").ObjectIDOK(); !ok || pid != m.processID() {
			counter = -1
		}
	}
	exhaust := hasTV && r.msg.Flags&wire.FlagExhaustAllowed != 0
	respTo := r.msg.Header.RequestID
	for {
		if hasTV && counter >= 0 {
			m.awaitTopology(ctx, counter, maxAwait)
		}
		m.set.mu.Lock()
		d := append(m.helloLocked(isHello, r.body, r.cn.id), bson.E{Key: "ok", Value: 1.0})
		counter = m.set.topology
		m.set.mu.Unlock()
		body, err := bson.Marshal(d)
		if err != nil {
			return nil, err
		}
		if !exhaust {
			return wire.AppendMsg(nil, requestIDs.Add(1), respTo, 0, body), nil
		}
		id := requestIDs.Add(1)
		if _, err := r.cn.c.Write(wire.AppendMsg(nil, id, respTo, wire.FlagMoreToCome, body)); err != nil {
			return nil, errStopped
		}
		respTo = id
	}
}

// awaitTopology waits until the topology version moves past counter.
func (m *Member) awaitTopology(ctx context.Context, counter int64, maxAwait time.Duration) {
	deadline := time.Now().Add(maxAwait)
	for {
		m.set.mu.Lock()
		cur, ch := m.set.topology, m.set.changed
		m.set.mu.Unlock()
		if cur != counter || !wait(ctx, ch, deadline) {
			return
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
