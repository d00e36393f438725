package mongosim

import (
	"context"
	"errors"
	"strings"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var okDoc = mustMarshal(bson.D{{Key: "ok", Value: 1.0}})

// ddl runs a catalog-changing command on the primary and logs its c entries.
func (r *request) ddl(ctx context.Context) ([]byte, error) {
	if r.db == "local" {
		return nil, mongoerr.NotSupported("writes to the local database")
	}
	wc, err := r.writeConcernOf()
	if err != nil {
		return nil, err
	}
	m := r.cn.m
	term, err := m.beginWrite()
	if err != nil {
		return nil, err
	}
	reply, specs, err := m.execDDL(ctx, r.db, r.body, nil)
	op := m.commit(term, specs)
	m.endWrite()
	if err != nil {
		return nil, err
	}
	wce := m.awaitWriteConcern(ctx, op, term, wc)
	return r.reply(amend(reply, nil, wce)), nil
}

// cleanCmd copies a command without the fields only the wire carries.
func cleanCmd(cmd bson.Raw, drop ...string) bson.D {
	out := bson.D{}
	elems, _ := cmd.Elements()
outer:
	for _, e := range elems {
		if fieldsNotForwarded[e.Key()] {
			continue
		}
		for _, d := range drop {
			if e.Key() == d {
				continue outer
			}
		}
		out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return out
}

// execDDL applies a DDL command to FerretDB and the catalog. ui is the
// collection UUID when replaying an entry, nil on the primary.
func (m *Member) execDDL(ctx context.Context, db string, cmd bson.Raw, ui []byte) (bson.Raw, []oplog.Spec, error) {
	first, _ := cmd.IndexErr(0)
	name := first.Key()
	coll, _ := first.Value().StringValueOK()
	switch strings.ToLower(name) {
	case "create":
		return m.ddlCreate(ctx, db, coll, cmd, ui)
	case "drop":
		return m.ddlDrop(ctx, db, coll)
	case "createindexes":
		return m.ddlCreateIndexes(ctx, db, coll, cmd, ui)
	case "dropindexes":
		return m.ddlDropIndexes(ctx, db, coll, cmd)
	case "dropdatabase":
		return m.ddlDropDatabase(ctx, db)
	case "renamecollection":
		return m.ddlRename(ctx, cmd)
	case "collmod":
		return m.ddlCollMod(ctx, db, coll, cmd)
	}
	return nil, nil, mongoerr.NotSupported("command " + name)
}

var validatorFields = []string{"validator", "validationLevel", "validationAction"}

func (m *Member) ddlCreate(ctx context.Context, db, coll string, cmd bson.Raw, ui []byte) (bson.Raw, []oplog.Spec, error) {
	opts := mustMarshal(cleanCmd(cmd, "create", "idIndex"))
	if ui == nil {
		ui = newUUID()
	}
	name := ns(db, coll)
	if _, isView := opts.Lookup("viewOn").StringValueOK(); isView {
		m.set.mu.Lock()
		m.catalog.views[name] = opts
		m.set.mu.Unlock()
		return okDoc, []oplog.Spec{{Op: 'c', NS: db + ".$cmd", O: createDoc(coll, opts)}}, nil
	}
	fcmd := append(bson.D{{Key: "create", Value: coll}}, cleanCmd(opts, validatorFields...)...)
	if _, err := m.run(ctx, db, fcmd); err != nil {
		return nil, nil, err
	}
	m.set.mu.Lock()
	m.uuids[name] = ui
	if len(opts) > 5 {
		m.catalog.options[name] = opts
	}
	m.set.mu.Unlock()
	return okDoc, []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: ui, O: createDoc(coll, opts)}}, nil
}

func (m *Member) ddlDrop(ctx context.Context, db, coll string) (bson.Raw, []oplog.Spec, error) {
	name := ns(db, coll)
	m.set.mu.Lock()
	_, isView := m.catalog.views[name]
	ui := m.uuids[name]
	m.set.mu.Unlock()
	spec := []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: ui, O: mustMarshal(bson.D{{Key: "drop", Value: coll}})}}
	if !isView {
		if _, err := m.run(ctx, db, bson.D{{Key: "drop", Value: coll}}); err != nil {
			var me *mongoerr.Error
			if errors.As(err, &me) && me.Code == mongoerr.NamespaceNotFound {
				return okDoc, nil, nil // mongod 7.0 drops a missing collection without error
			}
			return nil, nil, err
		}
	}
	m.set.mu.Lock()
	m.dropNSLocked(db, coll)
	m.set.mu.Unlock()
	return mustMarshal(bson.D{{Key: "nIndexesWas", Value: int32(1)}, {Key: "ns", Value: name}, {Key: "ok", Value: 1.0}}), spec, nil
}

