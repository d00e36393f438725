package mongosim

import (
	"context"
	"errors"
	"fmt"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// smallUpdateRun is the largest run of u entries applied as one upsert per
// document; longer runs are applied as one delete by _id $in plus one
// insert, since every FerretDB update scans the whole collection.
const smallUpdateRun = 2

// applyEntries applies oplog entries to FerretDB, batching consecutive
// entries of the same kind on the same namespace.
func (m *Member) applyEntries(ctx context.Context, entries []*oplog.Entry) error {
	for i := 0; i < len(entries); {
		e := entries[i]
		j := i + 1
		if e.Op == 'i' || e.Op == 'u' || e.Op == 'd' {
			for j < len(entries) && entries[j].Op == e.Op && entries[j].NS == e.NS {
				j++
			}
		}
		if err := m.applyRun(ctx, entries[i:j]); err != nil {
			return fmt.Errorf("apply %c on %s at %s: %w", e.Op, e.NS, e.OpTime, err)
		}
		i = j
	}
	return nil
}

func docsOfRun(run []*oplog.Entry) bson.A {
	out := make(bson.A, 0, len(run))
	for _, e := range run {
		if o, ok := e.Raw.Lookup("o").DocumentOK(); ok {
			out = append(out, o)
		}
	}
	return out
}

func (m *Member) applyRun(ctx context.Context, run []*oplog.Entry) error {
	e := run[0]
	db, coll := splitNS(e.NS)
	switch e.Op {
	case 'n':
		return nil
	case 'c':
		return m.applyCommand(ctx, e)
	case 'i':
		return m.applyInserts(ctx, db, coll, docsOfRun(run))
	case 'd':
		ids := bson.A{}
		for _, x := range run {
			ids = append(ids, x.ID)
		}
		return m.deleteIDs(ctx, db, coll, ids)
	}
	latest, order := map[string]bson.Raw{}, []string{}
	for _, x := range run {
		k := string(x.ID.Value)
		if _, seen := latest[k]; !seen {
			order = append(order, k)
		}
		latest[k], _ = x.Raw.Lookup("o").DocumentOK()
	}
	docs := make([]bson.Raw, 0, len(order))
	for _, k := range order {
		docs = append(docs, latest[k])
	}
	return m.replaceDocs(ctx, db, coll, docs)
}

// replaceDocs makes each document's stored version equal to the given one.
func (m *Member) replaceDocs(ctx context.Context, db, coll string, docs []bson.Raw) error {
	if len(docs) > smallUpdateRun {
		return m.rewriteDocs(ctx, db, coll, docs)
	}
	for _, d := range docs {
		res, err := m.run(ctx, db, bson.D{{Key: "update", Value: coll}, {Key: "updates", Value: bson.A{
			bson.D{{Key: "q", Value: byID(d.Lookup("_id"))}, {Key: "u", Value: d}, {Key: "upsert", Value: true}}}}})
		if err != nil {
			return err
		}
		if we, ok := firstWriteError(res); ok {
			return fmt.Errorf("replace in %s.%s: %s", db, coll, we.Lookup("errmsg").StringValue())
		}
	}
	return nil
}

// rewriteDocs replaces documents by deleting them by _id, then inserting
// them: two statements whatever their number.
func (m *Member) rewriteDocs(ctx context.Context, db, coll string, docs []bson.Raw) error {
	if err := m.deleteIDs(ctx, db, coll, idsOf(docs)); err != nil {
		return err
	}
	arr := make(bson.A, len(docs))
	for i, d := range docs {
		arr[i] = d
	}
	dups, err := m.insertDocs(ctx, db, coll, arr)
	if err != nil {
		return err
	}
	if len(dups) > 0 {
		return fmt.Errorf("insert into %s.%s: %d documents collide in a unique index other than _id (%s)", db, coll, len(dups), dups[0].msg)
	}
	return nil
}

func (m *Member) deleteIDs(ctx context.Context, db, coll string, ids bson.A) error {
	res, err := m.run(ctx, db, bson.D{{Key: "delete", Value: coll}, {Key: "deletes", Value: bson.A{
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}}, {Key: "limit", Value: 0}}}}})
	if err != nil {
		return err
	}
	if we, ok := firstWriteError(res); ok {
		return fmt.Errorf("delete from %s.%s: %s", db, coll, we.Lookup("errmsg").StringValue())
	}
	return nil
}

// applyInserts inserts documents idempotently, as mongod applies oplog
// entries: the batch goes in as one unordered insert, and the documents
// refused as duplicates (an entry applied twice: after a rollback, an
// initial sync, or a batch cut short by a stop) replace the stored ones.
// Only those collided ids are rewritten, never one upsert per document.
func (m *Member) applyInserts(ctx context.Context, db, coll string, docs bson.A) error {
	dups, err := m.insertDocs(ctx, db, coll, docs)
	if err != nil || len(dups) == 0 {
		return err
	}
	again := make([]bson.Raw, len(dups))
	for i, d := range dups {
		again[i] = d.doc
	}
	return m.rewriteDocs(ctx, db, coll, again)
}

// duplicate is a document an insert refused with a duplicate-key error.
type duplicate struct {
	doc bson.Raw
	msg string
}

// insertDocs inserts documents unordered; it returns those refused as
// duplicate keys (code 11000) and fails on any other write error.
func (m *Member) insertDocs(ctx context.Context, db, coll string, docs bson.A) ([]duplicate, error) {
	res, err := m.run(ctx, db, bson.D{{Key: "insert", Value: coll}, {Key: "documents", Value: docs}, {Key: "ordered", Value: false}})
	if err != nil {
		return nil, err
	}
	arr, ok := res.Lookup("writeErrors").ArrayOK()
	if !ok {
		return nil, nil
	}
	vals, _ := arr.Values()
	var dups []duplicate
	for _, v := range vals {
		we, _ := v.DocumentOK()
		msg := we.Lookup("errmsg").StringValue()
		i := int(asInt(we.Lookup("index")))
		if asInt(we.Lookup("code")) != 11000 || i < 0 || i >= len(docs) {
			return nil, fmt.Errorf("insert into %s.%s: %s", db, coll, msg)
		}
		d, _ := docs[i].(bson.Raw)
		dups = append(dups, duplicate{doc: d, msg: msg})
	}
	return dups, nil
}

// applyCommand replays a c entry through the same DDL code the primary ran.
func (m *Member) applyCommand(ctx context.Context, e *oplog.Entry) error {
	o, _ := e.Raw.Lookup("o").DocumentOK()
	db, _ := splitNS(e.NS)
	var ui []byte
	if _, data, ok := e.Raw.Lookup("ui").BinaryOK(); ok {
		ui = data
	}
	first, err := o.IndexErr(0)
	if err != nil {
		return err
	}
	cmd := o
	switch first.Key() {
	case "createIndexes":
		cmd = mustMarshal(bson.D{{Key: "createIndexes", Value: first.Value()}, {Key: "indexes", Value: bson.A{mustMarshal(cleanCmd(o, "createIndexes"))}}})
	case "renameCollection":
		db = "admin"
	}
	_, _, err = m.execDDL(ctx, db, cmd, ui)
	var me *mongoerr.Error
	if errors.As(err, &me) && (me.Code == 48 || me.Code == mongoerr.NamespaceNotFound) {
		return nil // already there / already gone: replaying is idempotent
	}
	return err
}
