package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
)

const testToken = "s3cr3t-token-never-logged"

// bucket stands for the storage a job commits its manifest to: one entry
// per committed manifest, keyed by slot.
type bucket struct {
	mu        sync.Mutex
	manifests map[string][]uint64 // slot → tokens that committed
}

func (b *bucket) commit(slot time.Time, token uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.manifests == nil {
		b.manifests = map[string][]uint64{}
	}
	k := slot.UTC().Format(time.RFC3339Nano)
	b.manifests[k] = append(b.manifests[k], token)
}

func (b *bucket) committed(slot time.Time) []uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]uint64(nil), b.manifests[slot.UTC().Format(time.RFC3339Nano)]...)
}

// job is the pure-logic stand-in for the job layer: it calls a hook (to
// block or fail on demand), passes its fence, and commits to the bucket.
type job struct {
	node   string
	bucket *bucket
	mu     *sync.Mutex
	calls  *[]call
	hook   func(ctx context.Context, c call) error
}

type call struct {
	Node string
	Run  sched.RunInfo
}

func (j job) Run(ctx context.Context, spec sched.JobSpec, run sched.RunInfo, f sched.Fence) (json.RawMessage, error) {
	c := call{Node: j.node, Run: run}
	j.mu.Lock()
	*j.calls = append(*j.calls, c)
	j.mu.Unlock()
	if j.hook != nil {
		if err := j.hook(ctx, c); err != nil {
			return nil, err
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	deadline, err := f.Check(fctx)
	if err != nil {
		return nil, err
	}
	if time.Now().After(deadline) {
		return nil, fmt.Errorf("commit deadline passed")
	}
	j.bucket.commit(run.Slot, f.Token())
	return json.RawMessage(fmt.Sprintf(`{"node":%q,"token":%d}`, j.node, f.Token())), nil
}

// group is a set of in-process nodes.
type group struct {
	t      *testing.T
	nodes  map[string]*Node
	opts   map[string]Options
	net    *store.InmemNetwork
	bucket *bucket
	mu     sync.Mutex
	calls  []call
	hook   func(ctx context.Context, c call) error
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newGroup configures n nodes; inmem selects the in-memory raft transport
// (else real TCP). Every node gets a real HTTP API on a loopback port and
// a bolt store in the test's temporary directory.
func newGroup(t *testing.T, n int, inmem bool, jobs []store.Job) *group {
	g := &group{t: t, nodes: map[string]*Node{}, opts: map[string]Options{}, bucket: &bucket{}, logs: &syncBuffer{}}
	var nodes []config.CoordinatorNode
	for i := range n {
		raftAddr := fmt.Sprintf("inmem-%d", i+1)
		if !inmem {
			raftAddr = testbed.FreeAddr(t)
		}
		nodes = append(nodes, config.CoordinatorNode{ID: fmt.Sprintf("n%d", i+1), Site: []string{"paris", "paris", "lyon"}[i%3],
			RaftAddress: raftAddr, HTTPAddress: testbed.FreeAddr(t)})
	}
	if inmem {
		g.net = store.NewInmemNetwork()
	}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, cn := range nodes {
		g.opts[cn.ID] = Options{
			NodeID: cn.ID, Nodes: nodes, RaftAddress: cn.RaftAddress, DataDir: filepath.Join(dir, cn.ID), Token: testToken, Jobs: jobs,
			HeartbeatInterval: 50 * time.Millisecond, LeaseTTL: 600 * time.Millisecond, RetryBackoff: 20 * time.Millisecond,
			PromoteInterval: 100 * time.Millisecond, Log: log.With("test_node", cn.ID),
			RaftHeartbeatTimeout: 200 * time.Millisecond, RaftElectionTimeout: 200 * time.Millisecond, RaftLeaderLeaseTimeout: 100 * time.Millisecond,
		}
	}
	t.Cleanup(g.closeAll)
	t.Cleanup(func() {
		if t.Failed() {
			logs := g.logs.String()
			t.Log(logs[max(0, len(logs)-6000):])
		}
	})
	return g
}

func (g *group) options(id string) Options {
	o := g.opts[id]
	if g.net != nil {
		o.RaftTransport = g.net.Transport(o.RaftAddress)
	}
	return o
}

func (g *group) start(id string) *Node {
	g.t.Helper()
	runner := job{node: id, bucket: g.bucket, mu: &g.mu, calls: &g.calls, hook: func(ctx context.Context, c call) error {
		g.mu.Lock()
		h := g.hook
		g.mu.Unlock()
		if h == nil {
			return nil
		}
		return h(ctx, c)
	}}
	n, err := Start(context.Background(), g.options(id), runner)
	if err != nil {
		g.t.Fatalf("start %s: %v", id, err)
	}
	g.nodes[id] = n
	return n
}

func (g *group) startAll() {
	for id := range g.opts {
		g.start(id)
	}
}

func (g *group) setHook(h func(ctx context.Context, c call) error) {
	g.mu.Lock()
	g.hook = h
	g.mu.Unlock()
}

func (g *group) callsSnapshot() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]call(nil), g.calls...)
}

func (g *group) stop(id string) {
	g.t.Helper()
	n := g.nodes[id]
	if n == nil {
		return
	}
	delete(g.nodes, id)
	if err := n.Close(); err != nil {
		g.t.Errorf("stop %s: %v", id, err)
	}
}

func (g *group) closeAll() {
	for id := range g.nodes {
		g.stop(id)
	}
}

// leader waits for exactly one leader among the running nodes.
func (g *group) leader() *Node {
	g.t.Helper()
	var found *Node
	waitFor(g.t, 20*time.Second, "a single leader", func() bool {
		found = nil
		for _, n := range g.nodes {
			if n.Store().IsLeader() {
				if found != nil {
					return false
				}
				found = n
			}
		}
		return found != nil
	})
	return found
}

// ready waits for a leader whose scheduler leads and whose identity every
// running node knows.
func (g *group) ready() *Node {
	g.t.Helper()
	l := g.leader()
	waitFor(g.t, 20*time.Second, "the group is ready", func() bool {
		if !l.Scheduler().Leading() {
			return false
		}
		for _, n := range g.nodes {
			if id, _ := n.Store().Leader(); id != l.opts.NodeID {
				return false
			}
		}
		return true
	})
	return l
}

func (g *group) follower() *Node {
	l := g.ready()
	for _, n := range g.nodes {
		if n != l {
			return n
		}
	}
	g.t.Fatal("no follower")
	return nil
}

func (g *group) client(n *Node) *api.Client {
	g.t.Helper()
	c, err := api.NewClient("http://"+n.HTTPAddr(), testToken, api.ClientOptions{Who: "alice", Timeout: 10 * time.Second})
	if err != nil {
		g.t.Fatal(err)
	}
	return c
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runsIn(n *Node, jobName, state string) []store.Run {
	var out []store.Run
	for _, r := range n.Store().FSM().Runs(jobName, 0) {
		if state == "" || r.State == state {
			out = append(out, r)
		}
	}
	return out
}
