package restore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"golang.org/x/sync/errgroup"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/internal/mongoconn"
)

// maxBatchBytes closes a batch early when its documents are large; with
// one document of MongoDB's largest size (16 MiB) alone in its batch, the
// insert command stays within the 16 MiB + 16 KiB a command may have.
const maxBatchBytes = 8 << 20

// data loads every collection, collections in parallel. With ReadBack a
// collection is read back as soon as its own load ends, while the others
// still load.
func (r *restorer) data(ctx context.Context, targets []*target) error {
	r.opts.Progress.SetPhase("insert")
	var total int64
	for _, t := range targets {
		total += t.c.Documents
	}
	r.opts.Progress.AddCollections(len(targets), total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(r.opts.Parallelism, 4))
	for _, t := range targets {
		if t.c.Type != "collection" {
			r.opts.Progress.CollectionDone()
			continue
		}
		g.Go(func() error {
			if err := r.insert(gctx, t); err != nil {
				return fmt.Errorf("restore %s into %s.%s: %w", t.c.Namespace(), t.db, t.to, err)
			}
			if r.opts.ReadBack {
				d, err := Digest(gctx, r.coll(t))
				if err != nil {
					return fmt.Errorf("read back %s.%s: %w", t.db, t.to, err)
				}
				t.readBack = &d
			}
			r.opts.Progress.CollectionDone()
			return nil
		})
	}
	return g.Wait()
}

// batch is one insert: raw documents as read from the backup, and their
// digest, merged into the collection's once the target acknowledges them.
type batch struct {
	docs  []bson.Raw
	sum   digest.Digest
	bytes int64
}

// insert streams one collection into unordered w:majority insert
// commands, with Writers batches in flight so reading and writing overlap.
func (r *restorer) insert(ctx context.Context, t *target) error {
	key := layoutKey(r.opts.Manifest, *t.c.Data)
	docs, err := archive.OpenData(ctx, r.opts.Storage, r.opts.Manifest, t.c, r.opts.Identities)
	if err != nil {
		return r.damaged(ctx, key, *t.c.Data, err)
	}
	defer docs.Close()
	in := newInserter(r.opts.Target.Database(t.db), t.to, hasValidator(t.md))
	writers := cmp.Or(r.opts.Writers, 2)
	batches := make(chan *batch, writers)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for range writers {
		g.Go(func() error {
			for b := range batches {
				if err := in.insert(gctx, b.docs); err != nil {
					return err
				}
				mu.Lock()
				t.acked.Merge(b.sum)
				mu.Unlock()
				r.opts.Progress.Add(int64(len(b.docs)), b.bytes)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		return readBatches(gctx, docs, cmp.Or(r.opts.BatchSize, 1000), batches)
	})
	if err := g.Wait(); err != nil {
		// Damaged bytes may fail the read or, decoded into a wrong
		// document, the insert: either way the object is checked.
		return r.damaged(ctx, key, *t.c.Data, err)
	}
	t.report.Documents = t.acked.Count()
	return nil
}

// readBatches cuts the stream into batches of size documents (fewer when
// they would pass maxBatchBytes), digesting each document as it is read.
func readBatches(ctx context.Context, docs *archive.Docs, size int, out chan<- *batch) error {
	b := &batch{docs: make([]bson.Raw, 0, size)}
	send := func() error {
		select {
		case out <- b:
			b = &batch{docs: make([]bson.Raw, 0, size)}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		doc, err := docs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(b.docs) > 0 && b.bytes+int64(len(doc)) > maxBatchBytes {
			if err := send(); err != nil {
				return err
			}
		}
		b.docs = append(b.docs, doc)
		b.sum.Add(doc)
		b.bytes += int64(len(doc))
		if len(b.docs) == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(b.docs) > 0 {
		return send()
	}
	return nil
}

// inserter writes batches of raw documents into one collection.
type inserter struct {
	coll *mongo.Collection // with w:majority
	opts *options.InsertManyOptionsBuilder
}

func newInserter(db *mongo.Database, coll string, bypass bool) inserter {
	c := db.Collection(coll, options.Collection().SetWriteConcern(writeconcern.Majority()))
	o := options.InsertMany().SetOrdered(false)
	if bypass { // the collection has a validator: restore what was dumped
		o.SetBypassDocumentValidation(true)
	}
	return inserter{coll: c, opts: o}
}

// insert inserts one batch with the driver's bulk insert: unordered,
// w:majority, a retryable write (so an election during the batch is
// retried by the driver with the same transaction number), and the raw
// documents sent as read from the backup, never decoded or re-encoded
// (each has its _id). Longer outages are ridden out by the one retry
// policy; on a retry, duplicate keys are the documents a failed attempt
// already wrote. Success means every document of the batch is inserted
// and majority-committed.
func (in inserter) insert(ctx context.Context, docs []bson.Raw) error {
	batch := make([]any, len(docs))
	for i, d := range docs {
		batch[i] = d
	}
	return mongoconn.DefaultRetry().Do(ctx, func(attempt int) error {
		_, err := in.coll.InsertMany(ctx, batch, in.opts)
		switch {
		case err == nil, attempt > 0 && onlyDuplicates(err):
			return nil
		case mongoconn.Transient(err):
			return err
		}
		return fmt.Errorf("insert into %s: %w", in.coll.Name(), err)
	})
}

func onlyDuplicates(err error) bool {
	var we mongo.WriteException
	if !errors.As(err, &we) || we.WriteConcernError != nil || len(we.WriteErrors) == 0 {
		return false
	}
	for _, e := range we.WriteErrors {
		if e.Code != 11000 {
			return false
		}
	}
	return true
}
