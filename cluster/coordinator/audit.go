package coordinator

import (
	"context"
	"fmt"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// AuditSink writes audit records through raft: the coordinator sink the
// audit package (issue 10's internal/audit) plugs in beside its file and
// slog sinks. In the server process use Node.AuditSink; a CLI process
// talking to a coordinator uses ClientAuditSink. Both return an error
// rather than drop a record, so the caller can fall back to its file.
type AuditSink interface {
	Record(ctx context.Context, rec store.AuditRecord) error
}

type nodeSink struct{ n *Node }

// AuditSink returns a sink that proposes on the leader and goes through
// the leader's API from a follower.
func (n *Node) AuditSink() AuditSink { return nodeSink{n: n} }

func (s nodeSink) Record(ctx context.Context, rec store.AuditRecord) error {
	if s.n.st.IsLeader() {
		return s.n.st.AppendAudit(ctx, rec)
	}
	addr := s.n.api.LeaderHTTP()
	if addr == "" {
		return fmt.Errorf("record audit %s: %w", rec.Action, store.ErrNotLeader)
	}
	scheme := "http://"
	if s.n.client != nil {
		scheme = "https://"
	}
	c, err := api.NewClient(scheme+addr, s.n.opts.Token, api.ClientOptions{TLS: s.n.client})
	if err != nil {
		return err
	}
	return c.AppendAudit(ctx, rec)
}

// ClientAuditSink writes audit records through a coordinator's API.
func ClientAuditSink(c *api.Client) AuditSink { return clientSink{c: c} }

type clientSink struct{ c *api.Client }

func (s clientSink) Record(ctx context.Context, rec store.AuditRecord) error {
	return s.c.AppendAudit(ctx, rec)
}
