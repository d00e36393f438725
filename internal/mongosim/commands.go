package mongosim

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// commands routes a command (by lowercased name) to mongosim's own handling;
// anything absent is a read forwarded to FerretDB after the state checks.
var commands map[string]handler

func init() {
	commands = map[string]handler{
		"hello":                          (*request).helloCmd,
		"ismaster":                       (*request).helloCmd,
		"ping":                           func(r *request, _ context.Context) ([]byte, error) { return r.ok(nil), nil },
		"buildinfo":                      (*request).buildInfo,
		"serverstatus":                   (*request).serverStatus,
		"replsetinitiate":                (*request).replSetInitiate,
		"replsetgetconfig":               (*request).replSetGetConfig,
		"replsetreconfig":                (*request).replSetReconfig,
		"replsetgetstatus":               (*request).replSetGetStatus,
		"replsetstepdown":                (*request).replSetStepDown,
		"replsetstepup":                  (*request).replSetStepUp,
		"replsetfreeze":                  (*request).replSetFreeze,
		"shutdown":                       (*request).shutdown,
		"getdefaultrwconcern":            (*request).getDefaultRWConcern,
		"setdefaultrwconcern":            (*request).setDefaultRWConcern,
		"insert":                         (*request).insert,
		"update":                         (*request).update,
		"delete":                         (*request).delete,
		"findandmodify":                  (*request).findAndModify,
		"create":                         (*request).ddl,
		"drop":                           (*request).ddl,
		"createindexes":                  (*request).ddl,
		"dropindexes":                    (*request).ddl,
		"dropdatabase":                   (*request).ddl,
		"renamecollection":               (*request).ddl,
		"collmod":                        (*request).ddl,
		"find":                           (*request).find,
		"getmore":                        (*request).getMore,
		"killcursors":                    (*request).killCursors,
		"listcollections":                (*request).listCollections,
		"listindexes":                    (*request).listIndexes,
		"aggregate":                      (*request).aggregate,
		"endsessions":                    (*request).forward,
		"whatsmyuri":                     (*request).forward,
		"getparameter":                   (*request).forward,
		"connectionstatus":               (*request).forward,
		"getlog":                         (*request).forward,
		"committransaction":              refuse("multi-document transactions"),
		"aborttransaction":               refuse("multi-document transactions"),
		"applyops":                       refuse("applyOps"),
		"dbhash":                         refuse("dbHash"),
		"replsetsyncfrom":                refuse("replSetSyncFrom"),
		"replsetmaintenance":             refuse("replSetMaintenance"),
		"replsetresizeoplog":             refuse("replSetResizeOplog"),
		"fsync":                          refuse("fsync"),
		"fsyncunlock":                    refuse("fsyncUnlock"),
		"setfeaturecompatibilityversion": refuse("setFeatureCompatibilityVersion"),
	}
}

// stateLocked returns this member's node; set.mu must be held.
func (m *Member) node() *replset.Node { return m.set.rs.Node(m.host) }

// checkRead applies mongod's rules for reads (execCommandDatabase): a
// writable primary answers; elsewhere a read without a non-primary read
// preference is refused with NotPrimaryNoSecondaryOk; with one, a secondary
// (or a primary still draining) answers and other states refuse with
// NotPrimaryOrSecondary.
func (r *request) checkRead() error {
	m := r.cn.m
	m.set.mu.Lock()
	st, writable := m.node().State, m.writable
	m.set.mu.Unlock()
	if st == replset.Primary && writable {
		return nil
	}
	if !r.secondaryOk() {
		return mongoerr.New(mongoerr.NotPrimaryNoSecondaryOk, "not primary and secondaryOk=false")
	}
	switch st {
	case replset.Secondary, replset.Primary:
		return nil
	case replset.Recovering:
		return mongoerr.New(mongoerr.NotPrimaryOrSecondary, "node is recovering")
	}
	return mongoerr.New(mongoerr.NotPrimaryOrSecondary, "node is not in primary or recovering state")
}

// checkLocalRead applies mongod's rules for reads of the local database:
// every member accepts them whatever its state or the read preference
// (local is writable everywhere, so the secondaryOk check does not apply),
// except the oplog during STARTUP, STARTUP2 and ROLLBACK
// (checkCanServeReadsFor).
func (r *request) checkLocalRead(coll string) error {
	if coll != "oplog.rs" {
		return nil
	}
	m := r.cn.m
	m.set.mu.Lock()
	st := m.node().State
	m.set.mu.Unlock()
	switch st {
	case replset.Startup, replset.Startup2, replset.Rollback:
		return mongoerr.New(mongoerr.NotPrimaryOrSecondary, "Oplog collection reads are not allowed while in the rollback or startup state.")
	}
	return nil
}

