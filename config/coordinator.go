package config

import (
	"fmt"
	"strings"
	"time"
)

// Coordinator configures `citadel server` nodes. One file can serve every
// node: node_id (or --node-id, or CITADEL_NODE_ID) picks this node's entry.
// Zero durations and counts take the defaults below.
type Coordinator struct {
	NodeID    string            `yaml:"node_id"`
	DataDir   string            `yaml:"data_dir"`
	Nodes     []CoordinatorNode `yaml:"nodes"`
	TokenEnv  string            `yaml:"token_env"`
	TokenFile string            `yaml:"token_file"`
	// TLS is mutual TLS between the nodes (raft and forwarding) and https
	// for the API: ca_file signs every node's certificate, cert_key_file
	// holds this node's certificate and key.
	TLS *TLS `yaml:"tls"`
	// CatchUpWindow: a slot missed while no leader ran the schedules runs
	// once at start if it is at most this old.
	CatchUpWindow Duration `yaml:"catch_up_window"`
	// HeartbeatInterval is how often a running job renews its lease.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// LeaseTTL: a lease not renewed for this long is taken over by the
	// leader (at least three heartbeats).
	LeaseTTL Duration `yaml:"lease_ttl"`
	// MaxAttempts bounds the tries of one slot.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBackoff is the wait before the first retry, doubled after.
	RetryBackoff Duration `yaml:"retry_backoff"`
	// History bounds what the raft log keeps.
	History History `yaml:"history"`
	// CLI is how `citadel backup run` and `citadel drill run` run with
	// this file: CLIDirect (the default) on this machine, CLICoordinator
	// as the coordinator's job through the first node that answers.
	// Disaster commands (restore, failover, verify, rejoin) always run
	// directly.
	CLI string `yaml:"cli"`
}

// The values of coordinator.cli.
const (
	CLIDirect      = "direct"
	CLICoordinator = "coordinator"
)

// Defaults of the coordinator section.
const (
	DefaultCatchUpWindow  = 12 * time.Hour
	DefaultLeaseHeartbeat = 5 * time.Second
	DefaultLeaseTTL       = 30 * time.Second
	DefaultMaxAttempts    = 3
	DefaultRetryBackoff   = time.Minute
	DefaultHistoryRuns    = 200
	DefaultHistoryAudit   = 10000
	DefaultHistoryDrills  = 500
)

// History bounds the coordinator's replicated history: finished runs kept
// per job, audit records and drill records (the oldest go first).
type History struct {
	RunsPerJob int `yaml:"runs_per_job"`
	Audit      int `yaml:"audit"`
	Drills     int `yaml:"drills"`
}

// CatchUpWindowOr returns the catch-up window or its default.
func (c *Coordinator) CatchUpWindowOr() time.Duration {
	return or(c.CatchUpWindow.D(), DefaultCatchUpWindow)
}

// HeartbeatIntervalOr returns the lease heartbeat interval or its default.
func (c *Coordinator) HeartbeatIntervalOr() time.Duration {
	return or(c.HeartbeatInterval.D(), DefaultLeaseHeartbeat)
}

// LeaseTTLOr returns the lease TTL or its default.
func (c *Coordinator) LeaseTTLOr() time.Duration { return or(c.LeaseTTL.D(), DefaultLeaseTTL) }

// MaxAttemptsOr returns the attempts per slot or the default.
func (c *Coordinator) MaxAttemptsOr() int { return or(c.MaxAttempts, DefaultMaxAttempts) }

// RetryBackoffOr returns the first retry's wait or its default.
func (c *Coordinator) RetryBackoffOr() time.Duration {
	return or(c.RetryBackoff.D(), DefaultRetryBackoff)
}

// Or returns the history limits with the defaults for those not set.
func (h History) Or() History {
	return History{RunsPerJob: or(h.RunsPerJob, DefaultHistoryRuns), Audit: or(h.Audit, DefaultHistoryAudit), Drills: or(h.Drills, DefaultHistoryDrills)}
}

