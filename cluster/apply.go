package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/noscites/citadel/config"
)

// StepResult is what applying one step did.
type StepResult struct {
	Step          Step    `json:"step"`
	VersionBefore int     `json:"version_before"`
	VersionAfter  int     `json:"version_after"`
	SteppedDown   string  `json:"stepped_down,omitempty"`
	Took          Seconds `json:"took_seconds"`
}

// ErrDrift means the live config changed under a running apply.
var ErrDrift = errors.New("the live config changed during apply")

// applySteps executes the steps one at a time. Before each reconfig it
// waits for the previous config to be committed and for newly added members
// to finish their initial sync, checks that the live members are what the
// plan expected, and steps the primary down first when the step makes it
// unelectable. progress is called after each step (it may be nil). The
// callers (ApplySets, Rejoin) write the action's audit record.
func (m *Manager) applySteps(ctx context.Context, rs *config.ReplicaSet, steps []Step, progress func(StepResult)) ([]StepResult, error) {
	var out []StepResult
	var prev *Config
	for i, s := range steps {
		start := m.now()
		res, err := m.applyStep(ctx, rs, s, prev)
		res.Step, res.Took = s, Seconds(m.now().Sub(start))
		if err != nil {
			return out, fmt.Errorf("apply step %d of %d (%s): %w", i+1, len(steps), s.Summary, err)
		}
		if s.Config != nil {
			prev = s.Config
		}
		out = append(out, res)
		if progress != nil {
			progress(res)
		}
	}
	return out, nil
}

func (m *Manager) applyStep(ctx context.Context, rs *config.ReplicaSet, s Step, prev *Config) (StepResult, error) {
	switch s.Kind {
	case StepInitiate:
		return m.initiate(ctx, rs, s)
	case StepDefaultWriteConcern:
		st, err := m.settled(ctx, rs)
		if err != nil {
			return StepResult{}, err
		}
		err = m.dial.setDefaultWriteConcern(ctx, st.Primary, s.WriteConcern)
		m.changed("set-default-write-concern", rs.Name, s.Summary, st.Config.Version, st.Config.Version, err)
		if err != nil {
			return StepResult{}, fmt.Errorf("setDefaultRWConcern on %s: %w", st.Primary, err)
		}
		return StepResult{VersionBefore: st.Config.Version, VersionAfter: st.Config.Version}, nil
	case StepReconfig:
		return m.reconfig(ctx, rs, s, prev)
	}
	return StepResult{}, fmt.Errorf("unknown step kind %q", s.Kind)
}

func (m *Manager) initiate(ctx context.Context, rs *config.ReplicaSet, s Step) (StepResult, error) {
	err := m.dial.replSetInitiate(ctx, s.Host, s.Config)
	m.changed("initiate", rs.Name, s.Summary, 0, s.Config.Version, err)
	if err != nil {
		return StepResult{}, fmt.Errorf("replSetInitiate on %s: %w", s.Host, err)
	}
	err = m.waitFor(ctx, m.StepTimeout, "a primary and every member healthy", func(ctx context.Context) (bool, error) {
		st, err := m.Observe(ctx, rs)
		return err == nil && st.Primary != "" && allHealthy(st), err
	})
	return StepResult{VersionBefore: 0, VersionAfter: s.Config.Version}, err
}

// settled waits until there is a primary, its config is committed and no
// member is still newly added, and returns that state.
func (m *Manager) settled(ctx context.Context, rs *config.ReplicaSet) (*State, error) {
	var st *State
	err := m.waitFor(ctx, m.StepTimeout, "the config to commit and new members to finish initial sync", func(ctx context.Context) (bool, error) {
		var err error
		st, err = m.Observe(ctx, rs)
		if err != nil {
			return false, err
		}
		return st.Primary != "" && st.Config != nil && (st.Committed == nil || *st.Committed) && !anyNewlyAdded(st.Config), nil
	})
	switch {
	case err == nil || st == nil:
	case st.Primary == "":
		return nil, fmt.Errorf("%w: set %s lost its primary: %w", ErrNoPrimary, rs.Name, err)
	case len(pendingMembers(st)) > 0:
		err = fmt.Errorf("%w; still newly added: %s (check that the primary reaches them; rerun citadel cluster apply to continue)",
			err, strings.Join(pendingMembers(st), ", "))
	}
	return st, err
}

// pendingMembers lists the members still newly added, with their state.
func pendingMembers(st *State) []string {
	var out []string
	for _, m := range st.Config.Members {
		if m.IsNewlyAdded() {
			state := "unknown"
			if ms := st.Member(m.Host); ms != nil && ms.State != "" {
				state = ms.State
			}
			out = append(out, m.Host+" ("+state+")")
		}
	}
	return out
}

