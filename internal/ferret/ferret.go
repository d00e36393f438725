// Package ferret runs an embedded FerretDB (SQLite backend) in the current
// process: the MongoDB wire protocol over a directory of SQLite files.
//
// mongosim members store their documents in one each, and tests use one as
// a plain MongoDB-compatible data path. FerretDB v1.24 covers a subset of
// MongoDB; see internal/mongosim/FIDELITY.md and ../shared/design/mongosim.md.
package ferret

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Options configures one embedded FerretDB.
type Options struct {
	// Addr is the TCP address to listen on ("127.0.0.1:0" picks a free port).
	// Empty disables TCP.
	Addr string
	// Unix is a Unix socket path to listen on; empty disables it.
	Unix string
	// Dir holds the SQLite files; it is created when missing.
	Dir string
	// Logger receives FerretDB's logs; nil discards all but errors.
	Logger *slog.Logger
}

// Server is a running embedded FerretDB.
type Server struct {
	db     *ferretdb.FerretDB
	cancel context.CancelFunc
	done   chan struct{}
	uri    string
}

// Start starts FerretDB and returns once it accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("start ferretdb: no data directory")
	}
	if opts.Addr == "" && opts.Unix == "" {
		return nil, errors.New("start ferretdb: no address and no socket")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("start ferretdb: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("start ferretdb: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(errorsOnly{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})})
	}
	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: opts.Addr, Unix: opts.Unix},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return nil, fmt.Errorf("start ferretdb in %s: %w", dir, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{db: db, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = db.Run(runCtx)
	}()
	s.uri = db.MongoDBURI() // blocks until the listener is ready
	return s, nil
}

// URI is a mongodb:// URI for the server (TCP if enabled, else the socket).
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits until its files are closed.
func (s *Server) Close() {
	s.cancel()
	<-s.done
}

// errorsOnly passes errors through and makes With free: FerretDB derives a
// logger per request, and cloning a handler's attributes each time cost up
// to 16 % of the CPU of a restore in profiles. Errors lose the per-request
// attributes; nothing below the error level is written anyway.
type errorsOnly struct{ slog.Handler }

func (h errorsOnly) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h errorsOnly) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h errorsOnly) WithGroup(string) slog.Handler                { return h }
