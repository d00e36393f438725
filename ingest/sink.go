package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/noscites/citadel/internal/progress"
)

// Fields the sink adds to every document.
const (
	HashField = "_h"   // content hash of the body
	RunField  = "_run" // id of the load that last wrote the document
)

// RejectsSuffix names the collection of a collection's rejects.
const RejectsSuffix = "_rejects"

// Defaults of SinkOptions. Batches of 5,000 rather than 1,000 loaded
// 50,000 listings in 13.8 s instead of 15.2 s on FerretDB
// (BenchmarkIngestVsImport); at a few kilobytes a document, the batches in
// memory (two being written, two queued) stay within tens of megabytes.
const (
	DefaultBatchSize = 5000
	DefaultWorkers   = 2
)

// SinkOptions tune the writers.
type SinkOptions struct {
	BatchSize int    // documents per InsertMany
	Workers   int    // batches written in parallel
	RunID     string // marks documents written by this load
	// PendingLimit: existing-key documents resolved by one find.
	PendingLimit int
	Logger       *slog.Logger
}

// Sink writes documents in parallel unordered bulk inserts and rewrites only
// the existing documents whose content hash changed (DESIGN.md). Put and
// PutReject are called from one goroutine; Close waits for the writers.
// A Sink with a nil database validates only (dry run).
type Sink struct {
	db     *mongo.Database
	opt    SinkOptions
	st     *stats
	tr     *progress.Tracker // counts documents converted (nil: nobody watches)
	buf    map[string][]pending
	rejBuf map[string][]bson.D
	work   chan job
	wg     sync.WaitGroup
	parent context.Context // the load's: cancelled by an interrupt
	ctx    context.Context // the producer's: also cancelled by a write failure
	cancel context.CancelFunc
	// wctx is the writers': it outlives an interrupt by DrainTimeout, so a
	// batch already sent is acknowledged (and counted) or fails, instead
	// of being abandoned while the server may still apply it.
	wctx    context.Context
	wcancel context.CancelFunc
	wstop   func() bool
	mu      sync.Mutex
	err     error
	pmu     sync.Mutex
	pend    map[string]*pendGroup // existing keys waiting for their hashes
	imu     sync.Mutex
	fresh   map[string]Collection // new collections whose indexes come before their first insert
}

// DrainTimeout bounds how long the batches in flight when a load is
// interrupted may take to be acknowledged.
const DrainTimeout = 30 * time.Second

type pending struct {
	id   any
	doc  bson.Raw // _id, body..., _h, _run, encoded once
	hash string
	src  Loc
}

type job struct {
	coll    string
	docs    []pending
	rejects []bson.D
}

func newSink(ctx context.Context, db *mongo.Database, opt SinkOptions, st *stats, tr *progress.Tracker, fresh []Collection) *Sink {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.Workers <= 0 {
		opt.Workers = DefaultWorkers
	}
	if opt.PendingLimit <= 0 {
		opt.PendingLimit = DefaultPendingLimit
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{db: db, opt: opt, st: st, tr: tr, buf: map[string][]pending{}, rejBuf: map[string][]bson.D{},
		pend: map[string]*pendGroup{}, fresh: map[string]Collection{},
		work: make(chan job, opt.Workers)}
	for _, c := range fresh {
		s.fresh[c.Name] = c
	}
	s.parent = ctx
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.wctx, s.wcancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wstop = context.AfterFunc(ctx, func() { time.AfterFunc(DrainTimeout, s.wcancel) })
	for range opt.Workers {
		s.wg.Add(1)
		go s.worker()
	}
	return s
}

// worker writes the batches it receives. After a failure or an interrupt
// the batches still queued are dropped (never sent, so never counted); the
// one being written when it came is finished with wctx and counted.
func (s *Sink) worker() {
	defer s.wg.Done()
	for j := range s.work {
		if s.failed() != nil || s.parent.Err() != nil {
			continue
		}
		if err := s.write(s.wctx, j); err != nil {
			s.fail(err)
		}
	}
}

func (s *Sink) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
		s.cancel()
	}
	s.mu.Unlock()
}

