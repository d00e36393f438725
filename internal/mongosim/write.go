package mongosim

import (
	"context"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"github.com/noscites/citadel/internal/mongosim/wire"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// docsOf returns a write command's statements: its kind-1 sequence or the
// array field of the body.
func (r *request) docsOf(field string) [][]byte {
	if docs := r.msg.Sequence(field); docs != nil {
		return docs
	}
	arr, ok := r.body.Lookup(field).ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := arr.Values()
	out := make([][]byte, 0, len(vals))
	for _, v := range vals {
		if d, ok := v.DocumentOK(); ok {
			out = append(out, d)
		}
	}
	return out
}

func (r *request) writeTarget() (string, string, error) {
	coll := collName(r)
	if coll == "" {
		return "", "", mongoerr.New(mongoerr.InvalidOptions, "collection name has invalid type")
	}
	if r.db == "local" {
		return "", "", mongoerr.NotSupported("writes to the local database")
	}
	if r.cn.m.isView(ns(r.db, coll)) {
		return "", "", mongoerr.New(mongoerr.CommandNotSupportedOnView, "Namespace %s is a view, not a collection", ns(r.db, coll))
	}
	return r.db, coll, nil
}

// writeStart is what every write command settles before it writes: the
// target namespace, the write concern to wait for, and the statements of a
// retried transaction number that were already executed.
type writeStart struct {
	db, coll string
	wc       writeConcern
	sess     *session
	done     map[int32]stmtDone
}

func (r *request) startWrite() (writeStart, error) {
	db, coll, err := r.writeTarget()
	if err != nil {
		return writeStart{}, err
	}
	wc, err := r.writeConcernOf()
	if err != nil {
		return writeStart{}, err
	}
	sess := r.session()
	done, err := r.cn.m.executed(sess)
	if err != nil {
		return writeStart{}, err
	}
	return writeStart{db: db, coll: coll, wc: wc, sess: sess, done: done}, nil
}

func ordered(body bson.Raw) bool {
	if b, ok := body.Lookup("ordered").BooleanOK(); ok {
		return b
	}
	return true
}

// withID returns doc with an ObjectId _id first when it has none.
func withID(doc []byte) ([]byte, bool) {
	if _, err := bson.Raw(doc).LookupErr("_id"); err == nil {
		return doc, false
	}
	idx, b := bsoncore.AppendDocumentStart(make([]byte, 0, len(doc)+17))
	b = bsoncore.AppendObjectIDElement(b, "_id", bson.NewObjectID())
	b = append(b, doc[4:len(doc)-1]...)
	b, _ = bsoncore.AppendDocumentEnd(b, idx)
	return b, true
}

func (r *request) insert(ctx context.Context) ([]byte, error) {
	w, err := r.startWrite()
	if err != nil {
		return nil, err
	}
	db, coll, wc, sess, done := w.db, w.coll, w.wc, w.sess, w.done
	all := r.docsOf("documents")
	docs, stmts, rewrite := make([][]byte, 0, len(all)), make([]int, 0, len(all)), len(done) > 0
	for i, d := range all {
		if _, ok := done[int32(i)]; ok {
			continue
		}
		d, added := withID(d)
		rewrite = rewrite || added
		docs, stmts = append(docs, d), append(stmts, i)
	}
	m := r.cn.m
	term, err := m.beginWrite()
	if err != nil {
		return nil, err
	}
	specs := m.ensureCollection(ctx, db, coll)
	var reply []byte
	if len(docs) > 0 {
		msg := r.raw
		if rewrite {
			msg = insertMsg(r, coll, docs)
		}
		if reply, err = r.cn.roundTrip(msg); err != nil {
			m.endWrite()
			return nil, err
		}
	}
	body, _ := wire.ReplyBody(reply)
	ok := insertedIndexes(body, len(docs), ordered(r.body))
	ui := m.uuidOf(ns(db, coll))
	for _, i := range ok {
		id := bson.Raw(docs[i]).Lookup("_id")
		specs = append(specs, oplog.Spec{Op: 'i', NS: ns(db, coll), UI: ui, O: docs[i], O2: idDoc(id), Session: sess.spec(stmts[i])})
	}
	op := m.commit(term, specs)
	m.endWrite()
	op = maxOp(op, doneOpTime(done))
	wce := m.awaitWriteConcern(ctx, op, term, wc)
	if !rewrite && wce == nil {
		return reply, nil
	}
	if body == nil {
		body = mustMarshal(bson.D{{Key: "n", Value: int32(0)}, {Key: "ok", Value: 1.0}})
	}
	n := int32(len(ok) + len(done))
	return r.reply(amend(body, bson.D{{Key: "n", Value: n}}, wce)), nil
}

func insertMsg(r *request, coll string, docs [][]byte) []byte {
	arr := make(bson.A, len(docs))
	for i, d := range docs {
		arr[i] = bson.Raw(d)
	}
	cmd := bson.D{{Key: "insert", Value: coll}, {Key: "documents", Value: arr},
		{Key: "ordered", Value: ordered(r.body)}, {Key: "$db", Value: r.db}}
	return wire.AppendMsg(nil, requestIDs.Add(1), 0, 0, mustMarshal(cmd))
}

// insertedIndexes lists the statements FerretDB inserted, from its reply.
func insertedIndexes(body bson.Raw, n int, isOrdered bool) []int {
	failed := map[int]bool{}
	first := n
	if arr, ok := body.Lookup("writeErrors").ArrayOK(); ok {
		vals, _ := arr.Values()
		for _, v := range vals {
			if d, ok := v.DocumentOK(); ok {
				i := int(asInt(d.Lookup("index")))
				failed[i] = true
				first = min(first, i)
			}
		}
	}
	if body == nil || asFloat(body.Lookup("ok")) != 1 {
		return nil
	}
	var out []int
	for i := 0; i < n; i++ {
		if !failed[i] && (!isOrdered || i < first) {
			out = append(out, i)
		}
	}
	return out
}

func idDoc(id bson.RawValue) bson.Raw {
	b := bsoncore.BuildDocument(nil, bsoncore.AppendValueElement(nil, "_id", bsoncore.Value{Type: bsoncore.Type(id.Type), Data: id.Value}))
	return b
}

func maxOp(a, b replset.OpTime) replset.OpTime {
	if a.Less(b) {
		return b
	}
	return a
}

func doneOpTime(done map[int32]stmtDone) replset.OpTime {
	var op replset.OpTime
	for _, d := range done {
		op = maxOp(op, d.at)
	}
	return op
}

// amend rewrites a reply body: fields in set replace or are added (before
// ok), and a writeConcernError is appended when wce is not nil.
func amend(body bson.Raw, set bson.D, wce bson.D) []byte {
	var out bson.D
	elems, _ := body.Elements()
	seen := map[string]bool{}
	for _, e := range elems {
		k := e.Key()
		if k == "ok" || k == "$clusterTime" || k == "operationTime" {
			continue
		}
		replaced := false
		for _, s := range set {
			if s.Key == k {
				out, replaced, seen[k] = append(out, s), true, true
			}
		}
		if !replaced {
			out = append(out, bson.E{Key: k, Value: e.Value()})
		}
	}
	for _, s := range set {
		if !seen[s.Key] {
			out = append(out, s)
		}
	}
	if wce != nil {
		out = append(out, bson.E{Key: "writeConcernError", Value: wce})
	}
	out = append(out, bson.E{Key: "ok", Value: 1.0})
	return mustMarshal(out)
}
