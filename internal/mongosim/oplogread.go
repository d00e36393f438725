package mongosim

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const oplogNS = "local.oplog.rs"

// oplogCursor is a cursor on local.oplog.rs held by mongosim itself.
type oplogCursor struct {
	filter    bson.Raw
	last      replset.OpTime // position: last entry returned (or before start)
	reverse   bool
	tailable  bool
	awaitData bool
	limit     int64
	returned  int64
	// positioned is set once last is a real entry of the log.
	positioned bool
	projection *oplog.Projection
}

// cursorIDs of mongosim's own cursors have this bit set, so they never
// collide with FerretDB's.
const ownCursorBit = int64(1) << 61

func newCursorID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:])&(1<<61-1)) | ownCursorBit
}

func (r *request) oplogFind(_ context.Context) ([]byte, error) {
	b := r.body
	c := &oplogCursor{}
	if p, ok := b.Lookup("projection").DocumentOK(); ok {
		proj, err := oplog.ParseProjection(append(bson.Raw(nil), p...))
		if err != nil {
			return nil, err
		}
		c.projection = proj
	}
	filter, _ := b.Lookup("filter").DocumentOK()
	c.filter = append(bson.Raw(nil), filter...) // the request buffer is reused
	c.tailable, _ = b.Lookup("tailable").BooleanOK()
	c.awaitData, _ = b.Lookup("awaitData").BooleanOK()
	if v := b.Lookup("limit"); v.IsNumber() {
		c.limit = asInt(v)
	}
	if s, ok := b.Lookup("sort").DocumentOK(); ok && len(s) > 5 {
		if v := s.Lookup("$natural"); v.IsNumber() && asInt(v) < 0 {
			c.reverse = true
		} else if !v.IsNumber() {
			return nil, mongoerr.NotSupported("sorting local.oplog.rs other than by $natural")
		}
	}
	if c.reverse && c.tailable {
		return nil, mongoerr.New(mongoerr.BadValue, "cannot use tailable option with a sort other than {$natural: 1}")
	}
	batchSize := int64(101)
	if v := b.Lookup("batchSize"); v.IsNumber() {
		batchSize = asInt(v)
	}
	m := r.cn.m
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	c.last = startPosition(c.filter)
	if c.reverse {
		c.last = replset.OpTime{TS: bson.Timestamp{T: ^uint32(0), I: ^uint32(0)}}
	}
	batch, err := m.scanLocked(c, batchSize)
	if err != nil {
		return nil, err
	}
	id := int64(0)
	if !c.done(m) {
		id = newCursorID()
		m.cursors[id] = c
	}
	return r.ok(cursorDoc("firstBatch", batch, id, oplogNS)), nil
}

// startPosition uses a ts lower bound of the filter to skip ahead, as
// mongod's oplog scans do.
func startPosition(filter bson.Raw) replset.OpTime {
	ts, ok := filter.Lookup("ts").DocumentOK()
	if !ok {
		return replset.OpTime{}
	}
	if t, i, ok := ts.Lookup("$gt").TimestampOK(); ok {
		return replset.OpTime{TS: bson.Timestamp{T: t, I: i}}
	}
	if t, i, ok := ts.Lookup("$gte").TimestampOK(); ok {
		if i > 0 {
			return replset.OpTime{TS: bson.Timestamp{T: t, I: i - 1}}
		}
		if t > 0 {
			return replset.OpTime{TS: bson.Timestamp{T: t - 1, I: ^uint32(0)}}
		}
	}
	return replset.OpTime{}
}

func (c *oplogCursor) done(m *Member) bool {
	if c.limit > 0 && c.returned >= c.limit {
		return true
	}
	if c.tailable {
		return false
	}
	if c.reverse {
		return m.log.Len() == 0 || c.last == m.log.First().OpTime
	}
	return m.log.After(c.last) >= m.log.Len()
}

