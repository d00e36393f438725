package mongosim

import (
	"context"
	"crypto/rand"
	"strings"

	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// catalog keeps, per member, what FerretDB cannot hold: collection UUIDs,
// views, collection options (validators) and the full specifications of
// TTL, partial and 2dsphere indexes. It is replicated through c entries.
type catalog struct {
	views   map[string]bson.Raw            // ns → {viewOn, pipeline}
	options map[string]bson.Raw            // ns → create options kept for listCollections
	indexes map[string]map[string]bson.Raw // ns → index name → full spec
}

func newCatalog() *catalog {
	return &catalog{views: map[string]bson.Raw{}, options: map[string]bson.Raw{}, indexes: map[string]map[string]bson.Raw{}}
}

func newUUID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

func (m *Member) uuidOf(name string) []byte {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	return m.uuids[name]
}

func (m *Member) isView(name string) bool {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	_, ok := m.catalog.views[name]
	return ok
}

// ensureCollection gives a new namespace its UUID and returns the create
// entry mongod logs before the first insert into it.
func (m *Member) ensureCollection(_ context.Context, db, coll string) []oplog.Spec {
	name := ns(db, coll)
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	if _, ok := m.uuids[name]; ok {
		return nil
	}
	ui := newUUID()
	m.uuids[name] = ui
	return []oplog.Spec{{Op: 'c', NS: db + ".$cmd", UI: ui, O: createDoc(coll, nil)}}
}

func createDoc(coll string, options bson.Raw) bson.Raw {
	d := bson.D{{Key: "create", Value: coll}}
	elems, _ := options.Elements()
	for _, e := range elems {
		d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
	}
	if _, view := options.Lookup("viewOn").StringValueOK(); !view {
		d = append(d, bson.E{Key: "idIndex", Value: bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: "_id_"}}})
	}
	return mustMarshal(d)
}

// dropNSLocked forgets a namespace (or with coll "" a whole database).
func (m *Member) dropNSLocked(db, coll string) {
	match := func(name string) bool {
		if coll != "" {
			return name == ns(db, coll)
		}
		return strings.HasPrefix(name, db+".")
	}
	for _, mp := range []map[string]bson.Raw{m.catalog.views, m.catalog.options} {
		for k := range mp {
			if match(k) {
				delete(mp, k)
			}
		}
	}
	for k := range m.catalog.indexes {
		if match(k) {
			delete(m.catalog.indexes, k)
		}
	}
	for k := range m.uuids {
		if match(k) {
			delete(m.uuids, k)
		}
	}
}

func (m *Member) renameNSLocked(from, to string) {
	if u, ok := m.uuids[from]; ok {
		m.uuids[to] = u
		delete(m.uuids, from)
	}
	if v, ok := m.catalog.options[from]; ok {
		m.catalog.options[to] = v
		delete(m.catalog.options, from)
	}
	if v, ok := m.catalog.indexes[from]; ok {
		m.catalog.indexes[to] = v
		delete(m.catalog.indexes, from)
	}
}

// ferretIndexOptions are the index options FerretDB 1.24 builds; it
// refuses every other one ("Index option %q is unknown" or "is not
// implemented yet").
var ferretIndexOptions = map[string]bool{"key": true, "name": true, "unique": true}

// ignoredIndexOptions are options mongod accepts that change nothing
// mongosim has to keep: the index version (listIndexes shows v: 2 for every
// index, as mongod 7.0 builds them), the deprecated background flag, and
// the namespace older clients still send.
var ignoredIndexOptions = map[string]bool{"v": true, "background": true, "ns": true}

// specialIndex returns the spec FerretDB can build on the same keys, and
// whether the given spec carries more than that (then the catalog keeps the
// full spec for listIndexes). Non-numeric keys (2dsphere, text, hashed)
// become ascending keys. A unique index that is also partial or sparse
// loses its uniqueness on FerretDB: enforced on every document, it would
// refuse writes mongod accepts and stop replication.
func specialIndex(spec bson.Raw) (bson.Raw, bool) {
	special := false
	elems, _ := spec.Elements()
	for _, e := range elems {
		if k := e.Key(); !ferretIndexOptions[k] && !ignoredIndexOptions[k] {
			special = true
		}
	}
	key, _ := spec.Lookup("key").DocumentOK()
	var plainKey bson.D
	keys, _ := key.Elements()
	for _, e := range keys {
		v := e.Value()
		if v.IsNumber() {
			plainKey = append(plainKey, bson.E{Key: e.Key(), Value: v})
		} else {
			special = true
			plainKey = append(plainKey, bson.E{Key: e.Key(), Value: int32(1)})
		}
	}
	plain := bson.D{{Key: "key", Value: plainKey}, {Key: "name", Value: spec.Lookup("name").StringValue()}}
	_, notPartial := spec.LookupErr("partialFilterExpression")
	sparse, _ := spec.Lookup("sparse").BooleanOK()
	if u, ok := spec.Lookup("unique").BooleanOK(); ok && u && notPartial != nil && !sparse {
		plain = append(plain, bson.E{Key: "unique", Value: true})
	}
	return mustMarshal(plain), special
}

// fullSpec renders an index spec as listIndexes shows it (v: 2 first).
func fullSpec(spec bson.Raw) bson.Raw {
	d := bson.D{{Key: "v", Value: int32(2)}}
	elems, _ := spec.Elements()
	for _, e := range elems {
		if e.Key() != "v" {
			d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return mustMarshal(d)
}