func (s *Sink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Put queues one document of a collection.
func (s *Sink) Put(ctx context.Context, coll string, d Doc) error {
	if err := s.failed(); err != nil {
		return err
	}
	full, hash, err := encode(d, s.opt.RunID)
	if err != nil {
		return fmt.Errorf("encode document %v of %s: %w", d.ID, coll, err)
	}
	s.st.update(coll, func(c *CollStats) { c.Docs++ })
	s.tr.Add(1, 0)
	if s.db == nil {
		return nil
	}
	s.buf[coll] = append(s.buf[coll], pending{id: d.ID, doc: full, hash: hash, src: d.Src})
	if len(s.buf[coll]) >= s.opt.BatchSize {
		return s.send(ctx, job{coll: coll, docs: s.buf[coll]}, func() { s.buf[coll] = nil })
	}
	return nil
}

// PutReject queues one reject of a collection into <coll>_rejects. Its _id
// hashes the file's base name and location, so a reload does not duplicate it.
func (s *Sink) PutReject(ctx context.Context, coll string, r Reject) error {
	if err := s.failed(); err != nil {
		return err
	}
	s.st.reject(coll, r)
	if s.db == nil {
		return nil
	}
	s.rejBuf[coll] = append(s.rejBuf[coll], s.rejectDoc(coll, r))
	if len(s.rejBuf[coll]) >= s.opt.BatchSize {
		return s.send(ctx, job{coll: coll, rejects: s.rejBuf[coll]}, func() { s.rejBuf[coll] = nil })
	}
	return nil
}

func (s *Sink) rejectDoc(coll string, r Reject) bson.D {
	where := Loc{File: filepath.Base(r.File), Line: r.Line, Sheet: r.Sheet, Row: r.Row}.Where()
	d := bson.D{{Key: "_id", Value: KeyHash(coll, where)}, {Key: "file", Value: r.File}}
	if r.Sheet != "" {
		d = append(d, bson.E{Key: "sheet", Value: r.Sheet}, bson.E{Key: "row", Value: r.Row})
	} else {
		d = append(d, bson.E{Key: "line", Value: r.Line})
	}
	d = append(d, bson.E{Key: "raw", Value: r.Raw}, bson.E{Key: "reason", Value: r.Reason},
		bson.E{Key: "detail", Value: r.Detail}, bson.E{Key: "run", Value: s.opt.RunID},
		bson.E{Key: "at", Value: time.Now().UTC()})
	return d
}

func (s *Sink) send(ctx context.Context, j job, reset func()) error {
	reset()
	select {
	case s.work <- j:
		return nil
	case <-s.ctx.Done():
		if err := s.failed(); err != nil {
			return err
		}
		return s.ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes the buffers, waits for the writers and returns the first
// write error. After an interrupt (ctx done) nothing more is sent: Close
// only waits for the batches in flight.
func (s *Sink) Close(ctx context.Context) error {
	err := ctx.Err()
	for coll, docs := range s.buf {
		if err == nil && len(docs) > 0 {
			err = s.send(ctx, job{coll: coll, docs: docs}, func() {})
		}
	}
	for coll, rej := range s.rejBuf {
		if err == nil && len(rej) > 0 {
			err = s.send(ctx, job{coll: coll, rejects: rej}, func() {})
		}
	}
	close(s.work)
	s.wg.Wait()
	if err == nil && s.failed() == nil && s.db != nil {
		if perr := s.resolvePending(s.ctx); perr != nil {
			s.fail(perr)
		}
	}
	s.wstop()
	s.wcancel()
	s.cancel()
	if ferr := s.failed(); ferr != nil {
		return ferr
	}
	return err
}

// encode marshals a document once: the body's bytes give the content hash
// and, framed with _id, _h and _run, the stored document.
func encode(d Doc, run string) (bson.Raw, string, error) {
	body, err := marshalBody(d.Body)
	if err != nil {
		return nil, "", err
	}
	t, v, err := bson.MarshalValue(d.ID)
	if err != nil {
		return nil, "", fmt.Errorf("encode _id: %w", err)
	}
	hash := hashBytes(body)
	full := bsoncore.BuildDocument(make([]byte, 0, len(body)+len(v)+80),
		bsoncore.AppendValueElement(nil, "_id", bsoncore.Value{Type: bsoncore.Type(t), Data: v}),
		body[4:len(body)-1],
		bsoncore.AppendStringElement(nil, HashField, hash),
		bsoncore.AppendStringElement(nil, RunField, run))
	return bson.Raw(full), hash, nil
}

func (s *Sink) collection(name string) *mongo.Collection {
	return s.db.Collection(name, options.Collection().SetWriteConcern(writeconcern.Majority()))
}

func (s *Sink) write(ctx context.Context, j job) error {
	if len(j.rejects) > 0 {
		return s.writeRejects(ctx, j.coll, j.rejects)
	}
	return s.writeDocs(ctx, j.coll, j.docs)
}

func (s *Sink) writeRejects(ctx context.Context, coll string, rej []bson.D) error {
	docs := make([]any, len(rej))
	for i := range rej {
		docs[i] = rej[i]
	}
	var other []mongo.BulkWriteError
	err := retry(ctx, func(int) error {
		_, err := s.collection(coll+RejectsSuffix).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		// Duplicate keys: recorded by an earlier load of the same file, or
		// by the attempt of this one that got no answer.
		_, o, fatal := splitWriteErrors(err)
		other = o
		return fatal
	})
	if err != nil {
		return fmt.Errorf("write rejects of %s: %w", coll, err)
	}
	if len(other) > 0 {
		return fmt.Errorf("write rejects of %s: %s", coll, other[0].Message)
	}
	return nil
}

// splitWriteErrors separates duplicate-key errors (by batch index) from the
// other write errors of a bulk insert; err is anything else (network, write
// concern), which stops the load.
func splitWriteErrors(err error) (dup map[int]bool, other []mongo.BulkWriteError, fatal error) {
	if err == nil {
		return nil, nil, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return nil, nil, err
	}
	dup = map[int]bool{}
	for _, we := range bwe.WriteErrors {
		if we.Code == 11000 {
			dup[we.Index] = true
		} else {
			other = append(other, we)
		}
	}
	return dup, other, nil
}
