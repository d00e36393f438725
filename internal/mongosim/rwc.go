package mongosim

import (
	"context"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// rwDefaults are the cluster-wide read and write concern defaults.
type rwDefaults struct {
	read, write bson.Raw
	updated     time.Time
	updateOp    replset.OpTime
}

// implicitWriteConcernLocked is mongod 5.0+'s implicit default: w:1 for a
// set with arbiters whose data-bearing voters are no more than a majority,
// else w:"majority".
func (m *Member) implicitWriteConcernLocked() bson.D {
	c := m.node().Config
	if c != nil && c.Arbiters() > 0 && c.WritableVoters() <= c.MajorityVoteCount() {
		return bson.D{{Key: "w", Value: int32(1)}, {Key: "wtimeout", Value: int32(0)}}
	}
	return bson.D{{Key: "w", Value: "majority"}, {Key: "wtimeout", Value: int32(0)}}
}

func (m *Member) rwcReplyLocked() bson.D {
	d := m.set.rwc
	var out bson.D
	readSrc, writeSrc := "implicit", "implicit"
	if d.read != nil {
		out = append(out, bson.E{Key: "defaultReadConcern", Value: d.read})
		readSrc = "global"
	} else {
		out = append(out, bson.E{Key: "defaultReadConcern", Value: bson.D{{Key: "level", Value: "local"}}})
	}
	if d.write != nil {
		out = append(out, bson.E{Key: "defaultWriteConcern", Value: d.write})
		writeSrc = "global"
	} else {
		out = append(out, bson.E{Key: "defaultWriteConcern", Value: m.implicitWriteConcernLocked()})
	}
	if !d.updated.IsZero() {
		out = append(out, bson.E{Key: "updateOpTime", Value: d.updateOp.TS}, bson.E{Key: "updateWallClockTime", Value: d.updated},
			bson.E{Key: "localUpdateWallClockTime", Value: d.updated})
	}
	return append(out, bson.E{Key: "defaultReadConcernSource", Value: readSrc}, bson.E{Key: "defaultWriteConcernSource", Value: writeSrc})
}

func (r *request) getDefaultRWConcern(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	return r.ok(m.rwcReplyLocked()), nil
}

func (r *request) setDefaultRWConcern(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	rc, hasR := r.body.Lookup("defaultReadConcern").DocumentOK()
	wc, hasW := r.body.Lookup("defaultWriteConcern").DocumentOK()
	if !hasR && !hasW {
		return nil, mongoerr.New(mongoerr.BadValue, "At least one of the \"defaultReadConcern\" or \"defaultWriteConcern\" fields must be present")
	}
	if hasR {
		switch lvl, _ := rc.Lookup("level").StringValueOK(); lvl {
		case "local", "available", "majority":
		default:
			return nil, mongoerr.New(mongoerr.BadValue, "level: '%s' is not permitted for a default read concern", lvl)
		}
	}
	if hasW {
		if w := wc.Lookup("w"); w.IsNumber() && asInt(w) == 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "Default write concern must have 'w' field greater than 0")
		}
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	if m.node().State != replset.Primary {
		return nil, mongoerr.New(mongoerr.NotWritablePrimary, "not primary")
	}
	if hasR {
		m.set.rwc.read = append(bson.Raw(nil), rc...)
	}
	if hasW {
		m.set.rwc.write = append(bson.Raw(nil), wc...)
	}
	m.set.rwc.updated, m.set.rwc.updateOp = m.set.now(), m.log.Last()
	return r.ok(m.rwcReplyLocked()), nil
}
