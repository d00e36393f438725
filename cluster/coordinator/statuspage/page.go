// Package statuspage is the coordinator's status page (server-rendered
// HTML at / and /status, token required) and the member metrics
// (citadel_member_*), both fed by one cached observation of the replica
// sets and by the node's replicated records. DESIGN.md says what each
// section shows and why.
package statuspage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
)

//go:embed page.html
var files embed.FS

var page = template.Must(template.ParseFS(files, "page.html"))

// Defaults of Options.
const (
	DefaultRefresh = 15 * time.Second
	DefaultMaxAge  = 10 * time.Second
	DefaultTimeout = 5 * time.Second
)

// Options configure the page of one node.
type Options struct {
	Config *config.Config
	Log    *slog.Logger
	// Refresh is the page's meta refresh; MaxAge how long an observation
	// of the sets is reused; Timeout bounds one observation.
	Refresh, MaxAge, Timeout time.Duration
}

// Page serves the status page of one node and collects its member metrics.
type Page struct {
	st      *store.Store
	cfg     *config.Config
	obs     *Observer
	mgr     *cluster.Manager
	refresh time.Duration
	log     *slog.Logger
	// noObserve says why the sets cannot be observed (obs and mgr nil).
	noObserve string
}

// ErrNoAPI is returned by Attach when the node serves no API handler it
// can add the page to.
var ErrNoAPI = errors.New("the coordinator node serves no API to add the status page to")

// Attach adds the status page (GET / and GET /status) to the node's API
// and the member metrics to its registry; Close releases the connections
// to the members. `citadel server` and the sandbox call it once the node
// runs.
func Attach(n *coordinator.Node, o Options) (*Page, error) {
	srv, ok := n.Handler().(*api.Server)
	if !ok {
		return nil, ErrNoAPI
	}
	p, err := New(n.Store(), o)
	if err != nil {
		return nil, err
	}
	srv.HandlePage("GET /{$}", p)
	srv.HandlePage("GET /status", p)
	if p.obs == nil {
		return p, nil
	}
	if err := n.Metrics().Registry.Register(&memberCollector{st: n.Store(), obs: p.obs}); err != nil {
		_ = p.Close(context.Background())
		return nil, fmt.Errorf("register the member metrics: %w", err)
	}
	return p, nil
}

// New builds the page over a node's store.
func New(st *store.Store, o Options) (*Page, error) {
	if o.Config == nil {
		return nil, errors.New("the status page needs the configuration")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	refresh := o.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	maxAge, timeout := o.MaxAge, o.Timeout
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	p := &Page{st: st, cfg: o.Config, refresh: refresh, log: o.Log.With("component", "statuspage")}
	sets, _ := cluster.SelectSets(o.Config, "") // every set: no name to refuse
	d, err := cluster.NewDialer(o.Config.MongoDB, o.Log)
	if err != nil {
		// The page still shows the records; the node must not refuse to
		// start for its page.
		p.noObserve = "cannot observe the replica sets: " + err.Error()
		p.log.Warn("the status page shows no replica set", "err", err)
		return p, nil
	}
	p.mgr = cluster.NewManager(d, o.Log, nil)
	p.obs = NewObserver(p.mgr, sets, maxAge, timeout)
	return p, nil
}

// Close closes the connections to the members.
func (p *Page) Close(ctx context.Context) error {
	if p.mgr == nil {
		return nil
	}
	return p.mgr.Close(ctx)
}

// ServeHTTP renders the page.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := Build(p.input(r.Context()))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		p.log.Warn("cannot render the status page", "err", err)
	}
}

// input gathers the page's input from the observation and the FSM.
func (p *Page) input(ctx context.Context) Input {
	obs := Observation{Err: p.noObserve}
	if p.obs != nil {
		ctx, cancel := context.WithTimeout(ctx, p.obs.timeout+time.Second)
		obs = p.obs.Get(ctx)
		cancel()
	}
	fsm := p.st.FSM()
	leader, _ := p.st.Leader()
	in := Input{Now: time.Now(), Node: p.st.ID(), Leader: leader, Sets: obs.States, ObservedAt: obs.At,
		ObserveErr: obs.Err, Catalog: fsm.Catalog("", ""), Drills: fsm.Drills("", shownDrills), PITR: fsm.PITR(),
		Limits: map[string]Limit{}, Slices: map[string]time.Duration{}, Refresh: p.refresh}
	for _, n := range fsm.Nodes() {
		if n.ID == in.Node {
			in.Site = n.Site
		}
	}
	for _, j := range fsm.Jobs() {
		ji := JobInput{Job: j, State: fsm.JobState(j.Name)}
		if cur, ok := fsm.Current(j.Name); ok {
			ji.Running = &cur
		}
		for _, r := range fsm.Runs(j.Name, 20) {
			if r.Finished() && r.State != store.RunSkipped {
				ji.Last = &r
				break
			}
		}
		in.Jobs = append(in.Jobs, ji)
	}
	for _, d := range p.cfg.Drills {
		in.Limits[d.Name] = Limit{MaxRTO: time.Duration(d.MaxRTO), MaxRPO: time.Duration(d.MaxRPO)}
	}
	for _, b := range p.cfg.Backups {
		if b.PITR.Enabled {
			in.Slices[b.ReplicaSet] = time.Duration(b.PITR.Slice)
		}
	}
	return in
}
