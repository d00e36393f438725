package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/noscites/citadel/internal/audit"
)

// Manager runs the I/O side: observation, apply, switchover, failover,
// rejoin. It holds no state beyond its connections.
type Manager struct {
	dial  *Dialer
	log   *slog.Logger
	audit *audit.Trail
	now   func() time.Time
	// Poll is the interval of every wait loop.
	Poll time.Duration
	// StepTimeout bounds the wait for one reconfig to commit and for a
	// newly added member to finish its initial sync.
	StepTimeout time.Duration
}

// NewManager returns a manager using d for connections. trail receives
// one record per action (apply of one set, switchover, failover, rejoin);
// nil records nothing.
func NewManager(d *Dialer, log *slog.Logger, trail *audit.Trail) *Manager {
	return &Manager{dial: d, log: log.With("component", "cluster"), audit: trail, now: time.Now,
		Poll: 250 * time.Millisecond, StepTimeout: 10 * time.Minute}
}

// Close closes the connections.
func (m *Manager) Close(ctx context.Context) error { return m.dial.Close(ctx) }

// Audited actions, as recorded in the audit trail.
const (
	ActionApply      = "cluster.apply"
	ActionSwitchover = "cluster.switchover"
	ActionFailover   = "cluster.failover"
	ActionRejoin     = "cluster.rejoin"
)

// record writes the one audit record of an action on set; err nil means
// it succeeded. params says what was asked and what changed, with the
// config versions before and after.
func (m *Manager) record(ctx context.Context, action, set string, params map[string]any, err error) {
	m.audit.Record(ctx, action, set, params, err)
}

// changed logs one change an action made (each reconfig, step-down,
// initiate), for the operator following along; the action's audit record
// sums them up.
func (m *Manager) changed(what, set, detail string, before, after int, err error) {
	m.log.Info(what, "rs", set, "what", detail, "version_before", before, "version_after", after, "err", err)
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
