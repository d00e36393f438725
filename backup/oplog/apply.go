package oplog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Applier replays oplog entries with ordinary writes, idempotently, the way
// mongod applies its oplog during recovery: inserts become replacements
// when the document exists, updates of missing documents do nothing,
// deletes of missing documents do nothing. Consecutive inserts into one
// namespace go in one unordered batch.
type Applier struct {
	Client *mongo.Client
	// Map gives the target namespace, or false to skip the entry.
	Map func(ns string) (string, bool)
	// MapDB gives the target database for dropDatabase, or false to skip.
	MapDB func(db string) (string, bool)
	Log   *slog.Logger

	Applied, Skipped int64

	batchNS string
	batch   []bson.Raw
	txns    map[string][]bson.Raw // unfinished multi-entry transactions
}

const maxBatch = 1000

// Apply replays one entry (possibly deferring inserts until Flush).
func (a *Applier) Apply(ctx context.Context, e Entry) error {
	if e.Op == "i" {
		if target, ok := a.Map(e.NS); ok {
			doc, ok := e.Raw.Lookup("o").DocumentOK()
			if !ok {
				return fmt.Errorf("insert entry %s has no document", e.TS)
			}
			if target != a.batchNS || len(a.batch) >= maxBatch {
				if err := a.Flush(ctx); err != nil {
					return err
				}
				a.batchNS = target
			}
			a.batch = append(a.batch, doc)
			a.Applied++
			return nil
		}
		a.Skipped++
		return nil
	}
	if err := a.Flush(ctx); err != nil {
		return err
	}
	if err := a.apply(ctx, e.Raw, e); err != nil {
		return fmt.Errorf("replay oplog entry %s (%s on %s): %w", e.TS, e.Op, e.NS, err)
	}
	return nil
}

// Flush writes pending inserts.
func (a *Applier) Flush(ctx context.Context) error {
	if len(a.batch) == 0 {
		return nil
	}
	coll := a.coll(a.batchNS)
	docs := make([]any, len(a.batch))
	for i, d := range a.batch {
		docs[i] = d
	}
	_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil {
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return fmt.Errorf("replay inserts into %s: %w", a.batchNS, err)
			}
			doc := a.batch[we.Index]
			_, rerr := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.Lookup("_id")}}, doc, options.Replace().SetUpsert(true))
			if rerr != nil {
				return fmt.Errorf("replay insert into %s as a replacement: %w", a.batchNS, rerr)
			}
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("replay inserts into %s: %w", a.batchNS, err)
	}
	a.batch = a.batch[:0]
	return nil
}

func (a *Applier) coll(ns string) *mongo.Collection {
	db, c, _ := strings.Cut(ns, ".")
	return a.Client.Database(db).Collection(c)
}

// apply replays one non-insert entry; raw is the entry (top level or inside
// applyOps), e carries the top-level fields.
func (a *Applier) apply(ctx context.Context, raw bson.Raw, e Entry) error {
	op, _ := raw.Lookup("op").StringValueOK()
	ns, _ := raw.Lookup("ns").StringValueOK()
	o, _ := raw.Lookup("o").DocumentOK()
	switch op {
	case "n":
		a.Skipped++
		return nil
	case "c":
		return a.command(ctx, ns, o, raw)
	}
	target, ok := a.Map(ns)
	if !ok {
		a.Skipped++
		return nil
	}
	coll := a.coll(target)
	var err error
	switch op {
	case "i":
		_, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: o.Lookup("_id")}}, o, options.Replace().SetUpsert(true))
	case "u":
		err = a.update(ctx, coll, raw, o)
	case "d":
		_, err = coll.DeleteOne(ctx, o)
	default:
		return fmt.Errorf("unknown op %q", op)
	}
	if err == nil {
		a.Applied++
	}
	return err
}

func (a *Applier) update(ctx context.Context, coll *mongo.Collection, raw, o bson.Raw) error {
	o2, ok := raw.Lookup("o2").DocumentOK()
	if !ok {
		return errors.New("update without o2")
	}
	updates, replacement, err := UpdateDocs(o)
	if err != nil {
		return err
	}
	if replacement != nil {
		_, err := coll.ReplaceOne(ctx, o2, replacement, options.Replace().SetUpsert(true))
		return err
	}
	for _, u := range updates {
		if _, err := coll.UpdateOne(ctx, o2, u); err != nil {
			return err
		}
	}
	return nil
}

// txnKey identifies a transaction across its oplog entries.
func txnKey(raw bson.Raw) string {
	return raw.Lookup("lsid", "id").String() + "/" + raw.Lookup("txnNumber").String()
}

// applyOps replays the operations of a transaction entry, buffering the
// parts of a transaction until its last entry (or its commit).
func (a *Applier) applyOps(ctx context.Context, o, raw bson.Raw) error {
	ops, ok := o.Lookup("applyOps").ArrayOK()
	if !ok {
		return errors.New("applyOps without an array")
	}
	vals, err := ops.Values()
	if err != nil {
		return fmt.Errorf("applyOps: %w", err)
	}
	key := txnKey(raw)
	partial, _ := raw.Lookup("partialTxn").BooleanOK()
	prepare, _ := o.Lookup("prepare").BooleanOK()
	for _, v := range vals {
		if d, ok := v.DocumentOK(); ok {
			if a.txns == nil {
				a.txns = map[string][]bson.Raw{}
			}
			a.txns[key] = append(a.txns[key], d)
		}
	}
	if partial || prepare {
		return nil
	}
	return a.commit(ctx, key)
}

func (a *Applier) commit(ctx context.Context, key string) error {
	ops := a.txns[key]
	delete(a.txns, key)
	for _, op := range ops {
		if err := a.apply(ctx, op, Entry{}); err != nil {
			return err
		}
	}
	return nil
}
