package mongosim

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// findDocs reads documents from this member's FerretDB.
func (m *Member) findDocs(ctx context.Context, db, coll string, filter, sort bson.Raw, limit int64) ([]bson.Raw, error) {
	if filter == nil {
		filter = bson.Raw(emptyDoc)
	}
	opts := options.Find()
	if limit > 0 {
		opts.SetLimit(limit)
	}
	if len(sort) > 5 {
		opts.SetSort(sort)
	}
	cur, err := m.client.Database(db).Collection(coll).Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find in %s.%s: %w", db, coll, err)
	}
	defer cur.Close(ctx)
	var out []bson.Raw
	for cur.Next(ctx) {
		out = append(out, append(bson.Raw(nil), cur.Current...))
	}
	return out, cur.Err()
}

var emptyDoc = []byte{5, 0, 0, 0, 0}

// run sends a command to this member's FerretDB. A reply with writeErrors
// is returned as a reply, not an error: the driver turns such a reply into
// a WriteException, but callers read which statements failed from the
// reply itself, for instance to replace the documents an idempotent
// insert found already there.
func (m *Member) run(ctx context.Context, db string, cmd bson.D) (bson.Raw, error) {
	res, err := m.client.Database(db).RunCommand(ctx, cmd).Raw()
	if err != nil {
		var we mongo.WriteException
		if errors.As(err, &we) && we.WriteConcernError == nil && len(we.WriteErrors) > 0 && len(we.Raw) > 0 {
			return we.Raw, nil
		}
		var ce mongo.CommandError
		if errors.As(err, &ce) {
			return nil, mongoerr.Upstream(ce.Code, ce.Name, ce.Message)
		}
		return nil, fmt.Errorf("run %s on %s: %w", cmd[0].Key, db, err)
	}
	return res, nil
}

func idsOf(docs []bson.Raw) bson.A {
	out := make(bson.A, len(docs))
	for i, d := range docs {
		out[i] = d.Lookup("_id")
	}
	return out
}

func byID(id bson.RawValue) bson.Raw { return idDoc(id) }

func inIDs(docs []bson.Raw) bson.Raw {
	return mustMarshal(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: idsOf(docs)}}}})
}

// replaceField returns stmt (a document) with field set to v.
func replaceField(stmt bson.Raw, field string, v any) bson.D {
	var out bson.D
	elems, _ := stmt.Elements()
	for _, e := range elems {
		if e.Key() == field {
			out = append(out, bson.E{Key: field, Value: v})
		} else {
			out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return out
}

type stmtResult struct {
	n, nModified int32
	upserted     bson.RawValue
	writeErr     bson.Raw
	specs        []oplog.Spec
}

// updateOne runs one update statement and logs what changed, each changed
// document in full replacement form with o2 {_id}.
func (m *Member) updateOne(ctx context.Context, db, coll string, stmt bson.Raw, sess *session, i int) (stmtResult, error) {
	q, _ := stmt.Lookup("q").DocumentOK()
	multi, _ := stmt.Lookup("multi").BooleanOK()
	limit := int64(1)
	if multi {
		limit = 0
	}
	pre, err := m.findDocs(ctx, db, coll, q, nil, limit)
	if err != nil {
		return stmtResult{}, err
	}
	st := bson.D(replaceField(stmt, "q", q))
	if !multi && len(pre) == 1 {
		st = replaceField(stmt, "q", byID(pre[0].Lookup("_id")))
	}
	res, err := m.run(ctx, db, bson.D{{Key: "update", Value: coll}, {Key: "updates", Value: bson.A{st}}, {Key: "ordered", Value: true}})
	if err != nil {
		return stmtResult{}, err
	}
	out := stmtResult{n: int32(asInt(res.Lookup("n"))), nModified: int32(asInt(res.Lookup("nModified")))}
	if we, ok := firstWriteError(res); ok {
		out.writeErr = we
		return out, nil
	}
	name, ui := ns(db, coll), m.uuidOf(ns(db, coll))
	if up, ok := res.Lookup("upserted").ArrayOK(); ok {
		out.upserted = up.Index(0).Document().Lookup("_id")
		docs, err := m.findDocs(ctx, db, coll, byID(out.upserted), nil, 1)
		if err == nil && len(docs) == 1 {
			out.specs = append(out.specs, oplog.Spec{Op: 'i', NS: name, UI: ui, O: docs[0], O2: idDoc(out.upserted), Session: sess.spec(i)})
		}
		return out, err
	}
	if out.nModified == 0 || len(pre) == 0 {
		return out, nil
	}
	post, err := m.findDocs(ctx, db, coll, inIDs(pre), nil, 0)
	if err != nil {
		return out, err
	}
	old := map[string][]byte{}
	for _, d := range pre {
		old[string(d.Lookup("_id").Value)] = d
	}
	for _, d := range post {
		id := d.Lookup("_id")
		if !bytes.Equal(old[string(id.Value)], d) {
			out.specs = append(out.specs, oplog.Spec{Op: 'u', NS: name, UI: ui, O: d, O2: idDoc(id), Session: sess.spec(i)})
		}
	}
	return out, nil
}

func firstWriteError(res bson.Raw) (bson.Raw, bool) {
	arr, ok := res.Lookup("writeErrors").ArrayOK()
	if !ok {
		return nil, false
	}
	v, err := arr.IndexErr(0)
	if err != nil {
		return nil, false
	}
	d, ok := v.DocumentOK()
	return d, ok
}

// deleteOne runs one delete statement and logs a d entry per removed _id.
func (m *Member) deleteOne(ctx context.Context, db, coll string, stmt bson.Raw, sess *session, i int) (stmtResult, error) {
	q, _ := stmt.Lookup("q").DocumentOK()
	limit := asInt(stmt.Lookup("limit"))
	pre, err := m.findDocs(ctx, db, coll, q, nil, limit)
	if err != nil || len(pre) == 0 {
		return stmtResult{}, err
	}
	st := replaceField(stmt, "q", inIDs(pre))
	res, err := m.run(ctx, db, bson.D{{Key: "delete", Value: coll}, {Key: "deletes", Value: bson.A{st}}, {Key: "ordered", Value: true}})
	if err != nil {
		return stmtResult{}, err
	}
	out := stmtResult{n: int32(asInt(res.Lookup("n")))}
	if we, ok := firstWriteError(res); ok {
		out.writeErr = we
		return out, nil
	}
	name, ui := ns(db, coll), m.uuidOf(ns(db, coll))
	for _, d := range pre {
		id := d.Lookup("_id")
		out.specs = append(out.specs, oplog.Spec{Op: 'd', NS: name, UI: ui, O: idDoc(id), Session: sess.spec(i)})
	}
	return out, nil
}
