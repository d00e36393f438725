// Package control is mongosim's fault-injection API over HTTP:
//
//	POST /members/{host}/stop      POST /members/{host}/start
//	POST /members/{host}/lag       {"lag": "2s"}
//	POST /members/{host}/pause     POST /members/{host}/resume
//	POST /partition                {"groups": [["h1","h2"],["h3"]]}
//	POST /heal
//	GET  /state                    per member: up, state, optime, partition group
package control

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/noscites/citadel/internal/mongosim"
)

// Sim is what the HTTP face drives (a *mongosim.Sim).
type Sim interface {
	Stop(host string) error
	Start(host string) error
	Partition(groups ...[]string) error
	Heal()
	SetLag(host string, d time.Duration) error
	PauseReplication(host string) error
	ResumeReplication(host string) error
	State() []mongosim.MemberState
}

// Handler returns the HTTP handler of the control API.
func Handler(s Sim) http.Handler {
	mux := http.NewServeMux()
	member := func(f func(string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { reply(w, f(r.PathValue("host"))) }
	}
	mux.HandleFunc("POST /members/{host}/stop", member(s.Stop))
	mux.HandleFunc("POST /members/{host}/start", member(s.Start))
	mux.HandleFunc("POST /members/{host}/pause", member(s.PauseReplication))
	mux.HandleFunc("POST /members/{host}/resume", member(s.ResumeReplication))
	mux.HandleFunc("POST /members/{host}/lag", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Lag string `json:"lag"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			badRequest(w, err)
			return
		}
		d, err := time.ParseDuration(body.Lag)
		if err != nil {
			badRequest(w, err)
			return
		}
		reply(w, s.SetLag(r.PathValue("host"), d))
	})
	mux.HandleFunc("POST /partition", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Groups [][]string `json:"groups"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			badRequest(w, err)
			return
		}
		reply(w, s.Partition(body.Groups...))
	})
	mux.HandleFunc("POST /heal", func(w http.ResponseWriter, _ *http.Request) {
		s.Heal()
		reply(w, nil)
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"members": s.State()})
	})
	return mux
}

func reply(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	case errors.Is(err, mongosim.ErrUnknownHost):
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": err.Error()})
	default:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"ok": false, "error": err.Error()})
	}
}

func badRequest(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
