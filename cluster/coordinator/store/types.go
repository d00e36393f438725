package store

import (
	"encoding/json"
	"time"
)

// Job is a job definition: what the scheduler runs and when. Kind and Params
// belong to the job layer (a backup, a drill, a prune); the coordinator
// stores them whole and hands them back to the Runner.
type Job struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Schedule string `json:"schedule"`
	// Timezone is an IANA name; "" means the coordinator's default
	// (Europe/Paris).
	Timezone string          `json:"timezone,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	// MaxAttempts bounds the tries within one slot (0: the default).
	MaxAttempts int `json:"max_attempts,omitempty"`
}

// Run states.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
	// RunAbandoned is a run whose holder stopped heartbeating and whose
	// lease another node took over.
	RunAbandoned = "abandoned"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catchup"
	TriggerManual   = "manual"
	TriggerRetry    = "retry"
	TriggerTakeover = "takeover"
)

// Run is one attempt at one slot of one job.
type Run struct {
	ID      string    `json:"id"`
	Job     string    `json:"job"`
	Slot    time.Time `json:"slot"`
	Trigger string    `json:"trigger"`
	Attempt int       `json:"attempt"`
	Who     string    `json:"who,omitempty"`
	State   string    `json:"state"`
	// Holder is the node id that holds the lease; Token is the fencing
	// token the FSM assigned, strictly increasing over the group's life.
	Holder    string    `json:"holder,omitempty"`
	Token     uint64    `json:"token,omitempty"`
	Start     time.Time `json:"start"`
	Heartbeat time.Time `json:"heartbeat,omitempty"`
	// FencedAt is set when the holder passed its fence check: from then on
	// the job may be committing its manifest.
	FencedAt time.Time       `json:"fenced_at,omitempty"`
	End      time.Time       `json:"end,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
	// Category is Error's exit category (usage, verification, refused;
	// "" for a plain failure and in records of older versions).
	Category string `json:"category,omitempty"`
	// Reason says why a run was skipped or abandoned.
	Reason string `json:"reason,omitempty"`
	// Replaces is the token of the abandoned run this one took over.
	Replaces uint64 `json:"replaces,omitempty"`
}

// Finished reports whether the run has ended (any outcome).
func (r *Run) Finished() bool { return r.State != RunRunning }

// JobState is what the FSM keeps per job besides its runs.
type JobState struct {
	// Current is the token of the running run (0: none). Only this token
	// passes a fence check.
	Current uint64 `json:"current,omitempty"`
	// LastSlot is the newest scheduled slot that was started or skipped;
	// a scheduled slot at or before it never runs again.
	LastSlot time.Time `json:"last_slot,omitempty"`
	// LastSuccess is the end time of the newest successful run.
	LastSuccess time.Time `json:"last_success,omitempty"`
	// LastDuration is the duration of the newest successful run.
	LastDuration time.Duration `json:"last_duration,omitempty"`
	Failures     int           `json:"failures,omitempty"`
}

// CatalogEntry is a cached description of one backup, supplied by the job
// layer. The storages stay the truth; Detail is the job layer's own record.
type CatalogEntry struct {
	ID         string          `json:"id"`
	ReplicaSet string          `json:"replica_set"`
	Storage    string          `json:"storage"`
	Time       time.Time       `json:"time"`
	Complete   bool            `json:"complete"`
	Size       int64           `json:"size,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// DrillRecord is one restore drill's outcome.
type DrillRecord struct {
	ID     string          `json:"id"`
	Drill  string          `json:"drill"`
	Start  time.Time       `json:"start"`
	End    time.Time       `json:"end"`
	Passed bool            `json:"passed"`
	RTO    time.Duration   `json:"rto,omitempty"`
	RPO    time.Duration   `json:"rpo,omitempty"`
	Report json.RawMessage `json:"report,omitempty"`
}

// AuditRecord is one state-changing action, append-only.
type AuditRecord struct {
	Seq        uint64          `json:"seq"`
	Time       time.Time       `json:"time"`
	Who        string          `json:"who"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Outcome    string          `json:"outcome"`
	Error      string          `json:"error,omitempty"`
}

// OpTime is a MongoDB timestamp (seconds, increment).
type OpTime struct {
	T uint32 `json:"t"`
	I uint32 `json:"i"`
}

// PITRState is the continuous archiver's position for one replica set.
type PITRState struct {
	ReplicaSet string `json:"replica_set"`
	// Position is the end of the last committed slice; the archiver
	// resumes from there.
	Position OpTime `json:"position"`
	// SliceKey names the last committed slice in the storage.
	SliceKey  string    `json:"slice_key,omitempty"`
	Source    string    `json:"source,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastError is why the archiver last stopped (its source lost, no
	// source to choose), Restarts how many times it was started again.
	LastError string `json:"last_error,omitempty"`
	Restarts  int    `json:"restarts,omitempty"`
}

// NodeInfo is the directory entry of one coordinator node: raft knows ids
// and raft addresses, the API also needs the HTTP address and the site.
type NodeInfo struct {
	ID          string `json:"id"`
	Site        string `json:"site,omitempty"`
	RaftAddress string `json:"raft_address"`
	HTTPAddress string `json:"http_address,omitempty"`
}

// Limits bound the history the FSM keeps. They live in the replicated
// state (set by the leader from its options) so every node trims alike.
type Limits struct {
	RunsPerJob int `json:"runs_per_job"`
	Audit      int `json:"audit"`
	Drills     int `json:"drills"`
}

// DefaultLimits returns the history limits used until the leader sets others.
func DefaultLimits() Limits { return Limits{RunsPerJob: 200, Audit: 10000, Drills: 500} }

// OrDefault fills the zero limits with the defaults.
func (l Limits) OrDefault() Limits {
	d := DefaultLimits()
	if l.RunsPerJob <= 0 {
		l.RunsPerJob = d.RunsPerJob
	}
	if l.Audit <= 0 {
		l.Audit = d.Audit
	}
	if l.Drills <= 0 {
		l.Drills = d.Drills
	}
	return l
}
