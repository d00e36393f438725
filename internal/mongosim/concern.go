package mongosim

import (
	"context"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type writeConcern struct {
	w        int
	majority bool
	timeout  time.Duration
	raw      bson.Raw
	source   string
}

// writeConcernOf reads the command's writeConcern or the default one.
func (r *request) writeConcernOf() (writeConcern, error) {
	raw, ok := r.body.Lookup("writeConcern").DocumentOK()
	src := "clientSupplied"
	if !ok || len(raw) <= 5 {
		m := r.cn.m
		m.set.mu.Lock()
		if m.set.rwc.write != nil {
			raw, src = m.set.rwc.write, "customDefault"
		} else {
			raw, src = mustMarshal(m.implicitWriteConcernLocked()), "implicitDefault"
		}
		m.set.mu.Unlock()
	}
	wc := writeConcern{w: 1, raw: raw, source: src}
	w := raw.Lookup("w")
	switch {
	case w.Type == bson.TypeString && w.StringValue() == "majority":
		wc.majority = true
	case w.Type == bson.TypeString:
		return wc, mongoerr.NotSupported("write concern tag sets (w: \"" + w.StringValue() + "\")")
	case w.IsNumber():
		wc.w = int(asInt(w))
	}
	if t := raw.Lookup("wtimeout"); t.IsNumber() {
		wc.timeout = time.Duration(asInt(t)) * time.Millisecond
	}
	return wc, nil
}

// beginWrite takes the member's write lock and checks it is a writable
// primary; it returns the term writes are logged in.
func (m *Member) beginWrite() (int64, error) {
	m.writeMu.Lock()
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	n := m.node()
	if !n.Up || n.State != replset.Primary || !m.writable {
		m.writeMu.Unlock()
		return 0, mongoerr.New(mongoerr.NotWritablePrimary, "not primary")
	}
	return n.Term, nil
}

func (m *Member) endWrite() { m.writeMu.Unlock() }

// appendLocked adds an entry to this member's oplog and records it.
func (m *Member) appendLocked(e *oplog.Entry) {
	m.log.Append(e)
	m.set.rs.SetApplied(m.host, e.OpTime, e.Wall)
	m.lastTS.Store(uint64(e.OpTime.TS.T)<<32 | uint64(e.OpTime.TS.I))
	if e.HasTxn {
		m.recordStmtLocked(e)
	}
}

// commit logs specs in term and returns the last optime.
func (m *Member) commit(term int64, specs []oplog.Spec) replset.OpTime {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	now := m.set.now()
	var op replset.OpTime
	for _, s := range specs {
		op = m.nextOpTimeLocked(term)
		m.appendLocked(oplog.Build(s, op, now))
	}
	if len(specs) > 0 {
		m.set.notifyLocked()
	}
	return op
}

// awaitWriteConcern waits until op (written in term) satisfies wc and
// returns a writeConcernError document, or nil.
func (m *Member) awaitWriteConcern(ctx context.Context, op replset.OpTime, term int64, wc writeConcern) bson.D {
	if op.IsZero() || (!wc.majority && wc.w <= 1) {
		return nil
	}
	deadline := time.Now().Add(time.Hour)
	if wc.timeout > 0 {
		deadline = time.Now().Add(wc.timeout)
	}
	for {
		m.set.mu.Lock()
		n := m.node()
		if !n.Up || n.State != replset.Primary || n.Term != term {
			m.set.mu.Unlock()
			return wcError(mongoerr.New(mongoerr.PrimarySteppedDown, "Primary stepped down while waiting for replication"), nil)
		}
		need, data := wc.w, 0
		for _, mc := range n.Config.Members {
			if !mc.ArbiterOnly {
				data++
			}
		}
		if wc.majority {
			need = n.Config.WriteMajorityCount()
		} else if need > data {
			m.set.mu.Unlock()
			return wcError(mongoerr.New(mongoerr.UnsatisfiableWriteConcern, "Not enough data-bearing nodes"), nil)
		}
		got := m.set.acknowledgedLocked(m.host, op, wc.majority)
		ch := m.set.changed
		m.set.mu.Unlock()
		if got >= need {
			return nil
		}
		if !wait(ctx, ch, deadline) {
			info := bson.D{{Key: "wtimeout", Value: true}, {Key: "writeConcern", Value: wc.raw}}
			return wcError(mongoerr.New(mongoerr.WriteConcernFailed, "waiting for replication timed out"), info)
		}
	}
}

func wcError(e *mongoerr.Error, info bson.D) bson.D {
	d := bson.D{{Key: "code", Value: e.Code}, {Key: "codeName", Value: e.CodeName()}, {Key: "errmsg", Value: e.Msg}}
	if info != nil {
		d = append(d, bson.E{Key: "errInfo", Value: info})
	}
	return d
}