func (m *Member) ddlCreateIndexes(ctx context.Context, db, coll string, cmd bson.Raw, ui []byte) (bson.Raw, []oplog.Spec, error) {
	name := ns(db, coll)
	var specs []oplog.Spec
	if ui == nil {
		specs = m.ensureCollection(ctx, db, coll)
	}
	arr, _ := cmd.Lookup("indexes").ArrayOK()
	vals, _ := arr.Values()
	plain, special := bson.A{}, map[string]bson.Raw{}
	for _, v := range vals {
		spec, ok := v.DocumentOK()
		if !ok {
			return nil, nil, mongoerr.New(mongoerr.TypeMismatch, "index specification must be an object")
		}
		p, isSpecial := specialIndex(spec)
		plain = append(plain, p)
		if isSpecial {
			special[spec.Lookup("name").StringValue()] = fullSpec(spec)
		}
		specs = append(specs, oplog.Spec{Op: 'c', NS: db + ".$cmd", O: mustMarshal(append(bson.D{{Key: "createIndexes", Value: coll}}, cleanCmd(fullSpec(spec))...))})
	}
	res, err := m.run(ctx, db, bson.D{{Key: "createIndexes", Value: coll}, {Key: "indexes", Value: plain}})
	if err != nil {
		return nil, specs[:len(specs)-len(vals)], err
	}
	m.set.mu.Lock()
	if ui != nil {
		m.uuids[name] = ui
	}
	u := m.uuids[name]
	if len(special) > 0 && m.catalog.indexes[name] == nil {
		m.catalog.indexes[name] = map[string]bson.Raw{}
	}
	for k, v := range special {
		m.catalog.indexes[name][k] = v
	}
	m.set.mu.Unlock()
	for i := range specs {
		specs[i].UI = u
	}
	if asInt(res.Lookup("numIndexesBefore")) == asInt(res.Lookup("numIndexesAfter")) {
		specs = specs[:len(specs)-len(vals)]
	}
	return res, specs, nil
}

func (m *Member) ddlDropIndexes(ctx context.Context, db, coll string, cmd bson.Raw) (bson.Raw, []oplog.Spec, error) {
	name := ns(db, coll)
	idx := cmd.Lookup("index")
	res, err := m.run(ctx, db, bson.D{{Key: "dropIndexes", Value: coll}, {Key: "index", Value: idx}})
	if err != nil {
		return nil, nil, err
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	if s, ok := idx.StringValueOK(); ok && s != "*" {
		delete(m.catalog.indexes[name], s)
	} else {
		delete(m.catalog.indexes, name)
	}
	return res, []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: m.uuids[name], O: mustMarshal(bson.D{{Key: "dropIndexes", Value: coll}, {Key: "index", Value: idx}})}}, nil
}

func (m *Member) ddlDropDatabase(ctx context.Context, db string) (bson.Raw, []oplog.Spec, error) {
	names, err := m.client.Database(db).ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := m.run(ctx, db, bson.D{{Key: "dropDatabase", Value: 1}}); err != nil {
		return nil, nil, err
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	var specs []oplog.Spec
	for _, c := range names {
		specs = append(specs, oplog.Spec{Op: 'c', NS: db + ".$cmd", UI: m.uuids[ns(db, c)], O: mustMarshal(bson.D{{Key: "drop", Value: c}})})
	}
	m.dropNSLocked(db, "")
	specs = append(specs, oplog.Spec{Op: 'c', NS: db + ".$cmd", O: mustMarshal(bson.D{{Key: "dropDatabase", Value: int32(1)}})})
	return mustMarshal(bson.D{{Key: "dropped", Value: db}, {Key: "ok", Value: 1.0}}), specs, nil
}

func (m *Member) ddlRename(ctx context.Context, cmd bson.Raw) (bson.Raw, []oplog.Spec, error) {
	from, _ := cmd.Lookup("renameCollection").StringValueOK()
	to, _ := cmd.Lookup("to").StringValueOK()
	dropTarget, _ := cmd.Lookup("dropTarget").BooleanOK()
	if _, err := m.run(ctx, "admin", bson.D{{Key: "renameCollection", Value: from}, {Key: "to", Value: to}, {Key: "dropTarget", Value: dropTarget}}); err != nil {
		return nil, nil, err
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	ui := m.uuids[from]
	m.renameNSLocked(from, to)
	db, _ := splitNS(from)
	o := bson.D{{Key: "renameCollection", Value: from}, {Key: "to", Value: to}, {Key: "stayTemp", Value: false}, {Key: "dropTarget", Value: dropTarget}}
	return okDoc, []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: ui, O: mustMarshal(o)}}, nil
}
