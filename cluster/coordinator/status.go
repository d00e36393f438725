package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
)

// NodeStatus is one node of `citadel coordinator status`.
type NodeStatus struct {
	ID          string `json:"id"`
	Site        string `json:"site,omitempty"`
	HTTPAddress string `json:"http_address,omitempty"`
	Voter       bool   `json:"voter"`
	// Status is the node's own answer to /v1/status; nil when it did not
	// answer (Error says why).
	Status *api.StatusResponse `json:"status,omitempty"`
	Error  string              `json:"error,omitempty"`
}

// GroupStatus is every node's view, as each node answers for itself.
type GroupStatus struct {
	// Leader is the leader's id, as the answering nodes know it ("" when
	// none knows one).
	Leader string       `json:"leader,omitempty"`
	Nodes  []NodeStatus `json:"nodes"`
}

// Access is how a CLI reaches the coordinator's API.
type Access struct {
	Token string
	// TLS is set when the coordinator serves https.
	TLS *tls.Config
	Who string
	// Timeout bounds each request (default 3s: a node that does not
	// answer that fast is shown as unreachable).
	Timeout time.Duration
}

// AccessFromConfig reads the token and the TLS client setup from the
// config's coordinator section.
func AccessFromConfig(c *config.Coordinator, who string) (Access, error) {
	if c == nil {
		return Access{}, errors.New("the config has no coordinator section: add one (see citadel config example)")
	}
	tok, err := c.Token()
	if err != nil {
		return Access{}, fmt.Errorf("coordinator token: %w", err)
	}
	a := Access{Token: tok, Who: who}
	if t := c.TLS; t != nil && t.Enabled {
		tt, err := (store.TLSFiles{CAFile: t.CAFile, CertFile: t.CertKeyFile, KeyFile: t.CertKeyFile}).Load()
		if err != nil {
			return Access{}, err
		}
		a.TLS = tt.Client
	}
	return a, nil
}

// Client returns an API client of the node at addr (a URL, or host:port
// taken as http, https with TLS).
func (a Access) Client(addr string) (*api.Client, error) {
	if !strings.Contains(addr, "://") {
		scheme := "http://"
		if a.TLS != nil {
			scheme = "https://"
		}
		addr = scheme + addr
	}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	return api.NewClient(addr, a.Token, api.ClientOptions{Who: a.Who, TLS: a.TLS, Timeout: timeout})
}

// Status asks the group for its members (through url, or the first
// configured node that answers) and then every member for its own raft
// status. A node that does not answer is listed with the error; Status
// fails only when no node answered at all.
func Status(ctx context.Context, a Access, url string, configured []config.CoordinatorNode) (GroupStatus, error) {
	members, err := members(ctx, a, url, configured)
	if err != nil {
		return GroupStatus{}, err
	}
	gs := GroupStatus{Nodes: members}
	var wg sync.WaitGroup
	for i := range gs.Nodes {
		n := &gs.Nodes[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := a.Client(n.HTTPAddress)
			if err == nil {
				var st api.StatusResponse
				if st, err = c.Status(ctx); err == nil {
					n.Status = &st
					return
				}
			}
			n.Error = err.Error()
		}()
	}
	wg.Wait()
	answered := false
	for _, n := range gs.Nodes {
		if n.Status == nil {
			continue
		}
		answered = true
		if n.Status.State == "Leader" || gs.Leader == "" {
			gs.Leader = n.Status.LeaderID
		}
	}
	if !answered {
		return gs, fmt.Errorf("coordinator status: no node answered (%s)", gs.Nodes[0].Error)
	}
	return gs, nil
}

// members lists the group's nodes from the first node that answers; with
// none answering, the configured nodes (as voters).
func members(ctx context.Context, a Access, url string, configured []config.CoordinatorNode) ([]NodeStatus, error) {
	addrs := []string{url}
	if url == "" {
		addrs = addrs[:0]
		for _, n := range configured {
			addrs = append(addrs, n.HTTPAddress)
		}
	}
	var errs []error
	for _, addr := range addrs {
		c, err := a.Client(addr)
		if err != nil {
			return nil, err
		}
		views, err := c.Nodes(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		out := make([]NodeStatus, 0, len(views))
		for _, v := range views {
			out = append(out, NodeStatus{ID: v.ID, Site: v.Site, HTTPAddress: v.HTTPAddress, Voter: v.Voter})
		}
		return out, nil
	}
	if url != "" || len(configured) == 0 {
		return nil, fmt.Errorf("coordinator status: %w", errors.Join(errs...))
	}
	out := make([]NodeStatus, 0, len(configured))
	for _, n := range configured {
		out = append(out, NodeStatus{ID: n.ID, Site: n.Site, HTTPAddress: n.HTTPAddress, Voter: true})
	}
	return out, nil
}
