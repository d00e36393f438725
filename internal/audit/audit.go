// Package audit is citadel's one audit path: every state-changing action
// (cluster apply, switchover, failover, rejoin; backup prune and copy;
// restore; ingest loads) records one Record through a Trail, which writes
// it to each of its sinks: a JSON-lines file (the config's audit.path),
// slog, and in the coordinator a raft-backed sink.
//
// Recording never fails the action it describes: a sink that cannot write
// is reported through slog, and the action's own outcome stands.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/user"
	"time"

	"github.com/noscites/citadel/internal/fault"
)

// Outcomes of an action.
const (
	OK      = "ok"
	Failed  = "failed"
	Refused = "refused"
	DryRun  = "dry-run"
)

// Record is one action, as stored. Field names match the coordinator's
// audit records so that a record moves between sinks unchanged.
type Record struct {
	Time       time.Time      `json:"time"`
	Who        string         `json:"who"`
	Action     string         `json:"action"`               // e.g. "cluster.apply", "restore"
	Target     string         `json:"target"`               // the set, storage or namespace acted on
	Parameters map[string]any `json:"parameters,omitempty"` // what was asked, secrets never
	Outcome    string         `json:"outcome"`
	Error      string         `json:"error,omitempty"`
}

// Sink stores records.
type Sink interface {
	Write(ctx context.Context, r Record) error
}

// Trail writes each record to every sink. The zero value and a nil
// *Trail record nothing.
type Trail struct {
	sinks []Sink
	log   *slog.Logger
	who   string
	now   func() time.Time
}

// New returns a trail over sinks, naming the operator (Operator() when
// who is empty); log reports sinks that fail.
func New(log *slog.Logger, who string, sinks ...Sink) *Trail {
	if who == "" {
		who = Operator()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trail{sinks: sinks, log: log, who: who, now: time.Now}
}

// Who is the operator this trail records.
func (t *Trail) Who() string {
	if t == nil {
		return ""
	}
	return t.who
}

// Record writes one action whose result is err (nil: it succeeded).
func (t *Trail) Record(ctx context.Context, action, target string, params map[string]any, err error) {
	t.RecordOutcome(ctx, action, target, params, OutcomeOf(err), err)
}

// RecordOutcome writes one action with an explicit outcome (DryRun, say).
func (t *Trail) RecordOutcome(ctx context.Context, action, target string, params map[string]any, outcome string, err error) {
	if t == nil || len(t.sinks) == 0 {
		return
	}
	r := Record{Time: t.now().UTC(), Who: t.who, Action: action, Target: target, Parameters: params, Outcome: outcome}
	if err != nil {
		r.Error = err.Error()
	}
	for _, s := range t.sinks {
		if werr := s.Write(context.WithoutCancel(ctx), r); werr != nil {
			t.log.Warn("audit record not written", "action", action, "target", target, "err", werr)
		}
	}
}

// OutcomeOf maps an action's error to its outcome.
func OutcomeOf(err error) string {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, fault.ErrRefused):
		return Refused
	}
	return Failed
}

// Operator names the person running citadel: the OS user (and SUDO_USER
// when run through sudo).
func Operator() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" && s != name {
		name = s + " (as " + name + ")"
	}
	if name == "" {
		name = "unknown"
	}
	return name
}

// Marshal is a record's JSON line, without the newline.
func (r Record) Marshal() ([]byte, error) { return json.Marshal(r) }
