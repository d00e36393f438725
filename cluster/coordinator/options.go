package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/raft"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
)

// Options configure one coordinator node. FromConfig fills them from the
// config's coordinator section; every zero duration takes its default.
type Options struct {
	NodeID string
	// Nodes is the configured group; this node's entry gives its site and
	// addresses unless the fields below are set.
	Nodes       []config.CoordinatorNode
	Site        string
	RaftAddress string
	// HTTPAddress is where the API listens; empty serves no HTTP (tests
	// use Node.Handler directly).
	HTTPAddress string
	// DataDir holds the raft log, stable store and snapshots; empty keeps
	// them in memory (tests only).
	DataDir string
	// Join makes a node with no raft state wait to be added through the
	// API instead of bootstrapping the group from Nodes (citadel server
	// --join: a node coming back after a site-loss recovery).
	Join bool
	// Token is the API's bearer token (resolved from token_env/token_file).
	Token string
	// TLS, when set, is mutual TLS between raft nodes and https for the
	// API and for the forwarding between nodes.
	TLS *store.TLSFiles
	// Jobs are the job definitions; the leader writes them to the FSM at
	// the start of its term (the config is the truth) unless nil.
	Jobs []store.Job
	// Limits bound the history kept in the FSM.
	Limits store.Limits
	// Scheduler timings (see sched.Options): catch-up window (12h),
	// heartbeat interval (5s), lease TTL (30s), attempts per slot (3),
	// first retry backoff (1m).
	CatchUpWindow     time.Duration
	HeartbeatInterval time.Duration
	LeaseTTL          time.Duration
	MaxAttempts       int
	RetryBackoff      time.Duration
	// PromoteInterval is how often the leader checks whether a non-voter
	// caught up (2s); PromoteMaxLag the entries it may still lack (16).
	PromoteInterval time.Duration
	PromoteMaxLag   uint64
	// Raft timings (store.Config's defaults: 1s, 1s, 500ms).
	RaftHeartbeatTimeout   time.Duration
	RaftElectionTimeout    time.Duration
	RaftLeaderLeaseTimeout time.Duration
	// RaftTransport replaces the TCP transport (tests: store.InmemNetwork).
	RaftTransport raft.Transport
	// Probe reads a non-voter's applied index for promotion; the default
	// asks its /v1/status.
	Probe func(ctx context.Context, n store.NodeInfo) (uint64, error)
	Log   *slog.Logger
}

// FromConfig returns the options of node nodeID ("" takes the config's
// node_id) from the config's coordinator section, with the token resolved:
// TLS files, scheduler timings and history limits, the config's defaults
// applied.
func FromConfig(c *config.Coordinator, nodeID string) (Options, error) {
	if c == nil {
		return Options{}, errors.New("coordinator options: the config has no coordinator section: add one (see citadel config example)")
	}
	if nodeID == "" {
		nodeID = c.NodeID
	}
	if nodeID == "" {
		return Options{}, errors.New("coordinator options: no node id: set coordinator.node_id, --node-id or CITADEL_NODE_ID")
	}
	tok, err := c.Token()
	if err != nil {
		return Options{}, fmt.Errorf("coordinator options: %w", err)
	}
	h := c.History.Or()
	o := Options{NodeID: nodeID, Nodes: c.Nodes, DataDir: c.DataDir, Token: tok,
		CatchUpWindow: c.CatchUpWindowOr(), HeartbeatInterval: c.HeartbeatIntervalOr(), LeaseTTL: c.LeaseTTLOr(),
		MaxAttempts: c.MaxAttemptsOr(), RetryBackoff: c.RetryBackoffOr(),
		Limits: store.Limits{RunsPerJob: h.RunsPerJob, Audit: h.Audit, Drills: h.Drills}}
	if t := c.TLS; t != nil && t.Enabled {
		// cert_key_file holds the certificate and its key in one PEM file,
		// as in the config's other tls sections.
		o.TLS = &store.TLSFiles{CAFile: t.CAFile, CertFile: t.CertKeyFile, KeyFile: t.CertKeyFile}
	}
	if _, ok := o.self(); !ok {
		return Options{}, fmt.Errorf("coordinator options: node %q is not among coordinator.nodes", nodeID)
	}
	return o, nil
}

func (o Options) self() (config.CoordinatorNode, bool) {
	for _, n := range o.Nodes {
		if n.ID == o.NodeID {
			return n, true
		}
	}
	return config.CoordinatorNode{}, false
}

// peers converts the configured nodes to the store's type.
func (o Options) peers() []store.NodeInfo {
	out := make([]store.NodeInfo, 0, len(o.Nodes))
	for _, n := range o.Nodes {
		out = append(out, store.NodeInfo{ID: n.ID, Site: n.Site, RaftAddress: n.RaftAddress, HTTPAddress: n.HTTPAddress})
	}
	return out
}

func (o Options) withDefaults() Options {
	if n, ok := o.self(); ok {
		if o.Site == "" {
			o.Site = n.Site
		}
		if o.RaftAddress == "" {
			o.RaftAddress = n.RaftAddress
		}
		if o.HTTPAddress == "" {
			o.HTTPAddress = n.HTTPAddress
		}
	}
	if o.PromoteInterval <= 0 {
		o.PromoteInterval = 2 * time.Second
	}
	if o.PromoteMaxLag == 0 {
		o.PromoteMaxLag = 16
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Limits = o.Limits.OrDefault()
	return o
}

func (o Options) storeConfig(trans *store.TransportTLS) store.Config {
	return store.Config{
		NodeID: o.NodeID, RaftAddress: o.RaftAddress, DataDir: o.DataDir, Peers: o.peers(), Join: o.Join,
		Transport: o.RaftTransport, TLS: trans,
		HeartbeatTimeout: o.RaftHeartbeatTimeout, ElectionTimeout: o.RaftElectionTimeout, LeaderLeaseTimeout: o.RaftLeaderLeaseTimeout,
		Log: o.Log.With("node", o.NodeID),
	}
}

func (o Options) schedOptions(onFinish func(sched.JobSpec, store.Run)) sched.Options {
	return sched.Options{
		CatchUpWindow: o.CatchUpWindow, HeartbeatInterval: o.HeartbeatInterval, LeaseTTL: o.LeaseTTL,
		MaxAttempts: o.MaxAttempts, RetryBackoff: o.RetryBackoff, OnFinish: onFinish,
		Log: o.Log.With("node", o.NodeID, "component", "scheduler"),
	}
}

// JobsFromConfig turns the config's backups and drills into job
// definitions (kind "backup" or "drill", the section's name as Params).
func JobsFromConfig(c *config.Config) []store.Job {
	var out []store.Job
	for _, b := range c.Backups {
		params, _ := json.Marshal(map[string]string{"backup": b.Name})
		out = append(out, store.Job{Name: "backup-" + b.Name, Kind: "backup", Schedule: b.Schedule, Timezone: b.Timezone, Params: params})
	}
	for _, d := range c.Drills {
		params, _ := json.Marshal(map[string]string{"drill": d.Name})
		out = append(out, store.Job{Name: "drill-" + d.Name, Kind: "drill", Schedule: d.Schedule, Timezone: d.Timezone, Params: params})
	}
	return out
}
