package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// mongod error codes citadel reacts to (error_codes.yml).
const (
	codeNotYetInitialized  = 94
	codeExceededTimeLimit  = 262
	codeNotWritablePrimary = 10107
)

// helloReply holds the replica-set fields of hello.
type helloReply struct {
	IsWritablePrimary bool   `bson:"isWritablePrimary"`
	Secondary         bool   `bson:"secondary"`
	ArbiterOnly       bool   `bson:"arbiterOnly"`
	SetName           string `bson:"setName"`
	SetVersion        int    `bson:"setVersion"`
	Primary           string `bson:"primary"`
	Me                string `bson:"me"`
	IsReplicaSet      bool   `bson:"isreplicaset"`
	LastWrite         struct {
		OpTime        OpTime    `bson:"opTime"`
		LastWriteDate time.Time `bson:"lastWriteDate"`
	} `bson:"lastWrite"`
}

type statusMember struct {
	ID             int       `bson:"_id"`
	Name           string    `bson:"name"`
	Health         float64   `bson:"health"`
	State          int       `bson:"state"`
	StateStr       string    `bson:"stateStr"`
	OpTime         OpTime    `bson:"optime"`
	OpTimeDate     time.Time `bson:"optimeDate"`
	SyncSourceHost string    `bson:"syncSourceHost"`
	ConfigVersion  int       `bson:"configVersion"`
	Self           bool      `bson:"self"`
}

type statusReply struct {
	Set     string         `bson:"set"`
	Term    int64          `bson:"term"`
	MyState int            `bson:"myState"`
	Members []statusMember `bson:"members"`
}

type getConfigReply struct {
	Config           *Config `bson:"config"`
	CommitmentStatus *bool   `bson:"commitmentStatus"`
}

// admin runs one command on a member's admin database and decodes the reply.
func (d *Dialer) admin(ctx context.Context, host string, cmd bson.D, out any) error {
	c, err := d.Member(host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.ConnectTimeout())
	defer cancel()
	res := c.Database("admin").RunCommand(ctx, cmd)
	if out == nil {
		return res.Err()
	}
	return res.Decode(out)
}

func (d *Dialer) hello(ctx context.Context, host string) (helloReply, error) {
	var r helloReply
	err := d.admin(ctx, host, bson.D{{Key: "hello", Value: 1}}, &r)
	return r, err
}

func (d *Dialer) replSetGetStatus(ctx context.Context, host string) (statusReply, error) {
	var r statusReply
	err := d.admin(ctx, host, bson.D{{Key: "replSetGetStatus", Value: 1}}, &r)
	return r, err
}

// replSetGetConfig reads the config; commitment asks for commitmentStatus,
// which only a primary answers.
func (d *Dialer) replSetGetConfig(ctx context.Context, host string, commitment bool) (getConfigReply, error) {
	cmd := bson.D{{Key: "replSetGetConfig", Value: 1}}
	if commitment {
		cmd = append(cmd, bson.E{Key: "commitmentStatus", Value: true})
	}
	var r getConfigReply
	err := d.admin(ctx, host, cmd, &r)
	if err == nil && r.Config == nil {
		err = fmt.Errorf("replSetGetConfig on %s: reply without config", host)
	}
	return r, err
}

// replSetInitiate runs the initiate, which checks every member answers
// before it returns: it gets a minute, not the connect timeout.
func (d *Dialer) replSetInitiate(ctx context.Context, host string, c *Config) error {
	cl, err := d.Member(host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute+d.ConnectTimeout())
	defer cancel()
	return cl.Database("admin").RunCommand(ctx, bson.D{{Key: "replSetInitiate", Value: c}}).Err()
}

// replSetReconfig sends a config; it waits (up to wait) for a majority to
// install it, as mongod does since 4.4.
func (d *Dialer) replSetReconfig(ctx context.Context, host string, c *Config, force bool, wait time.Duration) error {
	cl, err := d.Member(host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, wait+d.ConnectTimeout())
	defer cancel()
	cmd := bson.D{{Key: "replSetReconfig", Value: c}, {Key: "force", Value: force}, {Key: "maxTimeMS", Value: wait.Milliseconds()}}
	return cl.Database("admin").RunCommand(ctx, cmd).Err()
}

