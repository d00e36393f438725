package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
)

// ErrBadSince is wrapped by ParseSince's errors.
var ErrBadSince = errors.New("bad since")

// AuditQuery filters the audit trail the group keeps in its raft log.
type AuditQuery struct {
	// Since keeps the records strictly after it (zero: all).
	Since time.Time
	// Action keeps the records whose action starts with it.
	Action string
	// Limit is the most records returned, newest first (0: the API's
	// default, 100).
	Limit int
}

// AuditList reads the raft audit trail (the records `audit.Sink`s of the
// nodes and of CLIs talking to the coordinator appended), newest first,
// from url or else the first configured node that answers. It returns the
// node that answered: reads are local to it, and a follower may lag by
// the entries it has not applied yet.
func AuditList(ctx context.Context, a Access, url string, configured []config.CoordinatorNode, q AuditQuery) ([]store.AuditRecord, string, error) {
	addrs := []string{url}
	if url == "" {
		addrs = addrs[:0]
		for _, n := range configured {
			addrs = append(addrs, n.HTTPAddress)
		}
	}
	if len(addrs) == 0 {
		return nil, "", errors.New("audit list: no coordinator node to ask: give --coordinator URL or list coordinator.nodes in the config")
	}
	var errs []error
	for _, addr := range addrs {
		c, err := a.Client(addr)
		if err != nil {
			return nil, "", err
		}
		recs, err := c.Audit(ctx, q.Since, q.Action, q.Limit)
		if err == nil {
			return recs, addr, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, "", fmt.Errorf("audit list: no coordinator node answered: %w", errors.Join(errs...))
}

// ParseSince reads --since: an RFC 3339 time, or a duration before now
// ("24h", "90m"); "" is the zero time (no bound).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%w %q: write an RFC 3339 time such as 2026-03-01T14:30:00+01:00, or a duration ago such as 24h", ErrBadSince, s)
	}
	return now.Add(-d), nil
}
