package store

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// NewTCPTransport listens on addr (host:port, also the address advertised
// to the peers) for raft RPCs, in mutual TLS when tlsConf is set.
func NewTCPTransport(addr string, tlsConf *TransportTLS, log *slog.Logger) (raft.Transport, error) {
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("resolve raft address %q: %w", addr, err)
	}
	if tcpAddr.IP == nil || tcpAddr.IP.IsUnspecified() {
		return nil, fmt.Errorf("raft address %q: write the host:port the other nodes reach, not a wildcard", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for raft on %s: %w", addr, err)
	}
	layer := &streamLayer{Listener: l, advertise: tcpAddr}
	if tlsConf != nil {
		layer.Listener = tls.NewListener(l, tlsConf.Server)
		layer.client = tlsConf.Client
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: layer, MaxPool: 3, Timeout: 10 * time.Second, Logger: newHCLog(log.With("component", "raft-transport")),
	}), nil
}

// streamLayer is raft's StreamLayer over TCP, optionally TLS.
type streamLayer struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// Addr returns the advertised address.
func (s *streamLayer) Addr() net.Addr { return s.advertise }

// Dial connects to a peer.
func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	if s.client == nil {
		return d.Dial("tcp", string(address))
	}
	conf := s.client.Clone()
	if conf.ServerName == "" {
		host, _, err := net.SplitHostPort(string(address))
		if err != nil {
			return nil, fmt.Errorf("dial raft peer %s: %w", address, err)
		}
		conf.ServerName = host
	}
	return tls.DialWithDialer(d, "tcp", string(address), conf)
}

// TLSFiles names the PEM files of a node's raft (and API) TLS.
type TLSFiles struct {
	CAFile   string // the CA that signed every node's certificate
	CertFile string // this node's certificate, valid for its host names
	KeyFile  string // its private key
}

// Load builds mutual TLS: the server side requires a client certificate
// signed by the CA, the client side verifies the peer against the CA.
func (f TLSFiles) Load() (*TransportTLS, error) {
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load coordinator tls certificate %s and key %s: %w", f.CertFile, f.KeyFile, err)
	}
	pem, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read coordinator tls ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read coordinator tls ca file %s: no PEM certificate in it", f.CAFile)
	}
	return &TransportTLS{
		Server: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert},
		Client: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool},
	}, nil
}

// InmemNetwork connects in-memory raft transports, for tests of several
// nodes in one process. A node restarted with the same address gets a new
// transport connected to the others.
type InmemNetwork struct {
	mu    sync.Mutex
	nodes map[raft.ServerAddress]*raft.InmemTransport
}

// NewInmemNetwork returns an empty network.
func NewInmemNetwork() *InmemNetwork {
	return &InmemNetwork{nodes: map[raft.ServerAddress]*raft.InmemTransport{}}
}

// Transport returns a transport for addr connected to every other node.
func (n *InmemNetwork) Transport(addr string) raft.Transport {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, t := raft.NewInmemTransportWithTimeout(raft.ServerAddress(addr), 500*time.Millisecond)
	for other, ot := range n.nodes {
		if other == a {
			continue
		}
		t.Connect(other, ot)
		ot.Connect(a, t)
	}
	n.nodes[a] = t
	return t
}

// Isolate cuts addr off from every other node (both directions).
func (n *InmemNetwork) Isolate(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := raft.ServerAddress(addr)
	if t := n.nodes[a]; t != nil {
		t.DisconnectAll()
	}
	for other, ot := range n.nodes {
		if other != a {
			ot.Disconnect(a)
		}
	}
}