// scanLocked returns the next matching entries after the cursor position.
func (m *Member) scanLocked(c *oplogCursor, batchSize int64) (bson.A, error) {
	batch, size := bson.A{}, 0
	if batchSize <= 0 {
		batchSize = 1 << 30
	}
	if c.tailable && c.positioned && !m.log.Contains(c.last) {
		return nil, mongoerr.New(mongoerr.CappedPositionLost, "CollectionScan died due to position in capped collection being deleted. Last seen record id: %s", c.last)
	}
	i, step := m.log.After(c.last), 1
	if c.reverse {
		i, step = m.log.After(c.last)-1, -1
		if m.log.Index(c.last) >= 0 {
			i = m.log.Index(c.last) - 1
		}
	}
	for ; i >= 0 && i < m.log.Len(); i += step {
		if int64(len(batch)) >= batchSize || size > 15<<20 || (c.limit > 0 && c.returned >= c.limit) {
			break
		}
		e := m.log.At(i)
		c.last, c.positioned = e.OpTime, true
		ok, err := oplog.Match(e.Raw, c.filter)
		if err != nil {
			return nil, err
		}
		if ok {
			doc := c.projection.Apply(e.Raw)
			batch = append(batch, doc)
			size += len(doc)
			c.returned++
		}
	}
	return batch, nil
}

func (r *request) getMore(ctx context.Context) ([]byte, error) {
	id, _ := r.body.Lookup("getMore").Int64OK()
	if id&ownCursorBit == 0 {
		return r.forward(ctx)
	}
	m := r.cn.m
	batchSize := int64(0)
	if v := r.body.Lookup("batchSize"); v.IsNumber() {
		batchSize = asInt(v)
	}
	maxWait := time.Second
	if v := r.body.Lookup("maxTimeMS"); v.IsNumber() {
		maxWait = time.Duration(asInt(v)) * time.Millisecond
	}
	deadline := time.Now().Add(maxWait)
	m.set.mu.Lock()
	for {
		c := m.cursors[id]
		if c == nil {
			m.set.mu.Unlock()
			return nil, mongoerr.New(mongoerr.CursorNotFound, "cursor id %d not found", id)
		}
		batch, err := m.scanLocked(c, batchSize)
		ch := m.set.changed
		if err == nil && len(batch) == 0 && c.awaitData && wait2(ctx, ch, deadline, &m.set.mu) {
			continue // the set changed: scan again, mu held again by wait2
		}
		done := err != nil || c.done(m)
		if done {
			delete(m.cursors, id)
		}
		m.set.mu.Unlock()
		if err != nil {
			return nil, err
		}
		outID := id
		if done {
			outID = 0
		}
		return r.ok(cursorDoc("nextBatch", batch, outID, oplogNS)), nil
	}
}

// wait2 releases mu while waiting and reports whether to scan again (with mu
// held again).
func wait2(ctx context.Context, ch <-chan struct{}, deadline time.Time, mu interface {
	Lock()
	Unlock()
}) bool {
	mu.Unlock()
	ok := wait(ctx, ch, deadline)
	mu.Lock()
	return ok
}

func (r *request) killCursors(ctx context.Context) ([]byte, error) {
	arr, _ := r.body.Lookup("cursors").ArrayOK()
	vals, _ := arr.Values()
	var killed bson.A
	for _, v := range vals {
		if id, ok := v.Int64OK(); ok && id&ownCursorBit != 0 {
			r.cn.m.set.mu.Lock()
			delete(r.cn.m.cursors, id)
			r.cn.m.set.mu.Unlock()
			killed = append(killed, id)
		}
	}
	if len(killed) == 0 {
		return r.forward(ctx)
	}
	return r.ok(bson.D{{Key: "cursorsKilled", Value: killed}, {Key: "cursorsNotFound", Value: bson.A{}},
		{Key: "cursorsAlive", Value: bson.A{}}, {Key: "cursorsUnknown", Value: bson.A{}}}), nil
}
