package mongosim

import (
	"context"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ddlCollMod keeps what collMod changes in the catalog: validators, view
// definitions and an index's expireAfterSeconds. Other options are refused.
func (m *Member) ddlCollMod(ctx context.Context, db, coll string, cmd bson.Raw) (bson.Raw, []oplog.Spec, error) {
	name := ns(db, coll)
	opts := cleanCmd(cmd, "collMod")
	var idx bson.Raw
	for _, e := range opts {
		switch e.Key {
		case "validator", "validationLevel", "validationAction", "viewOn", "pipeline":
		case "index":
			idx, _ = e.Value.(bson.RawValue).DocumentOK()
		default:
			return nil, nil, mongoerr.NotSupported("collMod option " + e.Key)
		}
	}
	var spec bson.Raw
	if idx != nil {
		var err error
		if spec, err = m.collModIndex(ctx, db, coll, idx); err != nil {
			return nil, nil, err
		}
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	if spec != nil {
		if m.catalog.indexes[name] == nil {
			m.catalog.indexes[name] = map[string]bson.Raw{}
		}
		m.catalog.indexes[name][spec.Lookup("name").StringValue()] = spec
	}
	base := m.catalog.options[name]
	if v, ok := m.catalog.views[name]; ok {
		base = v
	}
	merged := mergeDoc(base, opts, "index")
	if _, ok := m.catalog.views[name]; ok {
		m.catalog.views[name] = merged
	} else if len(merged) > 5 {
		m.catalog.options[name] = merged
	}
	o := mustMarshal(append(bson.D{{Key: "collMod", Value: coll}}, opts...))
	return okDoc, []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: m.uuids[name], O: o}}, nil
}

func (m *Member) collModIndex(ctx context.Context, db, coll string, idx bson.Raw) (bson.Raw, error) {
	name := ns(db, coll)
	cur, err := m.client.Database(db).Collection(coll).Indexes().List(ctx)
	if err != nil {
		return nil, err
	}
	var found bson.Raw
	for cur.Next(ctx) {
		d := cur.Current
		n, _ := idx.Lookup("name").StringValueOK()
		kp, _ := idx.Lookup("keyPattern").DocumentOK()
		if d.Lookup("name").StringValue() == n || (kp != nil && string(d.Lookup("key").Value) == string(kp)) {
			found = append(bson.Raw(nil), d...)
		}
	}
	_ = cur.Close(ctx)
	if found == nil {
		return nil, mongoerr.New(mongoerr.IndexNotFound, "cannot find index %s for ns %s", idx.String(), name)
	}
	m.set.mu.Lock()
	if s, ok := m.catalog.indexes[name][found.Lookup("name").StringValue()]; ok {
		found = s
	}
	m.set.mu.Unlock()
	return mergeDoc(found, cleanCmd(idx, "name", "keyPattern"), ""), nil
}

// mergeDoc returns base with the fields of set replacing or added (skip excluded).
func mergeDoc(base bson.Raw, set bson.D, skip string) bson.Raw {
	var out bson.D
	elems, _ := base.Elements()
	for _, e := range elems {
		out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
	}
	for _, s := range set {
		if s.Key == skip {
			continue
		}
		replaced := false
		for i := range out {
			if out[i].Key == s.Key {
				out[i].Value, replaced = s.Value, true
			}
		}
		if !replaced {
			out = append(out, s)
		}
	}
	if out == nil {
		return emptyDoc
	}
	return mustMarshal(out)
}
