// Package store is the coordinator's raft node: it wraps hashicorp/raft
// (bbolt log and stable store, file snapshots, TCP or TLS transport), owns
// the FSM and its snapshot, and offers typed proposals for every command.
// Nothing else in citadel imports hashicorp/raft. ../DESIGN.md describes
// the commands, the lease and fencing protocol and the crash points.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// ErrNotLeader is returned by a proposal made on a node that is not the
// leader (or stopped being it before the entry committed).
var ErrNotLeader = errors.New("not the raft leader")

// Store is one running raft node.
type Store struct {
	cfg    Config
	fsm    *FSM
	raft   *raft.Raft
	trans  raft.Transport
	closer []func() error
	notify chan bool
}

// stores are raft's three persistence layers for one node.
type stores struct {
	logs   raft.LogStore
	stable raft.StableStore
	snaps  raft.SnapshotStore
	closer []func() error
}

// openStores opens the bbolt log/stable store and the snapshot directory,
// or memory-only stores when dir is empty.
func openStores(cfg Config) (*stores, error) {
	if cfg.DataDir == "" {
		mem := raft.NewInmemStore()
		return &stores{logs: mem, stable: mem, snaps: raft.NewInmemSnapshotStore()}, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create coordinator data directory: %w", err)
	}
	// bbolt locks the file; without a timeout a second process (recover
	// while the server runs) would wait forever.
	path := filepath.Join(cfg.DataDir, "raft.db")
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bbolt.Options{Timeout: 3 * time.Second}})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("open raft log %s: another process holds it (is citadel server running on this node? stop it first): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open raft log %s: %w", path, err)
	}
	logs, err := raft.NewLogCache(512, bolt)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open raft log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, cfg.SnapshotRetain, newHCLog(cfg.Log))
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open raft snapshots in %s: %w", cfg.DataDir, err)
	}
	return &stores{logs: logs, stable: bolt, snaps: snaps, closer: []func() error{bolt.Close}}, nil
}

func (s *stores) close() {
	for _, c := range s.closer {
		_ = c()
	}
}

// Open starts the node. On its first start (no raft state) a node among
// cfg.Peers bootstraps the group; later starts reuse the state on disk.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if cfg.NodeID == "" {
		return nil, errors.New("open coordinator store: node id is missing")
	}
	st, err := openStores(cfg)
	if err != nil {
		return nil, err
	}
	trans := cfg.Transport
	if trans == nil {
		if trans, err = NewTCPTransport(cfg.RaftAddress, cfg.TLS, cfg.Log); err != nil {
			st.close()
			return nil, err
		}
	}
	s := &Store{cfg: cfg, fsm: NewFSM(cfg.Log), trans: trans, notify: make(chan bool, 64)}
	s.closer = st.closer
	if err := s.bootstrap(st); err != nil {
		st.close()
		return nil, err
	}
	r, err := raft.NewRaft(cfg.raftConfig(s.notify), s.fsm, st.logs, st.stable, st.snaps, trans)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("start raft node %s: %w", cfg.NodeID, err)
	}
	s.raft = r
	return s, nil
}

func (s *Store) bootstrap(st *stores) error {
	existing, err := raft.HasExistingState(st.logs, st.stable, st.snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	if existing || !s.isPeer() || s.cfg.Join {
		return nil
	}
	servers := make([]raft.Server, 0, len(s.cfg.Peers))
	for _, p := range s.cfg.Peers {
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddress)})
	}
	err = raft.BootstrapCluster(s.cfg.raftConfig(nil), st.logs, st.stable, st.snaps, s.trans, raft.Configuration{Servers: servers})
	if err != nil {
		return fmt.Errorf("bootstrap raft group: %w", err)
	}
	s.cfg.Log.Info("bootstrapped coordinator group", "nodes", len(servers))
	return nil
}

func (s *Store) isPeer() bool {
	for _, p := range s.cfg.Peers {
		if p.ID == s.cfg.NodeID {
			return true
		}
	}
	return false
}

// Close stops the node; the state on disk is kept for the next start.
func (s *Store) Close() error {
	err := s.raft.Shutdown().Error()
	if c, ok := s.trans.(interface{ Close() error }); ok {
		_ = c.Close()
	}
	for _, c := range s.closer {
		_ = c()
	}
	if err != nil {
		return fmt.Errorf("stop raft node %s: %w", s.cfg.NodeID, err)
	}
	return nil
}

// FSM returns the state machine for reads.
func (s *Store) FSM() *FSM { return s.fsm }

// ID returns this node's id.
func (s *Store) ID() string { return s.cfg.NodeID }

// LeaderCh delivers true when this node becomes leader and false when it
// stops being leader. It has one consumer (the coordinator node).
func (s *Store) LeaderCh() <-chan bool { return s.notify }

// IsLeader reports whether this node is the leader right now.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's id and raft address as this node knows them
// ("" when there is none).
func (s *Store) Leader() (id, address string) {
	addr, sid := s.raft.LeaderWithID()
	return string(sid), string(addr)
}

// Propose encodes a command, commits it through raft and applies it. The
// result's error (a refused lease, a fenced token) is returned as err.
func (s *Store) Propose(ctx context.Context, typ string, body any) (*Result, error) {
	data, err := NewCommand(typ, time.Now(), s.cfg.NodeID, body)
	if err != nil {
		return nil, err
	}
	f := s.raft.Apply(data, s.timeout(ctx))
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrRaftShutdown) {
			return nil, fmt.Errorf("propose %s: %w: %v", typ, ErrNotLeader, err)
		}
		return nil, fmt.Errorf("propose %s: %w", typ, err)
	}
	res, _ := f.Response().(*Result)
	if res == nil {
		return &Result{}, nil
	}
	return res, res.Err
}

func (s *Store) timeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left > 0 {
			return left
		}
		return time.Millisecond
	}
	return s.cfg.ApplyTimeout
}

// Barrier waits until every entry committed before it is applied here
// (a new leader calls it before reading the state it will act on).
func (s *Store) Barrier(ctx context.Context) error {
	if err := s.raft.Barrier(s.timeout(ctx)).Error(); err != nil {
		return fmt.Errorf("raft barrier: %w", err)
	}
	return nil
}

// Snapshot takes a snapshot now (tests and operators; raft also takes them
// by itself every SnapshotThreshold entries).
func (s *Store) Snapshot() error {
	if err := s.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("take raft snapshot: %w", err)
	}
	return nil
}
