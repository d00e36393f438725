package store

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/hashicorp/raft"
)

// Config configures one raft node.
type Config struct {
	// NodeID is this node's raft server id.
	NodeID string
	// RaftAddress is host:port to listen on and to advertise to the peers.
	RaftAddress string
	// DataDir holds raft.db (log and stable store, bbolt) and snapshots/.
	// Empty keeps everything in memory (unit tests only: nothing survives).
	DataDir string
	// Peers are the nodes of the first configuration. A node with no raft
	// state that is among them bootstraps the group with all of them as
	// voters; every such node doing so with the same list is safe. A node
	// not among them waits to be added through the API.
	Peers []NodeInfo
	// Join, when set, never bootstraps: the node waits to be added through
	// the API even if it is among Peers (a node coming back, with an empty
	// data directory, to a group recovered without it).
	Join bool
	// Transport overrides the TCP transport (tests pass an in-memory one).
	Transport raft.Transport
	// TLS, when set, wraps the TCP transport in mutual TLS.
	TLS *TransportTLS
	// Raft timings; zero takes the defaults below.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// ApplyTimeout bounds one proposal when the context has no deadline.
	ApplyTimeout time.Duration
	// SnapshotThreshold is the number of log entries between snapshots;
	// SnapshotInterval how often raft checks; SnapshotRetain how many
	// snapshot files to keep.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	SnapshotRetain    int
	// TrailingLogs is how many entries a snapshot leaves in the log, so a
	// slightly lagging follower catches up without a snapshot transfer.
	TrailingLogs uint64
	Log          *slog.Logger
}

// TransportTLS holds the two sides of mutual TLS between raft nodes.
type TransportTLS struct {
	Server *tls.Config // presented to dialing peers; should require client certificates
	Client *tls.Config // used when dialing a peer
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HeartbeatTimeout, time.Second)
	def(&c.ElectionTimeout, time.Second)
	def(&c.LeaderLeaseTimeout, 500*time.Millisecond)
	def(&c.ApplyTimeout, 10*time.Second)
	def(&c.SnapshotInterval, 2*time.Minute)
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 4096
	}
	if c.SnapshotRetain <= 0 {
		c.SnapshotRetain = 3
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) raftConfig(notify chan<- bool) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.NodeID)
	rc.HeartbeatTimeout = c.HeartbeatTimeout
	rc.ElectionTimeout = c.ElectionTimeout
	rc.LeaderLeaseTimeout = c.LeaderLeaseTimeout
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.SnapshotInterval = c.SnapshotInterval
	if c.TrailingLogs > 0 {
		rc.TrailingLogs = c.TrailingLogs
	}
	rc.NotifyCh = notify
	rc.Logger = newHCLog(c.Log.With("component", "raft"))
	return rc
}