func (m *Manager) reconfig(ctx context.Context, rs *config.ReplicaSet, s Step, prev *Config) (StepResult, error) {
	st, err := m.settled(ctx, rs)
	if err != nil {
		return StepResult{}, err
	}
	if prev != nil && !sameMembers(st.Config, prev) {
		return StepResult{}, fmt.Errorf("%w: version %d on %s is not what the previous step left; run citadel cluster plan again", ErrDrift, st.Config.Version, st.Primary)
	}
	res := StepResult{VersionBefore: st.Config.Version}
	next := s.Config.Clone()
	next.Version, next.Term = st.Config.Version+1, 0
	if pm := next.Member(st.Primary); pm == nil || !pm.Electable() {
		heir, frozen, err := m.handOver(ctx, rs, st, next, s.NewPrimary)
		defer m.unfreeze(context.WithoutCancel(ctx), frozen)
		if err != nil {
			return res, err
		}
		res.SteppedDown = st.Primary
		if st, err = m.settled(ctx, rs); err != nil {
			return res, err
		}
		if !sameHost(st.Primary, heir) {
			m.log.Warn("another member won the election", "expected", heir, "primary", st.Primary)
		}
		next.Version = st.Config.Version + 1
	}
	err = m.dial.replSetReconfig(ctx, st.Primary, next, false, m.StepTimeout)
	m.changed("reconfig", rs.Name, s.Summary, st.Config.Version, next.Version, err)
	if err != nil {
		return res, fmt.Errorf("replSetReconfig to version %d on %s: %w", next.Version, st.Primary, err)
	}
	res.VersionAfter = next.Version
	_, err = m.settled(ctx, rs)
	return res, err
}

// handOver steps the primary down so a member electable in next wins: the
// other electable secondaries are frozen for the election (the caller
// unfreezes them once the step is applied). It returns the expected winner
// and the frozen members.
func (m *Manager) handOver(ctx context.Context, rs *config.ReplicaSet, st *State, next *Config, heir string) (string, []string, error) {
	if hm := next.Member(heir); heir == "" || hm == nil || !hm.Electable() || !st.Healthy(heir) {
		heir = ""
		for _, cm := range st.Config.Members {
			if nm := next.Member(cm.Host); nm != nil && nm.Electable() && cm.Electable() && st.Healthy(cm.Host) && !sameHost(cm.Host, st.Primary) {
				if heir == "" || nm.Priority > next.Member(heir).Priority {
					heir = cm.Host
				}
			}
		}
	}
	if heir == "" {
		return "", nil, fmt.Errorf("%w: primary %s must step down for this step and no healthy member can replace it", ErrNoSafePath, st.Primary)
	}
	const catchUp = 10 * time.Second
	et := electionTimeout(st.Config)
	frozen := m.freezeOthers(ctx, st, heir, catchUp+2*et+30*time.Second)
	err := m.dial.replSetStepDown(ctx, st.Primary, stepDownPeriod(catchUp, et), catchUp)
	m.changed("step-down", rs.Name, fmt.Sprintf("step down %s so %s takes over", st.Primary, heir), st.Config.Version, st.Config.Version, err)
	if err != nil {
		if notCaughtUp(err) {
			return "", frozen, fmt.Errorf("%w: %s refused to step down: no electable secondary caught up within %s: %w", ErrNotCaughtUp, st.Primary, catchUp, err)
		}
		return "", frozen, fmt.Errorf("replSetStepDown on %s: %w", st.Primary, err)
	}
	return heir, frozen, m.waitFor(ctx, catchUp+2*et+10*time.Second, "a new primary", func(ctx context.Context) (bool, error) {
		h, err := m.dial.hello(ctx, heir)
		return err == nil && h.IsWritablePrimary, nil
	})
}

// stepDownPeriod is how long a stepped-down primary stays ineligible: long
// enough to cover the catch-up and the election, no longer (citadel clears
// it with replSetFreeze 0 once the new priorities hold).
func stepDownPeriod(catchUp, electionTimeout time.Duration) time.Duration {
	return catchUp + 2*electionTimeout + 10*time.Second
}

// freezeOthers freezes every healthy electable secondary except keep.
func (m *Manager) freezeOthers(ctx context.Context, st *State, keep string, d time.Duration) []string {
	var frozen []string
	for _, cm := range st.Config.Members {
		if !cm.Electable() || sameHost(cm.Host, keep) || sameHost(cm.Host, st.Primary) || !st.Healthy(cm.Host) {
			continue
		}
		if err := m.dial.replSetFreeze(ctx, cm.Host, d); err != nil {
			m.log.Warn("freeze failed; it may win the election", "host", cm.Host, "err", err)
			continue
		}
		frozen = append(frozen, cm.Host)
	}
	return frozen
}

func (m *Manager) unfreeze(ctx context.Context, hosts []string) {
	for _, h := range hosts {
		if err := m.dial.replSetFreeze(ctx, h, 0); err != nil {
			m.log.Warn("unfreeze failed; it stays out of elections until the freeze ends", "host", h, "err", err)
		}
	}
}

func anyNewlyAdded(c *Config) bool {
	for _, m := range c.Members {
		if m.IsNewlyAdded() {
			return true
		}
	}
	return false
}

func allHealthy(st *State) bool {
	for _, ms := range st.Members {
		if ms.InConfig && (!ms.Health || (ms.State != "PRIMARY" && ms.State != "SECONDARY" && ms.State != "ARBITER")) {
			return false
		}
	}
	return true
}
