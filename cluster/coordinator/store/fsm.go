package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/hashicorp/raft"
)

// stateFormat is the version of the snapshot encoding.
const stateFormat = 1

// state is everything the FSM replicates. It is also the snapshot's JSON.
type state struct {
	Format    int                      `json:"format"`
	Limits    Limits                   `json:"limits"`
	NextToken uint64                   `json:"next_token"`
	AuditSeq  uint64                   `json:"audit_seq"`
	Jobs      map[string]*Job          `json:"jobs"`
	JobStates map[string]*JobState     `json:"job_states"`
	Runs      map[string][]*Run        `json:"runs"`
	Catalog   map[string]*CatalogEntry `json:"catalog"`
	Drills    []*DrillRecord           `json:"drills"`
	Audit     []*AuditRecord           `json:"audit"`
	PITR      map[string]*PITRState    `json:"pitr"`
	Nodes     map[string]*NodeInfo     `json:"nodes"`
}

func newState() *state {
	return &state{
		Format: stateFormat, Limits: DefaultLimits(),
		Jobs: map[string]*Job{}, JobStates: map[string]*JobState{}, Runs: map[string][]*Run{},
		Catalog: map[string]*CatalogEntry{}, PITR: map[string]*PITRState{}, Nodes: map[string]*NodeInfo{},
	}
}

// fill gives a decoded state its empty maps back (JSON null decodes to nil).
func (s *state) fill() {
	if s.Jobs == nil {
		s.Jobs = map[string]*Job{}
	}
	if s.JobStates == nil {
		s.JobStates = map[string]*JobState{}
	}
	if s.Runs == nil {
		s.Runs = map[string][]*Run{}
	}
	if s.Catalog == nil {
		s.Catalog = map[string]*CatalogEntry{}
	}
	if s.PITR == nil {
		s.PITR = map[string]*PITRState{}
	}
	if s.Nodes == nil {
		s.Nodes = map[string]*NodeInfo{}
	}
	s.Limits = s.Limits.OrDefault()
	// A damaged snapshot may hold nulls: drop them rather than crash later.
	dropNil(s.Jobs)
	dropNil(s.JobStates)
	dropNil(s.Catalog)
	dropNil(s.PITR)
	dropNil(s.Nodes)
	for job, runs := range s.Runs {
		s.Runs[job] = slices.DeleteFunc(runs, func(r *Run) bool { return r == nil })
	}
	s.Drills = slices.DeleteFunc(s.Drills, func(d *DrillRecord) bool { return d == nil })
	s.Audit = slices.DeleteFunc(s.Audit, func(a *AuditRecord) bool { return a == nil })
}

func dropNil[V any](m map[string]*V) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

// Result is what Apply returns to the proposer: the run a lease command
// created or changed, or the reason it was refused.
type Result struct {
	Run *Run
	Err error
}

// FSM is the replicated state machine. Apply is deterministic: it reads
// only the log entry (the proposer's clock travels in the command).
type FSM struct {
	log *slog.Logger

	mu sync.RWMutex
	st *state
	// changed is closed and replaced on every applied command, so readers
	// can wait for the state to move without polling.
	changed chan struct{}

	warnMu sync.Mutex
	warned map[string]bool
}

// NewFSM returns an empty state machine.
func NewFSM(log *slog.Logger) *FSM {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FSM{log: log, st: newState(), changed: make(chan struct{}), warned: map[string]bool{}}
}

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) any {
	return f.ApplyCommand(l.Data)
}

// ApplyCommand applies one encoded command (raft's Apply calls it; tests
// call it directly for the pure state transitions).
func (f *FSM) ApplyCommand(data []byte) *Result {
	c, err := DecodeCommand(data)
	if err != nil {
		f.warnOnce(c, err)
		return &Result{Err: err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.dispatch(c)
	if res.Err != nil && errors.Is(res.Err, ErrBadCommand) {
		f.warnOnce(c, res.Err)
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return res
}

// warnOnce logs a skipped command once per type and version.
func (f *FSM) warnOnce(c Command, err error) {
	key := fmt.Sprintf("%s/v%d", c.Type, c.V)
	f.warnMu.Lock()
	seen := f.warned[key]
	f.warned[key] = true
	f.warnMu.Unlock()
	if !seen {
		f.log.Warn("skipping raft command this binary does not apply (logged once per type and version)",
			"type", c.Type, "version", c.V, "err", err)
	}
}

// Changed returns a channel closed at the next applied command.
func (f *FSM) Changed() <-chan struct{} {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.changed
}

// Snapshot implements raft.FSM: the state is encoded under the read lock
// (it is bounded by Limits) and written out by Persist without it.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	data, err := encodeState(f.st)
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{data: data}, nil
}

// Restore implements raft.FSM: the state is replaced whole.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	st, err := decodeState(rc)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.st = st
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	return nil
}