// forwardRead forwards a read or an unknown command after the read rules.
func (r *request) forwardRead(ctx context.Context) ([]byte, error) {
	if r.db == "local" {
		return nil, mongoerr.NotSupported("command " + r.name + " on the local database")
	}
	if err := r.checkRead(); err != nil {
		return nil, err
	}
	return r.forward(ctx)
}

func (r *request) aggregate(ctx context.Context) ([]byte, error) {
	if p, ok := r.body.Lookup("pipeline").ArrayOK(); ok {
		vals, _ := p.Values()
		for _, v := range vals {
			if st, ok := v.DocumentOK(); ok {
				if e, err := st.IndexErr(0); err == nil {
					switch e.Key() {
					case "$out", "$merge":
						return nil, mongoerr.NotSupported("aggregate with " + e.Key() + " (writes outside the oplog)")
					case "$changeStream":
						return nil, mongoerr.NotSupported("change streams")
					}
				}
			}
		}
	}
	if coll, _ := r.body.Lookup("aggregate").StringValueOK(); r.db == "local" && coll == "oplog.rs" {
		return nil, mongoerr.NotSupported("aggregate on local.oplog.rs (use find)")
	}
	if err := r.checkView(); err != nil {
		return nil, err
	}
	return r.forwardRead(ctx)
}

func (r *request) buildInfo(context.Context) ([]byte, error) {
	return r.ok(bson.D{
		{Key: "version", Value: Version},
		{Key: "gitVersion", Value: "mongosim"},
		{Key: "versionArray", Value: bson.A{int32(7), int32(0), int32(0), int32(0)}},
		{Key: "bits", Value: int32(64)},
		{Key: "maxBsonObjectSize", Value: int32(16 * 1024 * 1024)},
		{Key: "storageEngines", Value: bson.A{"ferretdb-sqlite"}},
		{Key: "mongosim", Value: true},
	}), nil
}

func (r *request) serverStatus(context.Context) ([]byte, error) {
	m := r.cn.m
	m.set.mu.Lock()
	n := m.node()
	repl := m.helloLocked(true, r.body, r.cn.id)
	if n.Config != nil {
		repl = append(repl, bson.E{Key: "rbid", Value: int32(n.RBID)})
	}
	m.set.mu.Unlock()
	m.lnMu.Lock()
	conns := len(m.conns)
	m.lnMu.Unlock()
	up := time.Since(m.started)
	return r.ok(bson.D{
		{Key: "host", Value: m.host}, {Key: "version", Value: Version}, {Key: "process", Value: "mongod"},
		{Key: "pid", Value: int64(os.Getpid())}, {Key: "uptime", Value: up.Seconds()},
		{Key: "uptimeMillis", Value: up.Milliseconds()}, {Key: "localTime", Value: time.Now()},
		{Key: "connections", Value: bson.D{{Key: "current", Value: int32(conns)}, {Key: "available", Value: int32(1000000)}}},
		{Key: "repl", Value: repl},
		{Key: "storageEngine", Value: bson.D{{Key: "name", Value: "ferretdb-sqlite"}}},
		{Key: "mongosim", Value: true},
	}), nil
}

// clusterTimeFields are $clusterTime and operationTime for replies.
func (m *Member) clusterTimeFields() bson.D {
	packed := m.lastTS.Load()
	ts := bson.Timestamp{T: uint32(packed >> 32), I: uint32(packed)}
	return bson.D{
		{Key: "$clusterTime", Value: bson.D{{Key: "clusterTime", Value: ts},
			{Key: "signature", Value: bson.D{{Key: "hash", Value: bson.Binary{Data: make([]byte, 20)}}, {Key: "keyId", Value: int64(0)}}}}},
		{Key: "operationTime", Value: ts},
	}
}

func (r *request) adminOnly() error {
	if r.db != "admin" {
		return mongoerr.New(mongoerr.Unauthorized, "%s may only be run against the admin database.", r.name)
	}
	return nil
}

func collName(r *request) string {
	s, _ := r.body.Lookup(r.name).StringValueOK()
	return s
}

func ns(db, coll string) string { return db + "." + coll }

func splitNS(s string) (string, string) {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// asInt reads any BSON number as int64 (0 otherwise).
func asInt(v bson.RawValue) int64 {
	if v.IsNumber() {
		return v.AsInt64()
	}
	return 0
}

// asFloat reads any BSON number as float64 (0 otherwise).
func asFloat(v bson.RawValue) float64 {
	if v.IsNumber() {
		return v.AsFloat64()
	}
	return 0
}
