// Package mongosim simulates MongoDB replica sets for citadel's test bed:
// every member listens on its own address, speaks the wire protocol, answers
// hello and the replica-set commands itself, stores documents in its own
// embedded FerretDB, writes a real-format oplog on the primary, replicates
// to secondaries with configurable lag, elects primaries, waits for write
// concerns and rolls back unreplicated writes. A control API (Go methods,
// and HTTP through package control) injects faults: stop, start, partition,
// heal, lag, pause.
//
// DESIGN.md explains the shape; FIDELITY.md lists what is modelled and what
// is refused with CommandNotSupported.
package mongosim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/noscites/citadel/config"
)

// Version is the mongod version mongosim answers like.
const Version = "7.0.0-mongosim"

// Options configures a simulator.
type Options struct {
	// Sets are the replica sets to serve (citadel's replica_sets section).
	Sets []config.ReplicaSet
	// DataDir holds each member's FerretDB files (DIR/SET/HOST); required.
	DataDir string
	// ElectionTimeout, when set, overrides every set's election timeout.
	ElectionTimeout time.Duration
	// HeartbeatInterval, when set, overrides every set's heartbeat interval.
	HeartbeatInterval time.Duration
	// OplogMaxBytes caps each member's oplog (default 128 MiB).
	OplogMaxBytes int
	// Logger receives one line per member and state changes; nil discards.
	Logger *slog.Logger
	// FerretLogger receives FerretDB's own logs; nil keeps only its errors.
	FerretLogger *slog.Logger
}

// Sim is a running simulator: one or more replica sets.
type Sim struct {
	opts    Options
	log     *slog.Logger
	sets    []*Set
	members map[string]*Member
	cancel  context.CancelFunc
}

// Start starts every member of every set: FerretDB, then the listener.
// Members start uninitiated, like mongod --replSet before replSetInitiate.
func Start(ctx context.Context, opts Options) (*Sim, error) {
	if opts.DataDir == "" {
		return nil, errors.New("start mongosim: no data directory")
	}
	if len(opts.Sets) == 0 {
		return nil, errors.New("start mongosim: no replica set")
	}
	if opts.OplogMaxBytes == 0 {
		opts.OplogMaxBytes = 128 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(discard{}, nil))
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Sim{opts: opts, log: opts.Logger, members: map[string]*Member{}, cancel: cancel}
	for _, rc := range opts.Sets {
		set, err := s.startSet(runCtx, rc)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.sets = append(s.sets, set)
	}
	return s, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (s *Sim) startSet(ctx context.Context, rc config.ReplicaSet) (*Set, error) {
	hb, et := rc.Settings.HeartbeatIntervalOr(), rc.Settings.ElectionTimeoutOr()
	if s.opts.HeartbeatInterval > 0 {
		hb = s.opts.HeartbeatInterval
	}
	if s.opts.ElectionTimeout > 0 {
		et = s.opts.ElectionTimeout
	}
	set := newSet(rc, hb, et, s.log.With("rs", rc.Name))
	for _, mc := range rc.Members {
		if _, dup := s.members[mc.Host]; dup {
			return nil, fmt.Errorf("start member %s: host served twice", mc.Host)
		}
		dir := filepath.Join(s.opts.DataDir, rc.Name, sanitize(mc.Host))
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("start member %s: %w", mc.Host, err)
		}
		m, err := startMember(ctx, set, mc, dir, s.opts)
		if err != nil {
			return nil, err
		}
		s.members[mc.Host] = m
		s.log.Info("member listening", "rs", rc.Name, "host", mc.Host, "site", mc.Site, "addr", m.Addr())
	}
	set.run(ctx)
	return set, nil
}

func sanitize(host string) string {
	out := []byte(host)
	for i, c := range out {
		if c == ':' || c == '/' {
			out[i] = '_'
		}
	}
	return string(out)
}

// Close stops every member and FerretDB.
func (s *Sim) Close() {
	s.cancel()
	for _, set := range s.sets {
		set.wg.Wait()
	}
	for _, m := range s.members {
		m.close()
	}
}

// Hosts lists every member's host, sorted.
func (s *Sim) Hosts() []string {
	out := make([]string, 0, len(s.members))
	for h := range s.members {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// Member returns the member serving host, or nil.
func (s *Sim) Member(host string) *Member { return s.members[host] }

func (s *Sim) member(host string) (*Member, error) {
	m := s.members[host]
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownHost, host)
	}
	return m, nil
}

// ErrUnknownHost is returned by the control API for a host it does not serve.
var ErrUnknownHost = errors.New("no such member")
