// Package api is the coordinator's HTTP API (JSON, bearer token) and its Go
// client. Reads are answered by the node asked, from its own FSM; writes
// are forwarded by a follower to the leader, so a client needs one address.
// /healthz, /readyz and /metrics take no token.
package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// StatusResponse is GET /v1/status: the answering node's raft view.
type StatusResponse struct {
	store.Status
	Site        string `json:"site,omitempty"`
	HTTPAddress string `json:"http_address,omitempty"`
	// LeaderHTTP is the leader's API address, when known.
	LeaderHTTP string `json:"leader_http,omitempty"`
}

// LeaderResponse is GET /v1/leader.
type LeaderResponse struct {
	ID          string `json:"id"`
	RaftAddress string `json:"raft_address"`
	HTTPAddress string `json:"http_address,omitempty"`
}

// NodeView is one member in GET /v1/nodes.
type NodeView struct {
	ID          string `json:"id"`
	Site        string `json:"site,omitempty"`
	RaftAddress string `json:"raft_address"`
	HTTPAddress string `json:"http_address,omitempty"`
	Voter       bool   `json:"voter"`
	Leader      bool   `json:"leader"`
}

// JobView is one job in GET /v1/jobs.
type JobView struct {
	store.Job
	State   store.JobState `json:"state"`
	Current *store.Run     `json:"current,omitempty"`
	Next    time.Time      `json:"next,omitempty"`
}

// ErrorResponse is the body of every error.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	// Leader is the leader's API address when the error is about
	// leadership (code no_leader).
	Leader string     `json:"leader,omitempty"`
	Run    *store.Run `json:"run,omitempty"`
}

// Error codes.
const (
	CodeUnauthorized = "unauthorized"
	CodeNoLeader     = "no_leader"
	CodeBusy         = "busy"
	CodeNotFound     = "not_found"
	CodeBadRequest   = "bad_request"
	CodeInternal     = "internal"
)

// Errors the client returns; test them with errors.Is.
var (
	ErrUnauthorized = errors.New("coordinator refused the token")
	ErrNoLeader     = errors.New("coordinator has no leader")
	ErrNotFound     = errors.New("not found on the coordinator")
	ErrBusy         = store.ErrBusy
)

// Error is an error answer of the API.
type Error struct {
	Status int
	ErrorResponse
}

func (e *Error) Error() string {
	return fmt.Sprintf("coordinator answered %d: %s", e.Status, e.ErrorResponse.Error)
}

// Is maps the error code to the client's sentinels.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case CodeUnauthorized:
		return target == ErrUnauthorized
	case CodeNoLeader:
		return target == ErrNoLeader
	case CodeNotFound:
		return target == ErrNotFound
	case CodeBusy:
		return target == ErrBusy
	}
	return false
}
