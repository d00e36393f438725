package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/progress"
)

// DefaultMaxErrorRate applies when neither the config nor a flag sets one.
const DefaultMaxErrorRate = 0.01

// ErrTooManyRejects means a load's error rate passed its threshold; it
// wraps fault.ErrVerification (exit 3).
var ErrTooManyRejects = fmt.Errorf("error rate above threshold: %w", fault.ErrVerification)

// Options configure one load.
type Options struct {
	DryRun       bool
	MaxErrorRate float64 // rejected / read above this fails the load
	Sink         SinkOptions
	// Progress, when set, receives the load's counters: input bytes read
	// (of the files' total size), documents converted, the phase.
	Progress *progress.Tracker
	Logger   *slog.Logger
	// Audit receives the record of the load (Load writes it; nil: none).
	Audit *audit.Trail
}

// Emitter is what a Loader writes into: documents, rejects, skips.
// It is used from the loader's goroutine only.
type Emitter struct {
	sink *Sink
	st   *stats
	in   *counter
	log  *slog.Logger
}

// Open opens an input file whose reads feed the progress bar.
func (e *Emitter) Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return &countingFile{f: f, c: e.in}, nil
}

// Consumed counts bytes of an input read other than through Open (a
// workbook that a library opens itself).
func (e *Emitter) Consumed(n int64) { e.in.add(n) }

// Read counts records read from the input (the error rate's denominator).
func (e *Emitter) Read(n int) { e.st.addRead(int64(n)) }

// Doc queues one document.
func (e *Emitter) Doc(ctx context.Context, coll string, d Doc) error { return e.sink.Put(ctx, coll, d) }

// Reject records a record that could not be converted.
func (e *Emitter) Reject(ctx context.Context, coll string, r Reject) error {
	return e.sink.PutReject(ctx, coll, r)
}

// Skip counts records deliberately not loaded (for example all-empty rows).
func (e *Emitter) Skip(coll string, n int) {
	e.st.update(coll, func(c *CollStats) { c.Skipped += int64(n) })
}

// Warn adds a warning to the report.
func (e *Emitter) Warn(msg string) {
	e.log.Warn(msg)
	e.st.warn(msg)
}

// Log is the load's logger.
func (e *Emitter) Log() *slog.Logger { return e.log }

// Run loads a dataset into db (nil with DryRun) and returns its report,
// also when it fails: what was written before a failure is in the report.
// An input that cannot be opened stops it before anything starts, with no
// report. The error wraps ErrTooManyRejects (exit 3) when the error rate
// passed opt.MaxErrorRate. When ctx is cancelled (an interrupt) the batches
// in flight are waited for, so the report counts what the server
// acknowledged, and says it was interrupted.
func Run(ctx context.Context, db *mongo.Database, l Loader, opt Options) (*Report, error) {
	if err := CheckInputs(l); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Sink.RunID == "" {
		opt.Sink.RunID = newRunID()
	}
	log := opt.Logger.With("dataset", l.Dataset(), "run", opt.Sink.RunID)
	opt.Sink.Logger = log
	if opt.DryRun {
		db = nil
	}
	rep := &Report{Dataset: l.Dataset(), Files: l.Files(), DryRun: opt.DryRun, MaxErrorRate: opt.MaxErrorRate}
	st := newStats()
	if db == nil && !opt.DryRun {
		return rep, errors.New("load: no database")
	}
	var fresh []Collection
	if db != nil {
		existing, later, err := splitNew(ctx, db, l.Collections())
		if err == nil {
			err = EnsureIndexes(ctx, db, existing, st)
		}
		if err != nil {
			st.report(rep, 0, 0)
			return rep, err
		}
		fresh = later
	}
	start := time.Now()
	in := &counter{tr: opt.Progress}
	opt.Progress.AddBytesTotal(totalSize(l.Files()))
	opt.Progress.SetPhase(PhaseLoad)
	sink := newSink(ctx, db, opt.Sink, st, opt.Progress, fresh)
	e := &Emitter{sink: sink, st: st, in: in, log: log}
	lerr := l.Load(ctx, e)
	cerr := sink.Close(ctx)
	st.report(rep, time.Since(start), in.bytes.Load())
	rep.Interrupted = ctx.Err() != nil
	log.Info("load done", "read", rep.Read, "inserted", rep.Inserted, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "rejected", rep.Rejected)
	if err := errors.Join(lerr, cerr); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		// Interrupted after the input was read (the batches in flight
		// were waited for, the rest not sent): still an interrupted load.
		return rep, fmt.Errorf("load interrupted: %w", err)
	}
	if rep.ErrorRate > opt.MaxErrorRate {
		return rep, fmt.Errorf("%d of %d records rejected (%.2f%% > %.2f%%): %w",
			rep.Rejected, rep.Read, 100*rep.ErrorRate, 100*opt.MaxErrorRate, ErrTooManyRejects)
	}
	return rep, nil
}

// CheckInputs opens every input file of a load (and closes it): a missing
// or unreadable file, or a directory, stops the load before it starts.
func CheckInputs(l Loader) error {
	for _, name := range l.Files() {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		fi, err := f.Stat()
		f.Close()
		if err == nil && fi.IsDir() {
			return fmt.Errorf("open input %s: is a directory, not a file", name)
		}
	}
	return nil
}

func totalSize(files []string) int64 {
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			n += fi.Size()
		}
	}
	return n
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:4])
}
