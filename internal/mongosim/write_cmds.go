package mongosim

import (
	"context"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type stmtFunc func(ctx context.Context, db, coll string, stmt bson.Raw, sess *session, i int) (stmtResult, error)

func (r *request) update(ctx context.Context) ([]byte, error) {
	return r.statements(ctx, "updates", r.cn.m.updateOne, true)
}

func (r *request) delete(ctx context.Context) ([]byte, error) {
	return r.statements(ctx, "deletes", r.cn.m.deleteOne, false)
}

// statements runs an update or delete command statement by statement on
// FerretDB, logs each statement's entries and answers as mongod does.
func (r *request) statements(ctx context.Context, field string, run stmtFunc, isUpdate bool) ([]byte, error) {
	w, err := r.startWrite()
	if err != nil {
		return nil, err
	}
	db, coll, wc, sess, done := w.db, w.coll, w.wc, w.sess, w.done
	m := r.cn.m
	term, err := m.beginWrite()
	if err != nil {
		return nil, err
	}
	specs := m.ensureCollection(ctx, db, coll)
	var n, nModified int32
	var upserted, writeErrors bson.A
	for i, stmt := range r.docsOf(field) {
		if d, ok := done[int32(i)]; ok {
			n++
			if d.op == 'i' && isUpdate {
				upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: d.id}})
			} else if isUpdate {
				nModified++
			}
			continue
		}
		res, err := run(ctx, db, coll, stmt, sess, i)
		if err != nil {
			m.commit(term, specs)
			m.endWrite()
			return nil, err
		}
		n, nModified, specs = n+res.n, nModified+res.nModified, append(specs, res.specs...)
		if res.upserted.Type != 0 {
			upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: res.upserted}})
		}
		if res.writeErr != nil {
			writeErrors = append(writeErrors, bson.Raw(amendIndex(res.writeErr, i)))
			if ordered(r.body) {
				break
			}
		}
	}
	op := m.commit(term, specs)
	m.endWrite()
	wce := m.awaitWriteConcern(ctx, maxOp(op, doneOpTime(done)), term, wc)
	out := bson.D{{Key: "n", Value: n}}
	if isUpdate {
		out = append(out, bson.E{Key: "nModified", Value: nModified})
		if len(upserted) > 0 {
			out = append(out, bson.E{Key: "upserted", Value: upserted})
		}
	}
	if len(writeErrors) > 0 {
		out = append(out, bson.E{Key: "writeErrors", Value: writeErrors})
	}
	if wce != nil {
		out = append(out, bson.E{Key: "writeConcernError", Value: wce})
	}
	return r.ok(out), nil
}

func amendIndex(we bson.Raw, i int) []byte {
	return mustMarshal(replaceField(we, "index", int32(i)))
}

var fieldsNotForwarded = map[string]bool{"lsid": true, "txnNumber": true, "$clusterTime": true, "writeConcern": true,
	"$db": true, "$readPreference": true, "autocommit": true, "startTransaction": true, "stmtId": true}

func (r *request) findAndModify(ctx context.Context) ([]byte, error) {
	w, err := r.startWrite()
	if err != nil {
		return nil, err
	}
	db, coll, wc, sess, done := w.db, w.coll, w.wc, w.sess, w.done
	m := r.cn.m
	if d, ok := done[0]; ok {
		if d.image == nil {
			return nil, mongoerr.New(mongoerr.IncompleteTransactionHistory, "Incomplete history detected for transaction %d on session: the findAndModify image is not kept on this member", sess.txn)
		}
		return r.ok(bson.D{{Key: "lastErrorObject", Value: bson.D{{Key: "n", Value: int32(1)}}}, {Key: "value", Value: d.image}}), nil
	}
	term, err := m.beginWrite()
	if err != nil {
		return nil, err
	}
	specs := m.ensureCollection(ctx, db, coll)
	res, more, err := m.findAndModifyOne(ctx, db, coll, r.body, sess)
	specs = append(specs, more...)
	op := m.commit(term, specs)
	if err == nil && len(more) > 0 {
		m.set.mu.Lock()
		m.setImageLocked(sess, 0, res.Lookup("value").Value)
		m.set.mu.Unlock()
	}
	m.endWrite()
	if err != nil {
		return nil, err
	}
	wce := m.awaitWriteConcern(ctx, op, term, wc)
	return r.reply(amend(res, nil, wce)), nil
}

func (m *Member) findAndModifyOne(ctx context.Context, db, coll string, body bson.Raw, sess *session) (bson.Raw, []oplog.Spec, error) {
	q, _ := body.Lookup("query").DocumentOK()
	sort, _ := body.Lookup("sort").DocumentOK()
	pre, err := m.findDocs(ctx, db, coll, q, sort, 1)
	if err != nil {
		return nil, nil, err
	}
	var cmd bson.D
	elems, _ := body.Elements()
	for _, e := range elems {
		switch k := e.Key(); {
		case fieldsNotForwarded[k]:
		case k == "query" && len(pre) == 1:
			cmd = append(cmd, bson.E{Key: k, Value: byID(pre[0].Lookup("_id"))})
		default:
			cmd = append(cmd, bson.E{Key: k, Value: e.Value()})
		}
	}
	res, err := m.run(ctx, db, cmd)
	if err != nil {
		return nil, nil, err
	}
	name, ui := ns(db, coll), m.uuidOf(ns(db, coll))
	leo, _ := res.Lookup("lastErrorObject").DocumentOK()
	if remove, _ := body.Lookup("remove").BooleanOK(); remove {
		if len(pre) == 1 && asInt(leo.Lookup("n")) > 0 {
			id := pre[0].Lookup("_id")
			return res, []oplog.Spec{{Op: 'd', NS: name, UI: ui, O: idDoc(id), Session: sess.spec(0)}}, nil
		}
		return res, nil, nil
	}
	id, op := bson.RawValue{}, byte('u')
	if up := leo.Lookup("upserted"); up.Type != 0 {
		id, op = up, 'i'
	} else if len(pre) == 1 {
		id = pre[0].Lookup("_id")
	} else {
		return res, nil, nil
	}
	post, err := m.findDocs(ctx, db, coll, byID(id), nil, 1)
	if err != nil || len(post) == 0 || (op == 'u' && string(post[0]) == string(pre[0])) {
		return res, nil, err
	}
	return res, []oplog.Spec{{Op: op, NS: name, UI: ui, O: post[0], O2: idDoc(id), Session: sess.spec(0)}}, nil
}
