package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
)

// The coordinator's audit sinks: audit.Sink implementations that write
// through raft, beside the file and slog sinks of internal/audit. In the
// server use Node.AuditSink; a CLI process talking to a coordinator uses
// ClientAuditSink. Both return an error rather than drop a record, so the
// trail can still write its file.

// AuditSink returns a sink that proposes on the leader and goes through the
// leader's API from a follower.
func (n *Node) AuditSink() audit.Sink {
	return audit.Func(func(ctx context.Context, r audit.Record) error {
		rec, err := toStore(r)
		if err != nil {
			return err
		}
		if n.st.IsLeader() {
			return n.st.AppendAudit(ctx, rec)
		}
		addr := n.api.LeaderHTTP()
		if addr == "" {
			return fmt.Errorf("record audit %s: %w", r.Action, store.ErrNotLeader)
		}
		scheme := "http://"
		if n.client != nil {
			scheme = "https://"
		}
		c, err := api.NewClient(scheme+addr, n.opts.Token, api.ClientOptions{TLS: n.client})
		if err != nil {
			return err
		}
		return c.AppendAudit(ctx, rec)
	})
}

// ClientAuditSink writes audit records through a coordinator's API.
func ClientAuditSink(c *api.Client) audit.Sink {
	return audit.Func(func(ctx context.Context, r audit.Record) error {
		rec, err := toStore(r)
		if err != nil {
			return err
		}
		return c.AppendAudit(ctx, rec)
	})
}

func toStore(r audit.Record) (store.AuditRecord, error) {
	rec := store.AuditRecord{Time: r.Time, Who: r.Who, Action: r.Action, Target: r.Target, Outcome: r.Outcome, Error: r.Error}
	if len(r.Parameters) > 0 {
		p, err := json.Marshal(r.Parameters)
		if err != nil {
			return rec, fmt.Errorf("encode audit parameters of %s: %w", r.Action, err)
		}
		rec.Parameters = p
	}
	return rec, nil
}

// ConfiguredAuditSink is the CLI's way into the raft trail: each record is
// sent to the first configured node that takes it (a follower forwards it
// to the leader), each request bounded by timeout, so a command run while
// the whole group is down waits at most timeout per node before the trail
// reports the record as not written (the file still has it).
func ConfiguredAuditSink(a Access, nodes []config.CoordinatorNode, timeout time.Duration) audit.Sink {
	a.Timeout = timeout
	return audit.Func(func(ctx context.Context, r audit.Record) error {
		rec, err := toStore(r)
		if err != nil {
			return err
		}
		var errs []error
		for _, n := range nodes {
			c, err := a.Client(n.HTTPAddress)
			if err == nil {
				if err = c.AppendAudit(ctx, rec); err == nil {
					return nil
				}
			}
			errs = append(errs, fmt.Errorf("node %s (%s): %w", n.ID, n.HTTPAddress, err))
		}
		return fmt.Errorf("send audit record %s to the coordinator: %w", r.Action, errors.Join(errs...))
	})
}