// or returns v, or def when v is not positive.
func or[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Token resolves the shared API token.
func (c *Coordinator) Token() (string, error) {
	return Secret{Env: c.TokenEnv, File: c.TokenFile}.Resolve()
}

// CoordinatorNode is one raft voter.
type CoordinatorNode struct {
	ID          string `yaml:"id"`
	Site        string `yaml:"site"`
	RaftAddress string `yaml:"raft_address"`
	HTTPAddress string `yaml:"http_address"`
}

func (v *validator) coordinator() {
	co := v.c.Coordinator
	if co == nil {
		return
	}
	v.secret("coordinator", "token", co.TokenEnv, co.TokenFile, true)
	if co.DataDir == "" {
		v.ps.at("coordinator.data_dir", "raft keeps its log and snapshots there", "data_dir is missing")
	}
	switch n := len(co.Nodes); {
	case n == 0:
		v.ps.at("coordinator.nodes", "declare three nodes, ideally one per site plus a witness", "no nodes declared")
	case n < 3:
		v.ps.warnAt("coordinator.nodes", "with fewer than three nodes the loss of one stops the schedules", "%d coordinator node(s)", n)
	case n%2 == 0:
		v.ps.warnAt("coordinator.nodes", "an odd number of nodes tolerates the same failures with one node less", "even number of coordinator nodes (%d)", n)
	}
	ids, addrs := map[string]bool{}, map[string]string{}
	for i, n := range co.Nodes {
		p := fmt.Sprintf("coordinator.nodes[%d]", i)
		v.name(p+".id", n.ID, "node")
		if ids[n.ID] && n.ID != "" {
			v.ps.at(p+".id", "", "duplicate node id %q", n.ID)
		}
		ids[n.ID] = true
		v.siteRef(p+".site", n.Site, false)
		for _, a := range []struct{ key, val string }{{"raft_address", n.RaftAddress}, {"http_address", n.HTTPAddress}} {
			hp := v.hostPort(p+"."+a.key, a.val, strings.ReplaceAll(a.key, "_", " "))
			if prev, dup := addrs[hp]; dup && hp != "" {
				v.ps.at(p+"."+a.key, "", "address %s already used by %s", a.val, prev)
			} else if hp != "" {
				addrs[hp] = p + "." + a.key
			}
		}
	}
	if co.NodeID != "" && !ids[co.NodeID] {
		v.ps.at("coordinator.node_id", "use the id of one of coordinator.nodes", "node_id %q is not among the nodes", co.NodeID)
	}
	v.coordinatorTLS(co.TLS)
	v.coordinatorTimings(co)
	if co.CLI != "" && co.CLI != CLIDirect && co.CLI != CLICoordinator {
		v.ps.at("coordinator.cli", "write direct (backup run and drill run work here) or coordinator (they run as the coordinator's jobs)",
			"cli %q is neither direct nor coordinator", co.CLI)
	}
}

// coordinatorTLS: the nodes authenticate each other, so TLS here is mutual
// and always verified.
func (v *validator) coordinatorTLS(t *TLS) {
	v.tls("coordinator.tls", t)
	if t == nil || !t.Enabled {
		return
	}
	if t.CAFile == "" {
		v.ps.at("coordinator.tls.ca_file", "the CA that signed every node's certificate; nodes verify each other with it", "ca_file is missing")
	}
	if t.CertKeyFile == "" {
		v.ps.at("coordinator.tls.cert_key_file", "this node's certificate and private key in one PEM file", "cert_key_file is missing")
	}
	if t.InsecureSkipVerify {
		v.ps.at("coordinator.tls.insecure_skip_verify", "remove it and set ca_file: the nodes must verify each other", "insecure_skip_verify is not allowed between coordinator nodes")
	}
}

func (v *validator) coordinatorTimings(co *Coordinator) {
	if hb, ttl := co.HeartbeatIntervalOr(), co.LeaseTTLOr(); ttl < 3*hb {
		v.ps.at("coordinator.lease_ttl", fmt.Sprintf("make it at least three heartbeats (%s), or shorten heartbeat_interval", 3*hb),
			"lease_ttl %s is shorter than three heartbeat intervals of %s", ttl, hb)
	}
	if co.MaxAttempts < 0 || co.MaxAttempts > 100 {
		v.ps.at("coordinator.max_attempts", "tries of one slot, first included (default 3)", "max_attempts %d out of range 0..100", co.MaxAttempts)
	}
	h := co.History
	if h.RunsPerJob < 0 || h.Audit < 0 || h.Drills < 0 {
		v.ps.at("coordinator.history", "counts of records kept; 0 takes the default", "history counts cannot be negative")
	}
}
