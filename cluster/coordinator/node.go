// Package coordinator runs one citadel coordinator node: the raft store
// (store), the leader-only scheduler (sched) and the HTTP API with its
// metrics (api), started and stopped together. `citadel server` calls
// Start; `citadel coordinator recover` calls Recover. DESIGN.md describes
// the FSM, the lease and fencing protocol and every crash point.
package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// Node is one running coordinator node.
type Node struct {
	opts    Options
	st      *store.Store
	sch     *sched.Scheduler
	metrics *api.Metrics
	api     *api.Server
	client  *tls.Config
	http    *http.Server
	ln      net.Listener

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Start opens the raft store (bootstrapping the group on the very first
// start of a configured node), serves the API when an HTTP address is set,
// and runs the scheduler whenever this node leads.
func Start(ctx context.Context, o Options, runner sched.Runner) (*Node, error) {
	o = o.withDefaults()
	n := &Node{opts: o}
	var trans *store.TransportTLS
	if o.TLS != nil {
		t, err := o.TLS.Load()
		if err != nil {
			return nil, err
		}
		trans, n.client = t, t.Client
	}
	st, err := store.Open(o.storeConfig(trans))
	if err != nil {
		return nil, err
	}
	n.st = st
	n.metrics = api.NewMetrics(st)
	n.sch = sched.New(st, runner, o.schedOptions(n.metrics.ObserveRun))
	n.api = api.NewServer(api.Config{
		Store: st, Sched: n.sch, Token: o.Token, Site: o.Site, HTTPAddress: o.HTTPAddress, Peers: o.peers(),
		ClientTLS: n.client, Metrics: n.metrics, Log: o.Log.With("node", o.NodeID, "component", "api"),
	})
	if o.HTTPAddress != "" {
		if err := n.serve(trans); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.stop = cancel
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.leadership(lctx)
	}()
	return n, nil
}

func (n *Node) serve(trans *store.TransportTLS) error {
	ln, err := net.Listen("tcp", n.opts.HTTPAddress)
	if err != nil {
		return fmt.Errorf("listen for the coordinator API on %s: %w", n.opts.HTTPAddress, err)
	}
	if trans != nil {
		conf := trans.Server.Clone()
		conf.ClientAuth = tls.NoClientCert // API clients authenticate with the token
		ln = tls.NewListener(ln, conf)
	}
	n.ln = ln
	n.http = &http.Server{Handler: n.api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(n.opts.Log.With("node", n.opts.NodeID, "component", "http").Handler(), slog.LevelWarn)}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.opts.Log.Error("coordinator API stopped", "err", err)
		}
	}()
	return nil
}

// leadership runs a term (sync, promoter, scheduler) each time this node
// becomes leader, and ends it when the node stops leading.
func (n *Node) leadership(ctx context.Context) {
	var cur *term
	defer func() { cur.end() }()
	for {
		select {
		case <-ctx.Done():
			return
		case leading := <-n.st.LeaderCh():
			cur.end()
			cur = nil
			if !leading {
				n.opts.Log.Info("no longer the coordinator leader", "node", n.opts.NodeID)
				continue
			}
			n.opts.Log.Info("became the coordinator leader", "node", n.opts.NodeID)
			cur = n.startTerm(ctx)
		}
	}
}

// term is one running leadership term.
type term struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (n *Node) startTerm(ctx context.Context) *term {
	tctx, cancel := context.WithCancel(ctx)
	t := &term{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		n.lead(tctx)
	}()
	return t
}

// end cancels the term and waits for its runs to return.
func (t *term) end() {
	if t != nil {
		t.cancel()
		<-t.done
	}
}

// lead is one leadership term.
func (n *Node) lead(ctx context.Context) {
	if err := n.st.Barrier(ctx); err != nil {
		n.opts.Log.Error("leader cannot catch up its state", "err", err)
		return
	}
	if err := n.sync(ctx); err != nil {
		n.opts.Log.Error("leader cannot write the configuration to the state", "err", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.promoter(ctx)
	}()
	if err := n.sch.Lead(ctx); err != nil {
		n.opts.Log.Error("scheduler stopped", "err", err)
	}
	wg.Wait()
}

// sync writes what the leader's configuration says into the FSM: history
// limits, job definitions, the directory of configured nodes. Only
// differences are proposed.
func (n *Node) sync(ctx context.Context) error {
	fsm := n.st.FSM()
	if fsm.Limits() != n.opts.Limits {
		if err := n.st.SetLimits(ctx, n.opts.Limits); err != nil {
			return err
		}
	}
	if n.opts.Jobs != nil {
		want := map[string]bool{}
		for _, j := range n.opts.Jobs {
			want[j.Name] = true
			if have, ok := fsm.Job(j.Name); !ok || !reflect.DeepEqual(have, j) {
				if err := n.st.PutJob(ctx, j); err != nil {
					return err
				}
			}
		}
		var gone []string
		for _, j := range fsm.Jobs() {
			if !want[j.Name] {
				gone = append(gone, j.Name)
			}
		}
		if len(gone) > 0 {
			if err := n.st.DeleteJobs(ctx, gone...); err != nil {
				return err
			}
		}
	}
	dir := map[string]store.NodeInfo{}
	for _, d := range fsm.Nodes() {
		dir[d.ID] = d
	}
	for _, p := range n.opts.peers() {
		if d, ok := dir[p.ID]; !ok || d != p {
			if err := n.st.PutNode(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close stops the node: the scheduler's runs are cancelled (their leases
// stay for the next leader to take over), the API and raft stop, the state
// stays on disk.
func (n *Node) Close() error {
	n.stop()
	var err error
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = n.http.Shutdown(ctx)
		cancel()
	}
	n.wg.Wait()
	return errors.Join(err, n.st.Close())
}

// Store returns the node's raft store (the job layer writes the catalog,
// drill and PITR records through it).
func (n *Node) Store() *store.Store { return n.st }

// Scheduler returns the node's scheduler.
func (n *Node) Scheduler() *sched.Scheduler { return n.sch }

// Handler returns the API handler (served on HTTPAddress when set).
func (n *Node) Handler() http.Handler { return n.api }

// Metrics returns the node's registry, for collectors of other packages.
func (n *Node) Metrics() *api.Metrics { return n.metrics }

// HTTPAddr returns the address the API listens on ("" when none).
func (n *Node) HTTPAddr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}
