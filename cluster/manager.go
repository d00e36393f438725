package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// Manager runs the I/O side: observation, apply, switchover, failover,
// rejoin. It holds no state beyond its connections.
type Manager struct {
	dial  *Dialer
	log   *slog.Logger
	audit Auditor
	who   string
	now   func() time.Time
	// Poll is the interval of every wait loop.
	Poll time.Duration
	// StepTimeout bounds the wait for one reconfig to commit and for a
	// newly added member to finish its initial sync.
	StepTimeout time.Duration
}

// NewManager returns a manager using d for connections. audit receives one
// entry per change; who names the operator in it.
func NewManager(d *Dialer, log *slog.Logger, audit Auditor, who string) *Manager {
	return &Manager{dial: d, log: log.With("component", "cluster"), audit: audit, who: who, now: time.Now,
		Poll: 250 * time.Millisecond, StepTimeout: 10 * time.Minute}
}

// Close closes the connections.
func (m *Manager) Close(ctx context.Context) error { return m.dial.Close(ctx) }

// AuditEntry is one line of the audit trail: who changed what, when, and
// the config version before and after.
type AuditEntry struct {
	Who           string    `json:"who"`
	When          time.Time `json:"when"`
	Action        string    `json:"action"`
	Set           string    `json:"set"`
	Detail        string    `json:"detail"`
	VersionBefore int       `json:"version_before"`
	VersionAfter  int       `json:"version_after"`
	Outcome       string    `json:"outcome"`
}

// Auditor records audit entries; the slog one writes them to the log, the
// coordinator's will put them in its raft history.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry)
}

// SlogAuditor writes each entry as one structured log line.
type SlogAuditor struct{ Log *slog.Logger }

// Record implements Auditor.
func (a SlogAuditor) Record(ctx context.Context, e AuditEntry) {
	a.Log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("who", e.Who), slog.Time("when", e.When), slog.String("action", e.Action), slog.String("rs", e.Set),
		slog.String("what", e.Detail), slog.Int("version_before", e.VersionBefore), slog.Int("version_after", e.VersionAfter),
		slog.String("outcome", e.Outcome))
}

// record writes one audit entry; err nil means the change succeeded.
func (m *Manager) record(ctx context.Context, action, set, detail string, before, after int, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed: " + err.Error()
	}
	m.audit.Record(ctx, AuditEntry{Who: m.who, When: m.now().UTC(), Action: action, Set: set, Detail: detail,
		VersionBefore: before, VersionAfter: after, Outcome: outcome})
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

// Saver keeps a document somewhere safe (the backup storage, or a local
// directory) and says where.
type Saver interface {
	Save(ctx context.Context, key string, data []byte) (string, error)
}

// DirSaver saves into a local directory.
type DirSaver struct{ Dir string }

// Save writes Dir/key (directories created, mode 0600) and returns its path.
func (s DirSaver) Save(_ context.Context, key string, data []byte) (string, error) {
	path := filepath.Join(s.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save %s: %w", key, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("save %s: %w", key, err)
	}
	return path, nil
}

// waitFor polls cond every m.Poll until it returns true, an error, or the
// timeout passes; what names the wait in the timeout error.
func (m *Manager) waitFor(ctx context.Context, timeout time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(m.Poll)
	defer t.Stop()
	for {
		ok, err := cond(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("wait for %s: %w: still not done after %s", what, ErrTimeout, timeout)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}
