package restore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/oplog"
	"github.com/noscites/citadel/internal/fault"
)

func splitNS(ns string) (string, string) {
	db, c, _ := strings.Cut(ns, ".")
	return db, c
}

func archiveMetadata(ctx context.Context, opts Options, c manifest.Collection) (*metadata.Metadata, error) {
	return archive.ReadMetadata(ctx, opts.Storage, opts.Manifest, c, opts.Identities)
}

func (r *restorer) coll(t *target) *mongo.Collection {
	return r.opts.Target.Database(t.db).Collection(t.to)
}

// prepare refuses existing data (or drops it with Drop) and creates the
// collections with their options.
func (r *restorer) prepare(ctx context.Context, targets []*target) error {
	for _, t := range targets {
		names, err := r.opts.Target.Database(t.db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: t.to}})
		if err != nil {
			return fmt.Errorf("check target %s.%s: %w", t.db, t.to, err)
		}
		if len(names) == 0 {
			continue
		}
		if r.opts.Drop {
			if err := r.coll(t).Drop(ctx); err != nil {
				return fmt.Errorf("drop target %s.%s: %w", t.db, t.to, err)
			}
			continue
		}
		if n, err := r.coll(t).EstimatedDocumentCount(ctx); err != nil || n > 0 || t.c.Type == "view" {
			return fault.Refused(fmt.Sprintf("target %s.%s already exists (%d documents): restore with --drop to replace it, or map it elsewhere with --ns-from/--ns-to", t.db, t.to, n))
		}
	}
	for _, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		cmd := append(bson.D{{Key: "create", Value: t.to}}, t.md.Options...)
		err := r.opts.Target.Database(t.db).RunCommand(ctx, cmd).Err()
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // NamespaceExists: an empty one was kept
			return fmt.Errorf("create %s.%s: %w", t.db, t.to, err)
		}
	}
	return nil
}

func hasValidator(md *metadata.Metadata) bool {
	for _, e := range md.Options {
		if e.Key == "validator" {
			return true
		}
	}
	return false
}

// data inserts every collection's documents, collections in parallel.
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
			r.opts.Progress.CollectionDone()
			return nil
		})
	}
	return g.Wait()
}

// insert streams one collection into unordered InsertMany batches, with
// two batches in flight so reading and writing overlap.
func (r *restorer) insert(ctx context.Context, t *target) error {
	docs, err := archive.OpenData(ctx, r.opts.Storage, r.opts.Manifest, t.c, r.opts.Identities)
	if err != nil {
		return err
	}
	defer docs.Close()
	size := cmp.Or(r.opts.BatchSize, 1000)
	iopts := options.InsertMany().SetOrdered(false)
	if hasValidator(t.md) {
		iopts.SetBypassDocumentValidation(true)
	}
	batches := make(chan []any, 2)
	g, gctx := errgroup.WithContext(ctx)
	for range 2 {
		g.Go(func() error {
			for b := range batches {
				if err := insertBatch(gctx, r.coll(t), b, iopts); err != nil {
					return err
				}
				var n int64
				for _, d := range b {
					n += int64(len(d.(bson.Raw)))
				}
				r.opts.Progress.Add(int64(len(b)), n)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		return readBatches(gctx, docs, size, batches)
	})
	if err := g.Wait(); err != nil {
		return err
	}
	t.report.Documents = t.c.Documents
	return nil
}

func readBatches(ctx context.Context, docs *archive.Docs, size int, out chan<- []any) error {
	batch := make([]any, 0, size)
	bytes := 0
	for {
		doc, err := docs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		batch = append(batch, doc)
		bytes += len(doc)
		if len(batch) == size || bytes > 8<<20 {
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch, bytes = make([]any, 0, size), 0
		}
	}
	if len(batch) > 0 {
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// verify reads every restored collection back and compares its count and
// content digest with the manifest.
func (r *restorer) verify(ctx context.Context, targets []*target) error {
	r.opts.Progress.SetPhase("verify")
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(r.opts.Parallelism, 4))
	var bad []string
	results := make([]string, len(targets))
	for i, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		g.Go(func() error {
			d, err := Digest(gctx, r.coll(t))
			if err != nil {
				return err
			}
			if d.Count() != t.c.Documents || d.String() != t.c.Digest {
				results[i] = fmt.Sprintf("%s.%s has %d documents with digest %s, the backup's %s has %d with %s",
					t.db, t.to, d.Count(), d, t.c.Namespace(), t.c.Documents, t.c.Digest)
				return nil
			}
			t.report.Verified = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("verify restored data: %w", err)
	}
	for _, s := range results {
		if s != "" {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fault.Verification("restored data does not match the backup: " + strings.Join(bad, "; "))
	}
	return nil
}

// Digest scans a collection and returns its content digest.
func Digest(ctx context.Context, c *mongo.Collection) (digest.Digest, error) {
	var d digest.Digest
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return d, fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		d.Add(cur.Current)
	}
	if err := cur.Err(); err != nil {
		return d, fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	return d, nil
}

// insertBatch inserts one batch, retrying after transient failures (a
// closed connection, an election); on a retry, duplicate keys are the
// documents the failed attempt already wrote.
func insertBatch(ctx context.Context, c *mongo.Collection, b []any, opts *options.InsertManyOptionsBuilder) error {
	for attempt := 0; ; attempt++ {
		_, err := c.InsertMany(ctx, b, opts)
		if err == nil || attempt > 0 && onlyDuplicates(err) {
			return nil
		}
		if !oplog.Transient(err) || attempt >= 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 500 * time.Millisecond):
		}
	}
}

func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}
