package mongosim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/ferret"
	"github.com/noscites/citadel/internal/mongosim/oplog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Member is one simulated mongod.
type Member struct {
	host string
	site string
	set  *Set
	lg   *slog.Logger
	dir  string

	ferret   *ferret.Server
	upstream string // "unix" or "tcp" address of FerretDB
	network  string
	client   *mongo.Client // internal operations on FerretDB

	// writeMu serializes every change to this member's documents with its
	// oplog: primary writes, applier batches, rollback.
	writeMu sync.Mutex

	// Guarded by set.mu.
	log       oplog.Log
	writable  bool
	lag       time.Duration
	paused    bool
	sessions  map[string]*txnRecord
	uuids     map[string][]byte
	catalog   *catalog
	cursors   map[int64]*oplogCursor
	applyFail *applyFailure
	lastTS    atomic.Uint64 // last oplog timestamp, for $clusterTime without the lock
	started   time.Time
	connID    int64

	lnMu    sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	stopped bool
	addr    string
	pid     bson.ObjectID
}

func startMember(ctx context.Context, set *Set, mc config.Member, dir string, opts Options) (*Member, error) {
	m := &Member{host: mc.Host, site: mc.Site, set: set, dir: dir, lg: set.log.With("host", mc.Host),
		sessions: map[string]*txnRecord{}, uuids: map[string][]byte{}, catalog: newCatalog(), cursors: map[int64]*oplogCursor{},
		conns: map[net.Conn]struct{}{}, started: time.Now()}
	m.log.MaxBytes = opts.OplogMaxBytes
	fopts := ferret.Options{Dir: filepath.Join(dir, "ferretdb"), Logger: opts.FerretLogger}
	sock := filepath.Join(dir, "ferretdb.sock")
	if len(sock) < 100 {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("start member %s: %w", mc.Host, err)
		}
		fopts.Unix, m.network, m.upstream = sock, "unix", sock
	} else {
		fopts.Addr, m.network = "127.0.0.1:0", "tcp"
	}
	fs, err := ferret.Start(ctx, fopts)
	if err != nil {
		return nil, fmt.Errorf("start member %s: %w", mc.Host, err)
	}
	m.ferret = fs
	if m.network == "tcp" {
		m.upstream = tcpAddrOf(fs.URI())
	}
	m.client, err = mongo.Connect(options.Client().ApplyURI(fs.URI()).SetMaxPoolSize(8))
	if err != nil {
		fs.Close()
		return nil, fmt.Errorf("connect to ferretdb of %s: %w", mc.Host, err)
	}
	set.members = append(set.members, m)
	set.byHost[mc.Host] = m
	if err := m.listen(); err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

func tcpAddrOf(uri string) string {
	const p = "mongodb://"
	s := uri[len(p):]
	for i, c := range s {
		if c == '/' || c == '?' {
			return s[:i]
		}
	}
	return s
}

// Host is the member's host:port as in the replica-set config.
func (m *Member) Host() string { return m.host }

// Addr is the address the member listens on.
func (m *Member) Addr() string { return m.addr }

// FerretURI is the URI of the member's own FerretDB (for baselines).
func (m *Member) FerretURI() string { return m.ferret.URI() }

func (m *Member) arbiter() bool {
	n := m.set.rs.Node(m.host)
	return n.Config != nil && n.Self() != nil && n.Self().ArbiterOnly
}

func (m *Member) listen() error {
	ln, err := net.Listen("tcp", m.host)
	if err != nil {
		return fmt.Errorf("listen for member %s: %w", m.host, err)
	}
	m.lnMu.Lock()
	m.ln, m.stopped, m.addr, m.pid = ln, false, ln.Addr().String(), bson.NewObjectID()
	m.lnMu.Unlock()
	go m.accept(ln)
	return nil
}

func (m *Member) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		m.lnMu.Lock()
		if m.stopped || m.ln != ln {
			m.lnMu.Unlock()
			c.Close()
			continue
		}
		m.conns[c] = struct{}{}
		m.lnMu.Unlock()
		go m.serve(c)
	}
}

// stopListening closes the listener and every client connection.
func (m *Member) stopListening() {
	m.lnMu.Lock()
	defer m.lnMu.Unlock()
	m.stopped = true
	if m.ln != nil {
		m.ln.Close()
		m.ln = nil
	}
	for c := range m.conns {
		c.Close()
	}
	m.conns = map[net.Conn]struct{}{}
}

func (m *Member) dropConn(c net.Conn) {
	m.lnMu.Lock()
	delete(m.conns, c)
	m.lnMu.Unlock()
	c.Close()
}

func (m *Member) close() {
	m.stopListening()
	if m.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = m.client.Disconnect(ctx)
		cancel()
	}
	if m.ferret != nil {
		m.ferret.Close()
	}
}

func (m *Member) dialUpstream() (net.Conn, error) {
	c, err := net.Dial(m.network, m.upstream)
	if err != nil {
		return nil, fmt.Errorf("dial ferretdb of %s: %w", m.host, err)
	}
	return c, nil
}

var errStopped = errors.New("member stopped")
