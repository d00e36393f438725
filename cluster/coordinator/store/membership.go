package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Server is one member of the raft configuration.
type Server struct {
	ID      string `json:"id"`
	Address string `json:"raft_address"`
	Voter   bool   `json:"voter"`
}

// Status is this node's view of raft, read without going through raft's
// main loop (so it stays cheap under load).
type Status struct {
	ID            string    `json:"id"`
	State         string    `json:"state"`
	Term          uint64    `json:"term"`
	LastIndex     uint64    `json:"last_index"`
	CommitIndex   uint64    `json:"commit_index"`
	AppliedIndex  uint64    `json:"applied_index"`
	LastContact   time.Time `json:"last_contact,omitzero"`
	LeaderID      string    `json:"leader_id,omitempty"`
	LeaderAddress string    `json:"leader_address,omitempty"`
}

// Status returns this node's raft state.
func (s *Store) Status() Status {
	id, addr := s.Leader()
	st := Status{
		ID: s.cfg.NodeID, State: s.raft.State().String(), Term: s.raft.CurrentTerm(),
		LastIndex: s.raft.LastIndex(), CommitIndex: s.raft.CommitIndex(), AppliedIndex: s.raft.AppliedIndex(),
		LeaderID: id, LeaderAddress: addr,
	}
	if s.raft.State() != raft.Leader {
		st.LastContact = s.raft.LastContact()
	}
	return st
}

// Servers returns the raft configuration (voters and non-voters).
func (s *Store) Servers() ([]Server, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	var out []Server
	for _, srv := range f.Configuration().Servers {
		out = append(out, Server{ID: string(srv.ID), Address: string(srv.Address), Voter: srv.Suffrage == raft.Voter})
	}
	return out, nil
}

// AddNonvoter adds a node that receives the log but does not vote; the
// leader promotes it once it has caught up (Promote). A node already in the
// configuration with the same address is left as it is.
func (s *Store) AddNonvoter(ctx context.Context, n NodeInfo) error {
	servers, err := s.Servers()
	if err != nil {
		return err
	}
	for _, srv := range servers {
		if srv.ID == n.ID && srv.Address == n.RaftAddress {
			return s.putNode(ctx, n)
		}
		if srv.ID == n.ID || srv.Address == n.RaftAddress {
			return fmt.Errorf("add node %s at %s: %s at %s is already a member: remove it first", n.ID, n.RaftAddress, srv.ID, srv.Address)
		}
	}
	if err := s.putNode(ctx, n); err != nil {
		return err
	}
	f := s.raft.AddNonvoter(raft.ServerID(n.ID), raft.ServerAddress(n.RaftAddress), 0, s.timeout(ctx))
	return s.membershipErr("add node "+n.ID, f.Error())
}

func (s *Store) putNode(ctx context.Context, n NodeInfo) error {
	_, err := s.Propose(ctx, CmdNodePut, n)
	return err
}

// Promote makes a caught-up non-voter a voter.
func (s *Store) Promote(ctx context.Context, id string) error {
	servers, err := s.Servers()
	if err != nil {
		return err
	}
	for _, srv := range servers {
		if srv.ID == id {
			f := s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(srv.Address), 0, s.timeout(ctx))
			return s.membershipErr("promote node "+id, f.Error())
		}
	}
	return fmt.Errorf("promote node %s: %w", id, ErrNotFound)
}

// Remove takes a node out of the group and the directory.
func (s *Store) Remove(ctx context.Context, id string) error {
	servers, err := s.Servers()
	if err != nil {
		return err
	}
	found := false
	for _, srv := range servers {
		found = found || srv.ID == id
	}
	if !found {
		return fmt.Errorf("remove node %s: %w", id, ErrNotFound)
	}
	f := s.raft.RemoveServer(raft.ServerID(id), 0, s.timeout(ctx))
	if err := s.membershipErr("remove node "+id, f.Error()); err != nil {
		return err
	}
	_, err = s.Propose(ctx, CmdNodeDelete, NamesBody{Names: []string{id}})
	return err
}

func (s *Store) membershipErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%s: %w", what, ErrNotLeader)
	}
	return fmt.Errorf("%s: %w", what, err)
}
