// Package oplog reads a member's oplog (local.oplog.rs) the way mongod
// exposes it — the last applied optime from hello, finds filtered on ts,
// tailable awaitData cursors — and replays oplog entries onto a target
// with ordinary writes and commands, since a restore target (or FerretDB)
// may have no applyOps.
package oplog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/internal/mongoconn"
)

// ErrRolledOver means the oplog no longer holds an entry that was needed:
// it rolled over (or the member was down too long) and a gap exists.
var ErrRolledOver = errors.New("oplog rolled over")

// Collection is local.oplog.rs of a client.
func Collection(c *mongo.Client) *mongo.Collection {
	return c.Database("local").Collection("oplog.rs")
}

// Position is what hello says of a member's oplog.
type Position struct {
	SetName   string
	Me        string
	Primary   bool
	Secondary bool
	Hidden    bool
	Last      manifest.OpTime // last applied (lastWrite.opTime)
	Majority  manifest.OpTime // majority committed (lastWrite.majorityOpTime)
}

type helloReply struct {
	SetName           string `bson:"setName"`
	Me                string `bson:"me"`
	IsWritablePrimary bool   `bson:"isWritablePrimary"`
	Secondary         bool   `bson:"secondary"`
	Hidden            bool   `bson:"hidden"`
	LastWrite         *struct {
		OpTime           opTime    `bson:"opTime"`
		LastWriteDate    time.Time `bson:"lastWriteDate"`
		MajorityOpTime   opTime    `bson:"majorityOpTime"`
		MajorityWriteDat time.Time `bson:"majorityWriteDate"`
	} `bson:"lastWrite"`
}

type opTime struct {
	TS bson.Timestamp `bson:"ts"`
	T  int64          `bson:"t"`
}

// Hello reads the member's replica-set position.
func Hello(ctx context.Context, c *mongo.Client) (Position, error) {
	var r helloReply
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&r); err != nil {
		return Position{}, fmt.Errorf("hello: %w", err)
	}
	p := Position{SetName: r.SetName, Me: r.Me, Primary: r.IsWritablePrimary, Secondary: r.Secondary, Hidden: r.Hidden}
	if r.SetName == "" {
		return p, errors.New("hello: the server is not a replica-set member (no setName): backups need an oplog")
	}
	if r.LastWrite == nil {
		return p, fmt.Errorf("hello from %s: no lastWrite", r.Me)
	}
	p.Last = manifest.OpTime{TS: manifest.TS(r.LastWrite.OpTime.TS), Term: r.LastWrite.OpTime.T, Wall: r.LastWrite.LastWriteDate.UTC()}
	p.Majority = manifest.OpTime{TS: manifest.TS(r.LastWrite.MajorityOpTime.TS), Term: r.LastWrite.MajorityOpTime.T, Wall: r.LastWrite.MajorityWriteDat.UTC()}
	return p, nil
}

// Entry fields citadel reads from an oplog document.
type Entry struct {
	TS   manifest.Timestamp
	Term int64
	Wall time.Time
	Op   string
	NS   string
	Raw  bson.Raw
}

// Parse reads the fields of an oplog entry.
func Parse(raw bson.Raw) (Entry, error) {
	t, i, ok := raw.Lookup("ts").TimestampOK()
	if !ok {
		return Entry{}, fmt.Errorf("oplog entry without a ts timestamp")
	}
	e := Entry{TS: manifest.Timestamp{T: t, I: i}, Raw: raw}
	e.Term, _ = raw.Lookup("t").AsInt64OK()
	if w, ok := raw.Lookup("wall").DateTimeOK(); ok {
		e.Wall = time.UnixMilli(w).UTC()
	}
	e.Op, _ = raw.Lookup("op").StringValueOK()
	e.NS, _ = raw.Lookup("ns").StringValueOK()
	if e.Op == "" {
		return e, fmt.Errorf("oplog entry %s without op", e.TS)
	}
	return e, nil
}

// OpTime is the entry's position.
func (e Entry) OpTime() manifest.OpTime { return manifest.OpTime{TS: e.TS, Term: e.Term, Wall: e.Wall} }

// Tail follows the oplog from the entry at `from` (which must still be
// there: otherwise ErrRolledOver), calling fn for each entry in order,
// until fn returns done or ctx ends. idle is called when no entry arrived
// for a while (the await time); it may return done too. A transient
// failure (a closed connection, an election) resumes from the last entry
// seen, which must still be there.
func Tail(ctx context.Context, c *mongo.Client, from manifest.Timestamp, fn func(Entry) (done bool, err error), idle func() (done bool, err error)) error {
	pos := from
	skip := false // on resume, the entry at pos was handled already
	return mongoconn.DefaultRetry().Do(ctx, func(int) error {
		return tailOnce(ctx, c, &pos, &skip, fn, idle)
	})
}

func tailOnce(ctx context.Context, c *mongo.Client, pos *manifest.Timestamp, skip *bool, fn func(Entry) (bool, error), idle func() (bool, error)) error {
	opts := options.Find().SetCursorType(options.TailableAwait).SetMaxAwaitTime(500 * time.Millisecond)
	cur, err := Collection(c).Find(ctx, bson.D{{Key: "ts", Value: bson.D{{Key: "$gte", Value: pos.BSON()}}}}, opts)
	if err != nil {
		return fmt.Errorf("tail oplog from %s: %w", *pos, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	first := true
	for {
		if cur.TryNext(ctx) {
			e, err := Parse(cur.Current)
			if err != nil {
				return err
			}
			if first {
				first = false
				if e.TS != *pos {
					return fmt.Errorf("%w: the oplog starts at %s, after %s which was needed", ErrRolledOver, e.TS, *pos)
				}
				if *skip {
					continue
				}
			}
			*pos, *skip = e.TS, true
			if done, err := fn(e); done || err != nil {
				return err
			}
			continue
		}
		if err := cur.Err(); err != nil {
			return fmt.Errorf("tail oplog: %w", err)
		}
		if cur.ID() == 0 {
			if first {
				return fmt.Errorf("%w: no entry at %s any more", ErrRolledOver, *pos)
			}
			return errors.New("tail oplog: the server closed the tailable cursor")
		}
		if idle != nil {
			if done, err := idle(); done || err != nil {
				return err
			}
		}
	}
}
