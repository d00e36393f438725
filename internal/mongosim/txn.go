package mongosim

import (
	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// txnRecord is what a member knows of a session's retryable writes, built
// from the oplog entries carrying lsid/txnNumber/stmtId (mongod keeps this
// in config.transactions).
type txnRecord struct {
	txn   int64
	stmts map[int32]stmtDone
}

type stmtDone struct {
	op    byte
	id    bson.RawValue
	at    replset.OpTime
	image bson.Raw // findAndModify's reply value, on the member that ran it
}

// session is the retryable-write identity of a command.
type session struct {
	lsid bson.Raw
	key  string
	txn  int64
}

func (r *request) session() *session {
	lsid, ok := r.body.Lookup("lsid").DocumentOK()
	if !ok {
		return nil
	}
	txn, ok := r.body.Lookup("txnNumber").Int64OK()
	if !ok {
		return nil
	}
	return &session{lsid: lsid, key: oplog.LsidKey(lsid), txn: txn}
}

func (s *session) spec(stmt int) *oplog.Session {
	if s == nil {
		return nil
	}
	return &oplog.Session{Lsid: s.lsid, TxnNumber: s.txn, StmtID: int32(stmt)}
}

// executed returns the statements of this retryable write already done.
func (m *Member) executed(s *session) (map[int32]stmtDone, error) {
	if s == nil {
		return nil, nil
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	rec := m.sessions[s.key]
	switch {
	case rec == nil || rec.txn < s.txn:
		return nil, nil
	case rec.txn > s.txn:
		return nil, mongoerr.New(mongoerr.TransactionTooOld, "Retryable write with txnNumber %d is prohibited on session because a newer retryable write with txnNumber %d has already started on this session.", s.txn, rec.txn)
	}
	out := make(map[int32]stmtDone, len(rec.stmts))
	for k, v := range rec.stmts {
		out[k] = v
	}
	return out, nil
}

func (m *Member) recordStmtLocked(e *oplog.Entry) {
	rec := m.sessions[e.Lsid]
	if rec == nil || rec.txn < e.TxnNumber {
		rec = &txnRecord{txn: e.TxnNumber, stmts: map[int32]stmtDone{}}
		m.sessions[e.Lsid] = rec
	}
	if rec.txn == e.TxnNumber {
		rec.stmts[e.StmtID] = stmtDone{op: e.Op, id: e.ID, at: e.OpTime}
	}
}

// setImageLocked keeps findAndModify's reply value for its retry.
func (m *Member) setImageLocked(s *session, stmt int32, image bson.Raw) {
	if s == nil {
		return
	}
	if rec := m.sessions[s.key]; rec != nil && rec.txn == s.txn {
		d := rec.stmts[stmt]
		d.image = image
		rec.stmts[stmt] = d
	}
}

// rebuildSessionsLocked recomputes the session table from the oplog
// (after a rollback truncated it).
func (m *Member) rebuildSessionsLocked() {
	m.sessions = map[string]*txnRecord{}
	for i := 0; i < m.log.Len(); i++ {
		if e := m.log.At(i); e.HasTxn {
			m.recordStmtLocked(e)
		}
	}
}
