package store

import (
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
)

// Recover rewrites this node's raft configuration to exactly the
// survivors, as Consul and Nomad do from peers.json: the way back when a
// site loss took the quorum with it. It must run while the node is
// stopped, on every survivor, with the same list; each survivor then starts
// normally and the survivors elect a leader among themselves. The FSM state
// is kept: the log is replayed into a fresh snapshot first.
//
// Anything the lost nodes had committed that no survivor received is lost;
// that is the price of recovering without a quorum, and why it is a
// command an operator runs, never automatic.
func Recover(cfg Config, survivors []NodeInfo) error {
	cfg = cfg.withDefaults()
	if cfg.DataDir == "" {
		return errors.New("recover coordinator: the node has no data directory")
	}
	if len(survivors) == 0 {
		return errors.New("recover coordinator: no survivors named")
	}
	self := false
	servers := make([]raft.Server, 0, len(survivors))
	for _, n := range survivors {
		if n.ID == "" || n.RaftAddress == "" {
			return fmt.Errorf("recover coordinator: survivor %q has no id or raft address", n.ID)
		}
		self = self || n.ID == cfg.NodeID
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(n.ID), Address: raft.ServerAddress(n.RaftAddress)})
	}
	if !self {
		return fmt.Errorf("recover coordinator: this node %s is not among the survivors: run recover on a surviving node", cfg.NodeID)
	}
	st, err := openStores(cfg)
	if err != nil {
		return err
	}
	defer st.close()
	existing, err := raft.HasExistingState(st.logs, st.stable, st.snaps)
	if err != nil {
		return fmt.Errorf("recover coordinator: read raft state: %w", err)
	}
	if !existing {
		return fmt.Errorf("recover coordinator: no raft state in %s: nothing to recover", cfg.DataDir)
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress(cfg.RaftAddress))
	defer trans.Close()
	err = raft.RecoverCluster(cfg.raftConfig(nil), NewFSM(cfg.Log), st.logs, st.stable, st.snaps, trans, raft.Configuration{Servers: servers})
	if err != nil {
		return fmt.Errorf("recover coordinator: %w", err)
	}
	cfg.Log.Warn("raft configuration rewritten to the survivors", "survivors", len(servers))
	return nil
}
