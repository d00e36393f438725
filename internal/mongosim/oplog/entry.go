// Package oplog holds a member's oplog: entries in mongod's format
// (ts, t, v: 2, op i/u/d/c/n, ns, ui, o, o2, wall, and lsid/txnNumber/
// stmtId for retryable writes), kept in order in memory, with lookups by
// optime for replication, rollback and tailing, and a filter matcher for
// finds on local.oplog.rs.
package oplog

import (
	"time"

	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Entry is one oplog entry: its raw document and the fields mongosim reads.
type Entry struct {
	OpTime replset.OpTime
	Wall   time.Time
	Op     byte
	NS     string
	// ID is the document's _id value for i, u and d entries.
	ID  bson.RawValue
	Raw bson.Raw
	// Session fields of a retryable write.
	Lsid      string
	TxnNumber int64
	StmtID    int32
	HasTxn    bool
}

// Session identifies a retryable write.
type Session struct {
	Lsid      bson.Raw // {id: UUID, uid: BinData}
	TxnNumber int64
	StmtID    int32
}

// Spec is what a writer knows of an entry before it gets its optime.
type Spec struct {
	Op      byte
	NS      string
	UI      []byte // collection UUID (16 bytes) or nil
	O       bson.Raw
	O2      bson.Raw
	Session *Session
	// Extra fields appended before ts (e.g. needsRetryImage).
	Extra bson.D
}

// Build renders the spec as an entry at op and wall, in mongod's field order.
func Build(s Spec, op replset.OpTime, wall time.Time) *Entry {
	n := 128 + len(s.O) + len(s.O2) + len(s.NS)
	idx, b := bsoncore.AppendDocumentStart(make([]byte, 0, n))
	e := &Entry{OpTime: op, Wall: wall, Op: s.Op, NS: s.NS}
	if s.Session != nil {
		b = bsoncore.AppendDocumentElement(b, "lsid", s.Session.Lsid)
		b = bsoncore.AppendInt64Element(b, "txnNumber", s.Session.TxnNumber)
		e.Lsid, e.TxnNumber, e.StmtID, e.HasTxn = LsidKey(s.Session.Lsid), s.Session.TxnNumber, s.Session.StmtID, true
	}
	b = bsoncore.AppendStringElement(b, "op", string(s.Op))
	b = bsoncore.AppendStringElement(b, "ns", s.NS)
	if s.UI != nil {
		b = bsoncore.AppendBinaryElement(b, "ui", 4, s.UI)
	}
	b = bsoncore.AppendDocumentElement(b, "o", s.O)
	if s.O2 != nil {
		b = bsoncore.AppendDocumentElement(b, "o2", s.O2)
	}
	if s.Session != nil {
		b = bsoncore.AppendInt32Element(b, "stmtId", s.Session.StmtID)
	}
	for _, x := range s.Extra {
		if str, ok := x.Value.(string); ok {
			b = bsoncore.AppendStringElement(b, x.Key, str)
		}
	}
	b = bsoncore.AppendTimestampElement(b, "ts", op.TS.T, op.TS.I)
	b = bsoncore.AppendInt64Element(b, "t", op.T)
	b = bsoncore.AppendInt64Element(b, "v", 2)
	b = bsoncore.AppendDateTimeElement(b, "wall", wall.UnixMilli())
	if s.Session != nil {
		var pidx int32
		pidx, b = bsoncore.AppendDocumentElementStart(b, "prevOpTime")
		b = bsoncore.AppendTimestampElement(b, "ts", 0, 0)
		b = bsoncore.AppendInt64Element(b, "t", -1)
		b, _ = bsoncore.AppendDocumentEnd(b, pidx)
	}
	b, _ = bsoncore.AppendDocumentEnd(b, idx)
	e.Raw = b
	switch s.Op {
	case 'i', 'd':
		e.ID = e.Raw.Lookup("o", "_id")
	case 'u':
		e.ID = e.Raw.Lookup("o2", "_id")
	}
	return e
}

// LsidKey is a map key for an lsid document (its id UUID bytes).
func LsidKey(lsid bson.Raw) string {
	v := lsid.Lookup("id")
	if _, data, ok := v.BinaryOK(); ok {
		return string(data)
	}
	return string(v.Value)
}

// Parse reads an entry document back (for tests and tools).
func Parse(raw bson.Raw) (*Entry, error) {
	if err := raw.Validate(); err != nil {
		return nil, err
	}
	e := &Entry{Raw: raw}
	t, i := raw.Lookup("ts").Timestamp()
	e.OpTime = replset.OpTime{TS: bson.Timestamp{T: t, I: i}, T: raw.Lookup("t").AsInt64()}
	e.Wall = raw.Lookup("wall").Time()
	if op := raw.Lookup("op").StringValue(); op != "" {
		e.Op = op[0]
	}
	e.NS = raw.Lookup("ns").StringValue()
	return e, nil
}
