package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, StatusResponse{
		Status: s.cfg.Store.Status(), Site: s.cfg.Site, HTTPAddress: s.cfg.HTTPAddress, LeaderHTTP: s.leaderHTTP(),
	})
}

func (s *Server) leader(w http.ResponseWriter, r *http.Request) {
	id, addr := s.cfg.Store.Leader()
	if id == "" {
		s.fail(w, store.ErrNotLeader)
		return
	}
	writeJSON(w, http.StatusOK, LeaderResponse{ID: id, RaftAddress: addr, HTTPAddress: s.httpAddress(id)})
}

func (s *Server) nodes(w http.ResponseWriter, r *http.Request) {
	servers, err := s.cfg.Store.Servers()
	if err != nil {
		s.fail(w, err)
		return
	}
	dir := map[string]store.NodeInfo{}
	for _, n := range s.cfg.Peers {
		dir[n.ID] = n
	}
	for _, n := range s.cfg.Store.FSM().Nodes() {
		dir[n.ID] = n
	}
	leader, _ := s.cfg.Store.Leader()
	out := make([]NodeView, 0, len(servers))
	for _, srv := range servers {
		n := dir[srv.ID]
		out = append(out, NodeView{ID: srv.ID, Site: n.Site, RaftAddress: srv.Address, HTTPAddress: n.HTTPAddress, Voter: srv.Voter, Leader: srv.ID == leader})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addNode(w http.ResponseWriter, r *http.Request) {
	var n store.NodeInfo
	if err := decode(r, &n); err != nil {
		s.fail(w, err)
		return
	}
	if n.ID == "" || n.RaftAddress == "" {
		s.fail(w, fmt.Errorf("%w: a node needs an id and a raft_address", errBadRequest))
		return
	}
	ctx, cancel := requestCtx(r)
	defer cancel()
	if err := s.cfg.Store.AddNonvoter(ctx, n); err != nil {
		s.fail(w, err)
		return
	}
	s.cfg.Log.Info("node added as non-voter; promoted once caught up", "node", n.ID, "by", who(r))
	writeJSON(w, http.StatusAccepted, n)
}

func (s *Server) removeNode(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := requestCtx(r)
	defer cancel()
	if err := s.cfg.Store.Remove(ctx, r.PathValue("id")); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	fsm := s.cfg.Store.FSM()
	jobs := fsm.Jobs()
	out := make([]JobView, 0, len(jobs))
	now := time.Now()
	for _, j := range jobs {
		v := JobView{Job: j, State: fsm.JobState(j.Name)}
		if cur, ok := fsm.Current(j.Name); ok {
			v.Current = &cur
		}
		if sch, err := s.schedule(j); err == nil {
			v.Next = sch.Next(now)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) trigger(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Sched == nil {
		s.fail(w, sched.ErrNotLeading)
		return
	}
	ctx, cancel := requestCtx(r)
	defer cancel()
	run, err := s.cfg.Sched.Trigger(ctx, r.PathValue("name"), who(r))
	if err != nil {
		if run.ID != "" {
			writeJSON(w, http.StatusConflict, ErrorResponse{Error: err.Error(), Code: CodeBusy, Run: &run})
			return
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, run)
}

func limitOf(r *http.Request, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		return n
	}
	return def
}

func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Store.FSM().Runs(r.PathValue("name"), limitOf(r, 100)))
}

func (s *Server) backups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.cfg.Store.FSM().Catalog(q.Get("replica_set"), q.Get("storage")))
}

func (s *Server) drills(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Store.FSM().Drills(r.URL.Query().Get("name"), limitOf(r, 100)))
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: since %q is not an RFC 3339 time", errBadRequest, v))
			return
		}
		since = t
	}
	writeJSON(w, http.StatusOK, s.cfg.Store.FSM().Audit(since, q.Get("action"), limitOf(r, 100)))
}

func (s *Server) pitr(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Store.FSM().PITR())
}

// propose decodes a body and commits it with one store call.
func propose[T any](s *Server, w http.ResponseWriter, r *http.Request, apply func(*Server, *http.Request, T) error) {
	var body T
	if err := decode(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	if err := apply(s, r, body); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) putBackups(w http.ResponseWriter, r *http.Request) {
	propose(s, w, r, func(s *Server, r *http.Request, b store.CatalogPutBody) error {
		ctx, cancel := requestCtx(r)
		defer cancel()
		return s.cfg.Store.PutCatalog(ctx, b)
	})
}

func (s *Server) putDrill(w http.ResponseWriter, r *http.Request) {
	propose(s, w, r, func(s *Server, r *http.Request, d store.DrillRecord) error {
		ctx, cancel := requestCtx(r)
		defer cancel()
		return s.cfg.Store.PutDrill(ctx, d)
	})
}

func (s *Server) appendAudit(w http.ResponseWriter, r *http.Request) {
	propose(s, w, r, func(s *Server, r *http.Request, a store.AuditRecord) error {
		if a.Action == "" {
			return fmt.Errorf("%w: an audit record needs an action", errBadRequest)
		}
		if a.Who == "" {
			a.Who = who(r)
		}
		ctx, cancel := requestCtx(r)
		defer cancel()
		return s.cfg.Store.AppendAudit(ctx, a)
	})
}

func (s *Server) putPITR(w http.ResponseWriter, r *http.Request) {
	propose(s, w, r, func(s *Server, r *http.Request, p store.PITRState) error {
		if p.ReplicaSet == "" {
			return fmt.Errorf("%w: a PITR state needs a replica_set", errBadRequest)
		}
		ctx, cancel := requestCtx(r)
		defer cancel()
		return s.cfg.Store.PutPITR(ctx, p)
	})
}

// schedule parses a job's schedule once per expression and zone: loading a
// time zone reads the zone database, too slow to do per request.
func (s *Server) schedule(j store.Job) (*sched.Schedule, error) {
	key := j.Schedule + "\x00" + j.Timezone
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	if sch, ok := s.schedules[key]; ok {
		return sch, nil
	}
	sch, err := sched.ParseSchedule(j.Schedule, j.Timezone)
	if err != nil {
		return nil, err
	}
	if len(s.schedules) > 1024 {
		clear(s.schedules)
	}
	s.schedules[key] = sch
	return sch, nil
}
