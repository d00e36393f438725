package audit

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// FileSink appends one JSON line per record to a file, created with mode
// 0600 when missing. Each record is one write(2) on a file opened with
// O_APPEND, so concurrent citadel processes never interleave within a
// line, and the file is synced after each record.
type FileSink struct {
	Path string
	mu   sync.Mutex
}

// Write implements Sink.
func (f *FileSink) Write(_ context.Context, r Record) error {
	line, err := r.Marshal()
	if err != nil {
		return fmt.Errorf("encode audit record: %w", err)
	}
	line = append(line, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o750); err != nil {
		return fmt.Errorf("open audit file %s: %w", f.Path, err)
	}
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit file %s: %w", f.Path, err)
	}
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return fmt.Errorf("append to audit file %s: %w", f.Path, err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("sync audit file %s: %w", f.Path, err)
	}
	return fh.Close()
}

// SlogSink writes each record as one structured log line at info level.
type SlogSink struct{ Log *slog.Logger }

// Write implements Sink.
func (s SlogSink) Write(ctx context.Context, r Record) error {
	attrs := []slog.Attr{slog.String("who", r.Who), slog.Time("time", r.Time), slog.String("action", r.Action),
		slog.String("target", r.Target), slog.String("outcome", r.Outcome)}
	if len(r.Parameters) > 0 {
		attrs = append(attrs, slog.Any("parameters", r.Parameters))
	}
	if r.Error != "" {
		attrs = append(attrs, slog.String("error", r.Error))
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	return nil
}

// Func adapts a function (the coordinator's raft append, say) to a Sink.
type Func func(ctx context.Context, r Record) error

// Write implements Sink.
func (f Func) Write(ctx context.Context, r Record) error { return f(ctx, r) }
