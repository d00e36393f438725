package api

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// forwardedHeader marks a request a follower forwarded, so a node that is
// not the leader either never forwards it again (no loops while the
// leadership moves) and answers 503 with the leader's address instead.
const forwardedHeader = "X-Citadel-Forwarded-By"

// Followers forward writes to the leader (a reverse proxy) rather than
// redirecting the client: the client keeps one address, the bearer token
// is not re-sent by the client to a host it did not name (Go's client drops
// Authorization on a redirect to another host), and a POST body is not
// replayed by every client library differently.
type forwarder struct {
	proxy  *httputil.ReverseProxy
	scheme string
}

func newForwarder(clientTLS *tls.Config) *forwarder {
	tr := &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second,
		TLSClientConfig: clientTLS, ResponseHeaderTimeout: 30 * time.Second,
	}
	f := &forwarder{scheme: "http"}
	if clientTLS != nil {
		f.scheme = "https"
	}
	f.proxy = &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := pr.In.Context().Value(targetKey{}).(*url.URL)
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, http.StatusBadGateway, CodeNoLeader, "forward to the leader: "+err.Error()+"; retry in a few seconds")
		},
	}
	return f
}

type targetKey struct{}

// leaderOnly runs h on the leader and forwards the request from a follower.
func (s *Server) leaderOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Store.IsLeader() {
			h(w, r)
			return
		}
		addr := s.leaderHTTP()
		if addr == "" || r.Header.Get(forwardedHeader) != "" {
			writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{
				Error: "this node is not the leader and cannot forward (no leader known, or already forwarded); retry in a few seconds",
				Code:  CodeNoLeader, Leader: addr,
			})
			return
		}
		r.Header.Set(forwardedHeader, s.cfg.Store.ID())
		target := &url.URL{Scheme: s.forward.scheme, Host: addr}
		s.forward.proxy.ServeHTTP(w, r.WithContext(contextWith(r, target)))
	}
}

// leaderHTTP returns the leader's API address ("" when unknown).
func (s *Server) leaderHTTP() string {
	id, _ := s.cfg.Store.Leader()
	if id == "" {
		return ""
	}
	return s.httpAddress(id)
}

// httpAddress finds a node's API address: the FSM directory first (nodes
// added through the API), then the configured peers.
func (s *Server) httpAddress(id string) string {
	for _, n := range s.cfg.Store.FSM().Nodes() {
		if n.ID == id && n.HTTPAddress != "" {
			return n.HTTPAddress
		}
	}
	for _, n := range s.cfg.Peers {
		if n.ID == id {
			return n.HTTPAddress
		}
	}
	return ""
}

func contextWith(r *http.Request, target *url.URL) context.Context {
	return context.WithValue(r.Context(), targetKey{}, target)
}

// LeaderHTTP returns the leader's API address as this node knows it.
func (s *Server) LeaderHTTP() string { return s.leaderHTTP() }
