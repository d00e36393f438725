package mongosim

import (
	"context"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func (r *request) configArg() (*replset.Config, error) {
	v := r.body.Lookup(r.name)
	d, ok := v.DocumentOK()
	if !ok {
		return nil, nil
	}
	return replset.ParseConfig(d)
}

func (r *request) replSetInitiate(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	var c *replset.Config
	// No document, or an empty one ({}, what mongosh's rs.initiate() sends),
	// is no config: mongod then initiates a one-member set of itself.
	if d, ok := r.body.Lookup(r.name).DocumentOK(); ok && len(d) > 5 {
		var err error
		if c, err = replset.ParseConfig(withDefaultVersion(d)); err != nil {
			return nil, err
		}
	}
	var info bson.D
	if c == nil {
		c, _ = replset.ParseConfig(mustMarshal(bson.D{{Key: "_id", Value: m.set.name}, {Key: "version", Value: 1},
			{Key: "members", Value: bson.A{bson.D{{Key: "_id", Value: 0}, {Key: "host", Value: m.host}}}}}))
		info = bson.D{{Key: "info2", Value: "no configuration specified. Using a default configuration for the set"}}
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	now := m.set.now()
	if err := m.set.rs.Initiate(m.host, c, now); err != nil {
		return nil, err
	}
	op := m.nextOpTimeLocked(-1)
	e := oplog.Build(oplog.Spec{Op: 'n', O: mustMarshal(bson.D{{Key: "msg", Value: "initiating set"}})}, op, now)
	m.appendLocked(e)
	m.set.handleEventsLocked(m.set.rs.TakeEvents())
	m.set.refreshTopologyLocked()
	return r.ok(info), nil
}

// withDefaultVersion gives an initiate config without a version field
// version 1, as mongod does (the manual's replSetInitiate example, and
// mongosh's rs.initiate({_id, members}), send none).
func withDefaultVersion(d bson.Raw) bson.Raw {
	if _, err := d.LookupErr("version"); err == nil {
		return d
	}
	var out bson.D
	elems, _ := d.Elements()
	for _, e := range elems {
		out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return mustMarshal(append(out, bson.E{Key: "version", Value: int32(1)}))
}

func mustMarshal(v any) bson.Raw {
	b, err := bson.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (r *request) replSetGetConfig(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	n := m.node()
	if n.Config == nil {
		return nil, mongoerr.New(mongoerr.NotYetInitialized, "no replset config has been received")
	}
	out := bson.D{{Key: "config", Value: n.Config.BSON()}}
	if b, _ := r.body.Lookup("commitmentStatus").BooleanOK(); b {
		if n.State != replset.Primary {
			return nil, mongoerr.New(mongoerr.NotWritablePrimary, "commitmentStatus is only supported on primary.")
		}
		out = append(out, bson.E{Key: "commitmentStatus", Value: m.set.rs.ConfigCommitted(m.host)})
	}
	return r.ok(out), nil
}

func (r *request) replSetReconfig(ctx context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	c, err := r.configArg()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, mongoerr.New(mongoerr.TypeMismatch, "BSON field 'replSetReconfig' is the wrong type, expected type 'object'")
	}
	force, _ := r.body.Lookup("force").BooleanOK()
	m.set.mu.Lock()
	err = m.set.rs.Reconfig(m.host, c, force, m.set.now())
	m.set.handleEventsLocked(m.set.rs.TakeEvents())
	m.set.refreshTopologyLocked()
	m.set.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !force {
		if err := m.awaitConfigCommitted(ctx, r.maxTime()); err != nil {
			return nil, err
		}
	}
	return r.ok(nil), nil
}

// awaitConfigCommitted waits, as mongod 4.4+ does after a reconfig, until a
// majority of voters hold the new config: up to maxTime when the command
// gave maxTimeMS (then 50 MaxTimeMSExpired), otherwise until the set stops.
func (m *Member) awaitConfigCommitted(ctx context.Context, maxTime time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(m.set.ctx, cancel)()
	deadline := time.Now().Add(maxTime)
	if maxTime <= 0 {
		deadline = time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	for {
		m.set.mu.Lock()
		done, ch := m.set.rs.ConfigCommitted(m.host), m.set.changed
		m.set.mu.Unlock()
		if done {
			return nil
		}
		if !wait(ctx, ch, deadline) {
			if ctx.Err() != nil {
				return errStopped
			}
			return mongoerr.New(mongoerr.MaxTimeMSExpired, "operation exceeded time limit")
		}
	}
}

// maxTime is the command's maxTimeMS (0 when absent).
func (r *request) maxTime() time.Duration {
	return time.Duration(asInt(r.body.Lookup("maxTimeMS"))) * time.Millisecond
}

func (r *request) replSetStepDown(ctx context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	secs := int64(60)
	if v := r.body.Lookup(r.name); v.IsNumber() {
		secs = asInt(v)
	}
	catchUp := int64(10)
	if v := r.body.Lookup("secondaryCatchUpPeriodSecs"); v.IsNumber() {
		catchUp = asInt(v)
	}
	force, _ := r.body.Lookup("force").BooleanOK()
	if secs < catchUp {
		return nil, mongoerr.New(mongoerr.BadValue, "stepdown period must be longer than secondaryCatchUpPeriodSecs")
	}
	if err := r.cn.m.stepDown(ctx, time.Duration(secs)*time.Second, time.Duration(catchUp)*time.Second, force); err != nil {
		return nil, err
	}
	return r.ok(nil), nil
}

// stepDown waits up to catchUp for a caught-up electable secondary and a
// caught-up majority, then steps down for d (mongod's replSetStepDown).
func (m *Member) stepDown(ctx context.Context, d, catchUp time.Duration, force bool) error {
	deadline := time.Now().Add(catchUp)
	for {
		m.set.mu.Lock()
		if m.node().State != replset.Primary {
			m.set.mu.Unlock()
			return mongoerr.New(mongoerr.NotWritablePrimary, "not primary so can't step down")
		}
		now := m.set.now()
		ready := m.set.rs.CaughtUpElectable(m.host, now) != "" && m.set.rs.MajorityCaughtUp(m.host)
		if ready || (force && !time.Now().Before(deadline)) {
			err := m.set.rs.StepDown(m.host, d, now)
			m.set.handleEventsLocked(m.set.rs.TakeEvents())
			m.set.refreshTopologyLocked()
			m.set.mu.Unlock()
			return err
		}
		ch := m.set.changed
		m.set.mu.Unlock()
		if !wait(ctx, ch, deadline) && !force {
			return mongoerr.New(mongoerr.ExceededTimeLimit, "No electable secondaries caught up as of %s. Please use the replSetStepDown command with the argument {force: true} to force node to step down.",
				time.Now().Format("2006-01-02T15:04:05.000-0700"))
		}
	}
}

func (r *request) replSetStepUp(ctx context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	err := m.set.rs.StepUp(m.host, m.set.now())
	m.set.handleEventsLocked(m.set.rs.TakeEvents())
	m.set.refreshTopologyLocked()
	if err != nil {
		return nil, err
	}
	return r.ok(nil), nil
}

func (r *request) replSetFreeze(context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	secs := asInt(r.body.Lookup(r.name))
	m.set.mu.Lock()
	fr, err := m.set.rs.Freeze(m.host, time.Duration(secs)*time.Second, m.set.now())
	m.set.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out bson.D
	if fr.Info != "" {
		out = append(out, bson.E{Key: "info", Value: fr.Info})
	}
	if fr.Warning != "" {
		out = append(out, bson.E{Key: "warning", Value: fr.Warning})
	}
	return r.ok(out), nil
}

func (r *request) shutdown(ctx context.Context) ([]byte, error) {
	if err := r.adminOnly(); err != nil {
		return nil, err
	}
	m := r.cn.m
	force, _ := r.body.Lookup("force").BooleanOK()
	timeout := int64(15)
	if v := r.body.Lookup("timeoutSecs"); v.IsNumber() {
		timeout = asInt(v)
	}
	m.set.mu.Lock()
	primary := m.node().State == replset.Primary
	m.set.mu.Unlock()
	if primary {
		err := m.stepDown(ctx, 60*time.Second, time.Duration(timeout)*time.Second, force)
		if err != nil && !force {
			return nil, err
		}
	}
	go m.set.stopMember(m)
	return nil, errStopped
}
