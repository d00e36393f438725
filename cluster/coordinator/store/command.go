package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Command types. Each is versioned separately; a node applies the versions
// it knows (knownVersion) and skips the rest, logging each unknown
// type/version once, so a newer leader never crashes an older follower.
const (
	CmdSettingsPut    = "settings.put"
	CmdJobPut         = "job.put"
	CmdJobDelete      = "job.delete"
	CmdLeaseAcquire   = "lease.acquire"
	CmdLeaseHeartbeat = "lease.heartbeat"
	CmdLeaseFence     = "lease.fence"
	CmdRunFinish      = "run.finish"
	CmdRunSkip        = "run.skip"
	CmdCatalogPut     = "catalog.put"
	CmdCatalogDelete  = "catalog.delete"
	CmdDrillPut       = "drill.put"
	CmdAuditAppend    = "audit.append"
	CmdPITRPut        = "pitr.put"
	CmdNodePut        = "node.put"
	CmdNodeDelete     = "node.delete"
)

// knownVersion is the newest version of each command this binary applies.
func knownVersion(typ string) int {
	switch typ {
	case CmdSettingsPut, CmdJobPut, CmdJobDelete, CmdLeaseAcquire, CmdLeaseHeartbeat,
		CmdLeaseFence, CmdRunFinish, CmdRunSkip, CmdCatalogPut, CmdCatalogDelete,
		CmdDrillPut, CmdAuditAppend, CmdPITRPut, CmdNodePut, CmdNodeDelete:
		return 1
	}
	return 0
}

// Command is the envelope of every raft log entry. At is the proposer's
// clock when it proposed: the FSM never reads the clock itself, so every
// node computes the same state from the same log.
type Command struct {
	Type string          `json:"type"`
	V    int             `json:"v"`
	At   time.Time       `json:"at"`
	By   string          `json:"by,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

// Errors an applied command can return; callers test them with errors.Is.
var (
	// ErrUnknownCommand: the type or version is newer than this binary.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrBadCommand: the entry does not decode.
	ErrBadCommand = errors.New("malformed command")
	// ErrFenced: the token is no longer the job's current lease.
	ErrFenced = errors.New("fenced: the lease was taken over or ended")
	// ErrBusy: the job already has a running run.
	ErrBusy = errors.New("job already running")
	// ErrSlotDone: the scheduled slot was already started or skipped.
	ErrSlotDone = errors.New("slot already handled")
	// ErrUnknownJob: no job definition has that name.
	ErrUnknownJob = errors.New("unknown job")
	// ErrNotFound: the node, run or record does not exist.
	ErrNotFound = errors.New("not found")
)

// AcquireBody asks for a job's lease. Replaces, when set, is the token of
// a stale run the caller takes over; the FSM grants it only if that token
// is still current (compare-and-swap), so two nodes never both take over.
type AcquireBody struct {
	Job      string    `json:"job"`
	Slot     time.Time `json:"slot"`
	Trigger  string    `json:"trigger"`
	Holder   string    `json:"holder"`
	Who      string    `json:"who,omitempty"`
	Replaces uint64    `json:"replaces,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// TokenBody names a job's lease by its fencing token.
type TokenBody struct {
	Job   string `json:"job"`
	Token uint64 `json:"token"`
}

// FinishBody ends a run.
type FinishBody struct {
	Job    string          `json:"job"`
	Token  uint64          `json:"token"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	// Category is the error's exit category (fault.CategoryOf), so a CLI
	// waiting on the run exits as the direct command would.
	Category string `json:"category,omitempty"`
}

// SkipBody records a slot that did not run, and why.
type SkipBody struct {
	Job     string    `json:"job"`
	Slot    time.Time `json:"slot"`
	Trigger string    `json:"trigger"`
	Reason  string    `json:"reason"`
}

// CatalogPutBody adds or replaces cached catalog entries. With Replace, every
// cached entry of Storage (and ReplicaSet when set) not in Entries is
// dropped: the cache rebuilt from a listing of the storage.
type CatalogPutBody struct {
	Replace    bool           `json:"replace,omitempty"`
	Storage    string         `json:"storage,omitempty"`
	ReplicaSet string         `json:"replica_set,omitempty"`
	Entries    []CatalogEntry `json:"entries"`
}

// NamesBody lists names or ids.
type NamesBody struct {
	Names []string `json:"names"`
}

// NewCommand encodes body into a command envelope of the current version.
func NewCommand(typ string, at time.Time, by string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return json.Marshal(Command{Type: typ, V: knownVersion(typ), At: at.UTC(), By: by, Body: b})
}

// DecodeCommand reads an envelope. It fails with ErrBadCommand when the
// bytes are not an envelope and ErrUnknownCommand when the type or version
// is not known to this binary; the envelope is returned in both cases when
// it could be read, so the caller can name it.
func DecodeCommand(data []byte) (Command, error) {
	var c Command
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("decode command: %w: %v", ErrBadCommand, err)
	}
	if c.Type == "" || c.V < 1 {
		return c, fmt.Errorf("decode command: %w: missing type or version", ErrBadCommand)
	}
	if known := knownVersion(c.Type); known == 0 || c.V > known {
		return c, fmt.Errorf("decode command %s v%d: %w", c.Type, c.V, ErrUnknownCommand)
	}
	return c, nil
}

// decodeBody reads a command's body into v.
func decodeBody(c Command, v any) error {
	if err := json.Unmarshal(c.Body, v); err != nil {
		return fmt.Errorf("decode %s body: %w: %v", c.Type, ErrBadCommand, err)
	}
	return nil
}
