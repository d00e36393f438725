package api

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// Config configures the API of one node.
type Config struct {
	Store *store.Store
	Sched *sched.Scheduler
	// Token is the shared bearer token. It is compared in constant time
	// and never logged.
	Token string
	// Site and HTTPAddress describe this node in /v1/status.
	Site        string
	HTTPAddress string
	// Peers is the configured node list, used to find a node's HTTP
	// address when the FSM directory does not have it yet.
	Peers []store.NodeInfo
	// ClientTLS, when set, makes forwarded requests use https with it.
	ClientTLS *tls.Config
	Metrics   *Metrics
	Log       *slog.Logger
}

// Server serves the API.
type Server struct {
	cfg     Config
	token   [sha256.Size]byte
	forward *forwarder
	mux     *http.ServeMux

	schedMu   sync.Mutex
	schedules map[string]*sched.Schedule
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// NewServer builds the handler tree.
func NewServer(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, token: sha256.Sum256([]byte(cfg.Token)), mux: http.NewServeMux(), schedules: map[string]*sched.Schedule{}}
	s.forward = newForwarder(cfg.ClientTLS)
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if s.cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", s.cfg.Metrics.Handler())
	}
	read := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.auth(h)) }
	write := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.auth(s.leaderOnly(h))) }
	read("GET /v1/status", s.status)
	read("GET /v1/leader", s.leader)
	read("GET /v1/nodes", s.nodes)
	write("POST /v1/nodes", s.addNode)
	write("DELETE /v1/nodes/{id}", s.removeNode)
	read("GET /v1/jobs", s.jobs)
	write("POST /v1/jobs/{name}/trigger", s.trigger)
	read("GET /v1/jobs/{name}/runs", s.runs)
	read("GET /v1/runs", s.runs)
	read("GET /v1/backups", s.backups)
	write("POST /v1/backups", s.putBackups)
	read("GET /v1/drills", s.drills)
	write("POST /v1/drills", s.putDrill)
	read("GET /v1/audit", s.audit)
	write("POST /v1/audit", s.appendAudit)
	read("GET /v1/pitr", s.pitr)
	write("POST /v1/pitr", s.putPITR)
}

// auth checks the bearer token in constant time (both sides hashed first,
// so not even the length leaks). Nothing about the token is logged.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.validToken(got) {
			s.cfg.Log.Warn("api request refused: missing or wrong token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="citadel"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or wrong bearer token: set the coordinator token (token_env or token_file)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	id, _ := s.cfg.Store.Leader()
	if id == "" {
		writeError(w, http.StatusServiceUnavailable, CodeNoLeader, "no raft leader known to this node")
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorResponse{Error: msg, Code: code})
}

// fail maps a domain error to its HTTP answer.
func (s *Server) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrBusy):
		writeError(w, http.StatusConflict, CodeBusy, err.Error())
	case errors.Is(err, store.ErrUnknownJob), errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, store.ErrNotLeader), errors.Is(err, sched.ErrNotLeading):
		writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Error: err.Error() + "; retry in a few seconds", Code: CodeNoLeader, Leader: s.leaderHTTP()})
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	default:
		s.cfg.Log.Error("api request failed", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
	}
}

var errBadRequest = errors.New("bad request")

// decode reads a JSON body of at most maxBody bytes.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return errors.Join(errBadRequest, err)
	}
	return nil
}

// requestCtx bounds a write: a proposal never outlives its caller.
func requestCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 15*time.Second)
}

// who names the caller of a write (the CLI sends the operator).
func who(r *http.Request) string {
	if v := r.Header.Get("X-Citadel-Who"); v != "" {
		return v
	}
	return "api"
}
