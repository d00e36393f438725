package coordinator

import (
	"context"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// promoter makes a non-voter a voter once it has caught up: its applied
// index within PromoteMaxLag of the leader's commit index on two checks in
// a row. A node that joins as a voter straight away would count toward the
// quorum before it can acknowledge anything.
func (n *Node) promoter(ctx context.Context) {
	t := time.NewTicker(n.opts.PromoteInterval)
	defer t.Stop()
	caughtUp := map[string]int{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		servers, err := n.st.Servers()
		if err != nil {
			continue
		}
		for _, srv := range servers {
			if srv.Voter {
				delete(caughtUp, srv.ID)
				continue
			}
			if n.caughtUp(ctx, srv) {
				caughtUp[srv.ID]++
			} else {
				caughtUp[srv.ID] = 0
			}
			if caughtUp[srv.ID] >= 2 {
				if err := n.st.Promote(ctx, srv.ID); err != nil {
					n.opts.Log.Warn("cannot promote a caught-up node", "node", srv.ID, "err", err)
					continue
				}
				n.opts.Log.Info("promoted a caught-up node to voter", "node", srv.ID)
				delete(caughtUp, srv.ID)
			}
		}
	}
}

func (n *Node) caughtUp(ctx context.Context, srv store.Server) bool {
	info := store.NodeInfo{ID: srv.ID, RaftAddress: srv.Address}
	for _, d := range n.st.FSM().Nodes() {
		if d.ID == srv.ID {
			info = d
		}
	}
	probe := n.opts.Probe
	if probe == nil {
		probe = n.probeHTTP
	}
	pctx, cancel := context.WithTimeout(ctx, n.opts.PromoteInterval)
	defer cancel()
	applied, err := probe(pctx, info)
	if err != nil {
		n.opts.Log.Debug("non-voter not reachable yet", "node", srv.ID, "err", err)
		return false
	}
	return applied+n.opts.PromoteMaxLag >= n.st.Status().CommitIndex
}

// probeHTTP asks a node's API for its applied index.
func (n *Node) probeHTTP(ctx context.Context, info store.NodeInfo) (uint64, error) {
	base := "http://" + info.HTTPAddress
	if n.client != nil {
		base = "https://" + info.HTTPAddress
	}
	c, err := api.NewClient(base, n.opts.Token, api.ClientOptions{TLS: n.client})
	if err != nil {
		return 0, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.AppliedIndex, nil
}
