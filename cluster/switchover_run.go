package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/noscites/citadel/config"
)

// SwitchoverReport is the outcome of a switchover.
type SwitchoverReport struct {
	Plan          *SwitchoverPlan `json:"plan"`
	NewPrimary    string          `json:"new_primary"`
	Took          Seconds         `json:"took_seconds"`
	WithinBound   bool            `json:"within_bound"`
	Probe         ProbeResult     `json:"probe"`
	VersionBefore int             `json:"version_before"`
	VersionAfter  int             `json:"version_after"`
}

// Switchover moves the primary to a member of toSite: preflight (refusals
// are exit 4), freeze the members that must not win, step the primary down
// (it waits up to catchUp for the target to catch up), wait for the target
// to win, then set the priorities that keep it there. A probe writer
// measures the write-unavailability window throughout.
//
// It writes one audit record, whatever the outcome (refusals included).
func (m *Manager) Switchover(ctx context.Context, rs *config.ReplicaSet, toSite string, catchUp time.Duration) (rep *SwitchoverReport, err error) {
	var sp *SwitchoverPlan
	defer func() { m.record(ctx, ActionSwitchover, rs.Name, switchoverParams(toSite, catchUp, sp, rep), err) }()
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	sp, err = PrepareSwitchover(st, rs, toSite, catchUp)
	if err != nil {
		return nil, err
	}
	rep = &SwitchoverReport{Plan: sp, NewPrimary: sp.Target, VersionBefore: st.Config.Version, VersionAfter: st.Config.Version}
	if sp.AlreadyThere {
		return rep, nil
	}
	client, err := m.dial.Set(*rs)
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	probe := startProbe(ctx, client, "switchover", 50*time.Millisecond)
	start := m.now()
	err = m.switchPrimary(ctx, rs, st, sp)
	rep.Took = Seconds(m.now().Sub(start))
	rep.WithinBound = rep.Took <= sp.Bound
	if err == nil {
		rep.VersionAfter, err = m.stick(ctx, rs, sp)
	}
	rep.Probe = probe.Stop()
	return rep, err
}

// switchoverParams are the switchover's audit parameters: what was asked
// and, once planned and run, what it did.
func switchoverParams(toSite string, catchUp time.Duration, sp *SwitchoverPlan, rep *SwitchoverReport) map[string]any {
	p := map[string]any{"to_site": toSite, "catch_up": catchUp.String()}
	if sp != nil {
		p["primary_before"], p["target"], p["already_there"] = sp.Primary, sp.Target, sp.AlreadyThere
	}
	if rep != nil {
		p["version_before"], p["version_after"] = rep.VersionBefore, rep.VersionAfter
		p["took_seconds"], p["write_unavailable_seconds"] = rep.Took.D().Seconds(), rep.Probe.Unavailable.D().Seconds()
	}
	return p
}

// switchPrimary freezes, steps down and waits for the target.
func (m *Manager) switchPrimary(ctx context.Context, rs *config.ReplicaSet, st *State, sp *SwitchoverPlan) error {
	et := electionTimeout(st.Config)
	freeze := stepDownPeriod(sp.CatchUp.D(), et) + 20*time.Second
	var frozen []string
	for _, h := range sp.Freeze {
		if err := m.dial.replSetFreeze(ctx, h, freeze); err != nil {
			m.unfreeze(context.WithoutCancel(ctx), frozen)
			return fmt.Errorf("freeze %s so it cannot win: %w", h, err)
		}
		frozen = append(frozen, h)
	}
	m.log.Info("stepping down", "primary", sp.Primary, "target", sp.Target, "frozen", frozen)
	err := m.dial.replSetStepDown(ctx, sp.Primary, stepDownPeriod(sp.CatchUp.D(), et), sp.CatchUp.D())
	if err != nil {
		m.unfreeze(context.WithoutCancel(ctx), frozen)
		if notCaughtUp(err) {
			return fmt.Errorf("%w: %s did not step down: %s did not catch up within --catch-up %s: %w", ErrNotCaughtUp, sp.Primary, sp.Target, sp.CatchUp.D(), err)
		}
		return fmt.Errorf("replSetStepDown on %s: %w", sp.Primary, err)
	}
	err = m.waitFor(ctx, sp.Bound.D()+et, sp.Target+" to become primary", func(ctx context.Context) (bool, error) {
		h, err := m.dial.hello(ctx, sp.Target)
		return err == nil && h.IsWritablePrimary, nil
	})
	if err != nil {
		m.unfreeze(context.WithoutCancel(ctx), frozen)
		return fmt.Errorf("%w; check citadel cluster status", err)
	}
	// The members stay frozen until the new priorities hold the choice.
	sp.Freeze = frozen
	return nil
}

// stick sets the switchover's priorities on the new primary, then unfreezes
// the frozen members and the old primary (replSetFreeze 0 also ends a
// step-down period, so a switch back can start at once).
func (m *Manager) stick(ctx context.Context, rs *config.ReplicaSet, sp *SwitchoverPlan) (int, error) {
	defer m.unfreeze(context.WithoutCancel(ctx), sp.Freeze)
	// A new primary first commits the config in its own term.
	r, err := m.committedConfig(ctx, sp.Target)
	if err != nil {
		return 0, err
	}
	next := WithPriorities(r.Config, sp.Priorities)
	version := r.Config.Version
	if !sameMembers(next, r.Config) {
		err = m.dial.replSetReconfig(ctx, sp.Target, next, false, m.StepTimeout)
		m.changed("reconfig", rs.Name, "switchover priorities: "+priorityList(next), r.Config.Version, next.Version, err)
		if err != nil {
			return version, fmt.Errorf("set priorities on %s (the old primary may take over again when its step-down ends): %w", sp.Target, err)
		}
		version = next.Version
	}
	m.unfreeze(context.WithoutCancel(ctx), []string{sp.Primary})
	return version, nil
}

func priorityList(c *Config) string {
	s := ""
	for i, mc := range c.Members {
		if i > 0 {
			s += ", "
		}
		s += mc.Host + "=" + formatPriority(mc.Priority)
	}
	return s
}

// committedConfig waits until the primary at host reports its config
// committed and returns it.
func (m *Manager) committedConfig(ctx context.Context, host string) (getConfigReply, error) {
	var r getConfigReply
	err := m.waitFor(ctx, m.StepTimeout, "the config of "+host+" to commit", func(ctx context.Context) (bool, error) {
		var err error
		r, err = m.dial.replSetGetConfig(ctx, host, true)
		if err != nil {
			return false, fmt.Errorf("read config on new primary %s: %w", host, err)
		}
		return r.CommitmentStatus == nil || *r.CommitmentStatus, nil
	})
	return r, err
}
