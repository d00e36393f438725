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
		_, err := m.run(ctx, db, bson.D{{Key: "delete", Value: coll}, {Key: "deletes", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}}, {Key: "limit", Value: 0}}}}})
		return err
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
	if len(docs) <= smallUpdateRun {
		for _, d := range docs {
			_, err := m.run(ctx, db, bson.D{{Key: "update", Value: coll}, {Key: "updates", Value: bson.A{
				bson.D{{Key: "q", Value: byID(d.Lookup("_id"))}, {Key: "u", Value: d}, {Key: "upsert", Value: true}}}}})
			if err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := m.run(ctx, db, bson.D{{Key: "delete", Value: coll}, {Key: "deletes", Value: bson.A{
		bson.D{{Key: "q", Value: inIDs(docs)}, {Key: "limit", Value: 0}}}}}); err != nil {
		return err
	}
	arr := make(bson.A, len(docs))
	for i, d := range docs {
		arr[i] = d
	}
	return m.applyInserts(ctx, db, coll, arr)
}

// applyInserts inserts documents; a duplicate _id (an entry applied twice,
// after a rollback or initial sync) replaces the document instead.
func (m *Member) applyInserts(ctx context.Context, db, coll string, docs bson.A) error {
	res, err := m.run(ctx, db, bson.D{{Key: "insert", Value: coll}, {Key: "documents", Value: docs}, {Key: "ordered", Value: false}})
	if err != nil {
		return err
	}
	arr, ok := res.Lookup("writeErrors").ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := arr.Values()
	var dups []bson.Raw
	for _, v := range vals {
		we, _ := v.DocumentOK()
		if asInt(we.Lookup("code")) != 11000 {
			return fmt.Errorf("insert into %s.%s: %s", db, coll, we.Lookup("errmsg").StringValue())
		}
		dups = append(dups, docs[asInt(we.Lookup("index"))].(bson.Raw))
	}
	for _, d := range dups {
		if err := m.replaceDocs(ctx, db, coll, []bson.Raw{d}); err != nil {
			return err
		}
	}
	return nil
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
