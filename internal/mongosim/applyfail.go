package mongosim

import (
	"context"
	"fmt"
	"time"

	"github.com/noscites/citadel/internal/mongosim/replset"
)

// When a secondary cannot apply an entry (mongod would fassert and stop),
// the applier retries with a backoff instead of at once, logs each distinct
// failure once and then a count, names the entry and the error in
// replSetGetStatus, and after applyRecoverAfter attempts moves the member
// to RECOVERING, so that the driver and an operator see that it is not
// applying. The first success clears all of it.
const (
	applyRetryMin     = 50 * time.Millisecond
	applyRetryMax     = 2 * time.Second
	applyRecoverAfter = 3
	applyLogEvery     = time.Minute
)

// applyFailure is the failure the applier is retrying; guarded by set.mu.
type applyFailure struct {
	msg        string // the error, naming the entry
	since      time.Time
	attempts   int
	loggedAt   time.Time
	recovering bool // the applier moved the member to RECOVERING
}

// applyFailed records a failed batch and returns how long to wait before
// the next attempt.
func (m *Member) applyFailed(err error) time.Duration {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	now, msg := m.set.now(), err.Error()
	f := m.applyFail
	if f == nil || f.msg != msg {
		m.lg.Warn("cannot apply oplog entries; retrying with backoff", "err", msg)
		f = &applyFailure{msg: msg, since: now, loggedAt: now, recovering: f != nil && f.recovering}
		m.applyFail = f
	}
	f.attempts++
	if now.Sub(f.loggedAt) >= applyLogEvery {
		m.lg.Warn("still cannot apply oplog entries", "err", msg, "attempts", f.attempts, "since", f.since)
		f.loggedAt = now
	}
	if f.attempts >= applyRecoverAfter && !f.recovering && m.node().State == replset.Secondary {
		m.set.rs.SetState(m.host, replset.Recovering)
		f.recovering = true
		m.set.notifyLocked()
		m.set.refreshTopologyLocked()
	}
	return min(applyRetryMax, applyRetryMin<<min(f.attempts-1, 10))
}

// applyRecoveredLocked clears a recorded failure after a batch applied.
func (m *Member) applyRecoveredLocked() {
	f := m.applyFail
	if f == nil {
		return
	}
	m.applyFail = nil
	m.lg.Info("applying oplog entries again", "attempts", f.attempts, "after", m.set.now().Sub(f.since).Round(time.Millisecond))
	if f.recovering && m.node().State == replset.Recovering {
		m.set.rs.SetState(m.host, replset.Secondary)
		m.set.refreshTopologyLocked()
	}
}

// applyMessageLocked is the failure as replSetGetStatus shows it, "" when
// the member applies normally.
func (m *Member) applyMessageLocked() string {
	f := m.applyFail
	if f == nil {
		return ""
	}
	return fmt.Sprintf("cannot apply oplog entries since %s (%d attempts): %s", f.since.UTC().Format(time.RFC3339), f.attempts, f.msg)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
