package mongosim

import (
	"context"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/wire"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func (r *request) checkView() error {
	coll, _ := r.body.Lookup(r.name).StringValueOK()
	if coll != "" && r.cn.m.isView(ns(r.db, coll)) {
		return mongoerr.NotSupported("queries on views (the view definition is kept, not evaluated)")
	}
	return nil
}

func (r *request) find(ctx context.Context) ([]byte, error) {
	coll := collName(r)
	if r.db == "local" {
		if err := r.checkLocalRead(coll); err != nil {
			return nil, err
		}
		switch coll {
		case "oplog.rs":
			return r.oplogFind(ctx)
		case "system.replset":
			return r.replsetFind()
		}
		return nil, mongoerr.NotSupported("local." + coll)
	}
	if err := r.checkView(); err != nil {
		return nil, err
	}
	return r.forwardRead(ctx)
}

func (r *request) replsetFind() ([]byte, error) {
	m := r.cn.m
	m.set.mu.Lock()
	c := m.node().Config
	m.set.mu.Unlock()
	batch := bson.A{}
	if c != nil {
		batch = append(batch, c.BSON())
	}
	return r.ok(cursorDoc("firstBatch", batch, 0, "local.system.replset")), nil
}

func cursorDoc(field string, batch bson.A, id int64, ns string) bson.D {
	return bson.D{{Key: "cursor", Value: bson.D{{Key: field, Value: batch}, {Key: "id", Value: id}, {Key: "ns", Value: ns}}}}
}

// firstBatchOf forwards r and returns FerretDB's first batch (or an error reply).
func (r *request) firstBatchOf() ([]bson.Raw, []byte, error) {
	reply, err := r.forward(context.Background())
	if err != nil {
		return nil, nil, err
	}
	rb, err := wire.ReplyBody(reply)
	if err != nil {
		return nil, nil, err
	}
	body := bson.Raw(rb)
	if asFloat(body.Lookup("ok")) != 1 {
		return nil, reply, nil
	}
	arr, _ := body.Lookup("cursor", "firstBatch").ArrayOK()
	vals, _ := arr.Values()
	out := make([]bson.Raw, 0, len(vals))
	for _, v := range vals {
		if d, ok := v.DocumentOK(); ok {
			out = append(out, d)
		}
	}
	return out, nil, nil
}

func (r *request) listIndexes(ctx context.Context) ([]byte, error) {
	if err := r.checkRead(); err != nil {
		return nil, err
	}
	m := r.cn.m
	name := ns(r.db, collName(r))
	m.set.mu.Lock()
	special := m.catalog.indexes[name]
	_, isView := m.catalog.views[name]
	m.set.mu.Unlock()
	if isView {
		return nil, mongoerr.New(mongoerr.CommandNotSupportedOnView, "Namespace %s is a view, not a collection", name)
	}
	if len(special) == 0 {
		return r.forward(ctx)
	}
	docs, errReply, err := r.firstBatchOf()
	if err != nil || errReply != nil {
		return errReply, err
	}
	batch := bson.A{}
	for _, d := range docs {
		if s, ok := special[d.Lookup("name").StringValue()]; ok {
			batch = append(batch, s)
		} else {
			batch = append(batch, d)
		}
	}
	return r.ok(cursorDoc("firstBatch", batch, 0, name)), nil
}

func (r *request) listCollections(ctx context.Context) ([]byte, error) {
	if r.db == "local" {
		return r.localCollections()
	}
	if err := r.checkRead(); err != nil {
		return nil, err
	}
	docs, errReply, err := r.firstBatchOf()
	if err != nil || errReply != nil {
		return errReply, err
	}
	m := r.cn.m
	nameOnly, _ := r.body.Lookup("nameOnly").BooleanOK()
	filter, _ := r.body.Lookup("filter").DocumentOK()
	batch := bson.A{}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	for _, d := range docs {
		coll := d.Lookup("name").StringValue()
		batch = append(batch, m.collectionInfoLocked(d, ns(r.db, coll), nameOnly))
	}
	for name, v := range m.catalog.views {
		db, coll := splitNS(name)
		if db != r.db {
			continue
		}
		doc := mustMarshal(bson.D{{Key: "name", Value: coll}, {Key: "type", Value: "view"}, {Key: "options", Value: v},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: true}}}})
		if ok, _ := oplog.Match(doc, filter); ok || len(filter) <= 5 {
			if nameOnly {
				doc = mustMarshal(bson.D{{Key: "name", Value: coll}, {Key: "type", Value: "view"}})
			}
			batch = append(batch, doc)
		}
	}
	return r.ok(cursorDoc("firstBatch", batch, 0, r.db+".$cmd.listCollections")), nil
}

func (m *Member) collectionInfoLocked(d bson.Raw, name string, nameOnly bool) bson.Raw {
	coll, _ := d.Lookup("name").StringValueOK()
	typ, _ := d.Lookup("type").StringValueOK()
	if nameOnly {
		return mustMarshal(bson.D{{Key: "name", Value: coll}, {Key: "type", Value: typ}})
	}
	opts, _ := d.Lookup("options").DocumentOK()
	if o, ok := m.catalog.options[name]; ok {
		opts = o
	}
	if opts == nil {
		opts = emptyDoc
	}
	info := bson.D{{Key: "readOnly", Value: false}}
	if u, ok := m.uuids[name]; ok {
		info = append(info, bson.E{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: u}})
	}
	return mustMarshal(bson.D{{Key: "name", Value: coll}, {Key: "type", Value: typ}, {Key: "options", Value: opts},
		{Key: "info", Value: info}, {Key: "idIndex", Value: bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: "_id_"}}}})
}

func (r *request) localCollections() ([]byte, error) {
	m := r.cn.m
	m.set.mu.Lock()
	max := int64(m.log.MaxBytes)
	m.set.mu.Unlock()
	batch := bson.A{
		bson.D{{Key: "name", Value: "oplog.rs"}, {Key: "type", Value: "collection"},
			{Key: "options", Value: bson.D{{Key: "capped", Value: true}, {Key: "size", Value: max}, {Key: "autoIndexId", Value: false}}},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}}}},
		bson.D{{Key: "name", Value: "system.replset"}, {Key: "type", Value: "collection"}, {Key: "options", Value: bson.D{}},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}}}},
	}
	return r.ok(cursorDoc("firstBatch", batch, 0, "local.$cmd.listCollections")), nil
}