func (d *Dialer) replSetStepDown(ctx context.Context, host string, stepDown, catchUp time.Duration) error {
	cl, err := d.Member(host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, catchUp+d.ConnectTimeout())
	defer cancel()
	cmd := bson.D{{Key: "replSetStepDown", Value: ceilSeconds(stepDown)}, {Key: "secondaryCatchUpPeriodSecs", Value: ceilSeconds(catchUp)}}
	return cl.Database("admin").RunCommand(ctx, cmd).Err()
}

// replSetFreeze keeps a secondary from seeking election for d (0 unfreezes).
func (d *Dialer) replSetFreeze(ctx context.Context, host string, dur time.Duration) error {
	return d.admin(ctx, host, bson.D{{Key: "replSetFreeze", Value: ceilSeconds(dur)}}, nil)
}

func (d *Dialer) defaultWriteConcern(ctx context.Context, host string) (string, error) {
	var r struct {
		WC *struct {
			W any `bson:"w"`
		} `bson:"defaultWriteConcern"`
		Source string `bson:"defaultWriteConcernSource"`
	}
	if err := d.admin(ctx, host, bson.D{{Key: "getDefaultRWConcern", Value: 1}}, &r); err != nil {
		return "", err
	}
	if r.WC == nil || r.Source == "implicit" || r.WC.W == nil {
		return "", nil
	}
	return fmt.Sprint(r.WC.W), nil
}

func (d *Dialer) setDefaultWriteConcern(ctx context.Context, host, w string) error {
	var wv any = w
	if w == "1" {
		wv = 1
	}
	cmd := bson.D{{Key: "setDefaultRWConcern", Value: 1},
		{Key: "defaultWriteConcern", Value: bson.D{{Key: "w", Value: wv}}},
		{Key: "writeConcern", Value: bson.D{{Key: "w", Value: "majority"}}}}
	return d.admin(ctx, host, cmd, nil)
}

// oplogEnd reads the first (natural order) or last entry of local.oplog.rs.
func (d *Dialer) oplogEnd(ctx context.Context, host string, last bool) (OplogEntry, error) {
	c, err := d.Member(host)
	if err != nil {
		return OplogEntry{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.ConnectTimeout())
	defer cancel()
	dir := 1
	if last {
		dir = -1
	}
	// No projection: whole entries are small enough for two reads.
	opts := options.FindOne().SetSort(bson.D{{Key: "$natural", Value: dir}})
	var raw rawEntry
	if err := c.Database("local").Collection("oplog.rs").FindOne(ctx, bson.D{}, opts).Decode(&raw); err != nil {
		return OplogEntry{}, fmt.Errorf("read oplog of %s: %w", host, err)
	}
	return raw.entry(), nil
}

// rawEntry is an oplog entry as stored.
type rawEntry struct {
	TS   bson.Timestamp `bson:"ts"`
	T    int64          `bson:"t"`
	Op   string         `bson:"op"`
	NS   string         `bson:"ns"`
	Wall time.Time      `bson:"wall"`
	O    bson.Raw       `bson:"o"`
	O2   bson.Raw       `bson:"o2"`
}

func (r rawEntry) entry() OplogEntry {
	e := OplogEntry{TS: OpTime{TS: r.TS, Term: r.T}, Op: r.Op, NS: r.NS, Wall: r.Wall}
	if e.Wall.IsZero() {
		e.Wall = time.Unix(int64(r.TS.T), 0).UTC()
	}
	return e
}

func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// hasCode reports whether err is a server error with that code.
func hasCode(err error, code int) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCode(code)
}

// notCaughtUp reports replSetStepDown's refusal when no electable secondary
// caught up in time: ExceededTimeLimit (262), matched by name as well.
func notCaughtUp(err error) bool {
	var ce mongo.CommandError
	return hasCode(err, codeExceededTimeLimit) || errors.As(err, &ce) && ce.Name == "ExceededTimeLimit"
}
