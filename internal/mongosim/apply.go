package mongosim

import (
	"context"
	"time"

	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
)

// Batch limits of one applier round.
const (
	maxBatchEntries = 5000
	maxBatchBytes   = 8 << 20
)

type applyAction int

const (
	actWait applyAction = iota
	actApply
	actRollback
)

// applyLoop is a member's replication: fetch from the sync source, apply
// in batches, roll back when the source's history diverged.
func (m *Member) applyLoop(ctx context.Context) {
	for ctx.Err() == nil {
		act, src, batch, ch := m.nextBatch()
		switch act {
		case actApply:
			if err := m.applyBatch(ctx, batch); err != nil && ctx.Err() == nil {
				sleep(ctx, m.applyFailed(err))
			}
		case actRollback:
			if err := m.rollback(ctx, src); err != nil {
				m.lg.Warn("rollback failed", "source", src.host, "err", err)
				wait(ctx, ch, time.Now().Add(200*time.Millisecond))
			}
		default:
			wait(ctx, ch, time.Now().Add(100*time.Millisecond))
		}
	}
}

// nextBatch decides the applier's next step under the set lock.
func (m *Member) nextBatch() (applyAction, *Member, []*oplog.Entry, <-chan struct{}) {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	ch := m.set.changed
	n := m.node()
	if !n.Up || m.paused || m.arbiter() || (n.State != replset.Secondary && n.State != replset.Startup2 && n.State != replset.Recovering) {
		return actWait, nil, nil, ch
	}
	srcHost := m.set.rs.SyncSource(m.host)
	if srcHost == "" {
		return actWait, nil, nil, ch
	}
	src := m.set.byHost[srcHost]
	last := m.log.Last()
	if !src.log.Contains(last) {
		if first := src.log.First(); first != nil && last.Less(first.OpTime) && m.log.Len() > 0 {
			m.lg.Warn("too stale to sync: source oplog starts after our last entry", "source", srcHost)
			return actWait, nil, nil, ch
		}
		return actRollback, src, nil, ch
	}
	delay := m.lag
	if self := n.Self(); self != nil {
		delay = max(delay, time.Duration(self.SecondaryDelaySecs)*time.Second)
	}
	cutoff := m.set.now().Add(-delay)
	var batch []*oplog.Entry
	size := 0
	for i := src.log.After(last); i < src.log.Len() && len(batch) < maxBatchEntries && size < maxBatchBytes; i++ {
		e := src.log.At(i)
		if delay > 0 && e.Wall.After(cutoff) {
			break
		}
		batch = append(batch, e)
		size += len(e.Raw)
	}
	if len(batch) == 0 {
		if n.State == replset.Startup2 && last == src.log.Last() {
			m.set.rs.SetState(m.host, replset.Secondary)
			m.set.notifyLocked()
		}
		return actWait, nil, nil, ch
	}
	return actApply, src, batch, ch
}

// applyBatch applies entries to FerretDB then appends them to the oplog.
func (m *Member) applyBatch(ctx context.Context, batch []*oplog.Entry) error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	m.set.mu.Lock()
	ok := batch[0].OpTime.TS.After(m.log.Last().TS) && m.node().State != replset.Primary
	m.set.mu.Unlock()
	if !ok {
		return nil
	}
	if err := m.applyEntries(ctx, batch); err != nil {
		return err
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	m.applyRecoveredLocked()
	if m.node().State == replset.Primary {
		return nil
	}
	for _, e := range batch {
		m.appendLocked(e)
	}
	m.set.notifyLocked()
	return nil
}

// becomePrimary finishes an election: catch up from any reachable member of
// its config further along the same history, log "new primary", accept
// writes.
func (m *Member) becomePrimary(ctx context.Context, term int64) {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	m.set.mu.Lock()
	var extra []*oplog.Entry
	last := m.log.Last()
	cfg := m.node().Config
	for _, o := range m.set.members {
		if o == m || cfg.Member(o.host) == nil || !m.set.rs.Reachable(m.host, o.host) || o.arbiter() || !o.log.Contains(last) {
			continue
		}
		if i := o.log.After(last); o.log.Len()-i > len(extra) {
			extra = nil
			for ; i < o.log.Len(); i++ {
				extra = append(extra, o.log.At(i))
			}
		}
	}
	m.set.mu.Unlock()
	if len(extra) > 0 {
		if err := m.applyEntries(ctx, extra); err != nil {
			m.lg.Warn("primary catch-up", "err", err)
			extra = nil
		}
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	n := m.node()
	if n.State != replset.Primary || n.Term != term {
		return
	}
	for _, e := range extra {
		m.appendLocked(e)
	}
	op := m.nextOpTimeLocked(term)
	m.appendLocked(oplog.Build(oplog.Spec{Op: 'n', O: mustMarshal(map[string]string{"msg": "new primary"})}, op, m.set.now()))
	m.writable = true
	m.set.notifyLocked()
	m.set.refreshTopologyLocked()
}
