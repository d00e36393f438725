package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// SelectSets returns the set named name, or every set of the file when
// name is empty; an unknown name is a usage error naming the file's sets.
func SelectSets(cfg *config.Config, name string) ([]*config.ReplicaSet, error) {
	if name != "" {
		if rs := cfg.ReplicaSet(name); rs != nil {
			return []*config.ReplicaSet{rs}, nil
		}
		names := make([]string, len(cfg.ReplicaSets))
		for i, rs := range cfg.ReplicaSets {
			names[i] = rs.Name
		}
		return nil, fault.Usage(fmt.Sprintf("--rs %q: no such replica set in %s (sets: %s)", name, cfg.File, strings.Join(names, ", ")))
	}
	out := make([]*config.ReplicaSet, len(cfg.ReplicaSets))
	for i := range cfg.ReplicaSets {
		out[i] = &cfg.ReplicaSets[i]
	}
	return out, nil
}

// Status observes each set in turn; each is passed to each (when not nil)
// as soon as it is seen. A set whose state is unknown (no config seen and
// members that do not answer) does not stop the others, but the returned
// error joins them (ErrStateUnknown): a script must not read "not
// initiated" into members that are down.
func (m *Manager) Status(ctx context.Context, sets []*config.ReplicaSet, each func(*State) error) ([]*State, error) {
	var out []*State
	var unknown []error
	for _, rs := range sets {
		st, err := m.Observe(ctx, rs)
		if err != nil {
			return out, err
		}
		if uerr := st.UnknownError(); uerr != nil {
			unknown = append(unknown, fmt.Errorf("cluster status: %w", uerr))
		}
		out = append(out, st)
		if each != nil {
			if err := each(st); err != nil {
				return out, err
			}
		}
	}
	return out, errors.Join(unknown...)
}

// SetPlan is the plan of one set and, once applied, what each step did
// (the JSON of cluster plan and cluster apply).
type SetPlan struct {
	Set         string       `json:"set"`
	LiveVersion int          `json:"live_version"`
	Steps       []Step       `json:"steps"`
	Results     []StepResult `json:"results,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// PlanSets observes each set and plans the steps from its live config to
// the file's; the first set that cannot be planned stops (the plans made
// so far are returned with the error).
func (m *Manager) PlanSets(ctx context.Context, sets []*config.ReplicaSet) ([]SetPlan, error) {
	var out []SetPlan
	for _, rs := range sets {
		sp, err := m.planSet(ctx, rs)
		if err != nil {
			return out, err
		}
		out = append(out, sp)
	}
	return out, nil
}

func (m *Manager) planSet(ctx context.Context, rs *config.ReplicaSet) (SetPlan, error) {
	sp := SetPlan{Set: rs.Name, Steps: []Step{}}
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return sp, err
	}
	var live *Config
	if st.Initiated {
		live, sp.LiveVersion = st.Config, st.Config.Version
	}
	desired, err := Desired(rs, live)
	if err != nil {
		return sp, err
	}
	if sp.Steps, err = Plan(st, desired); err != nil {
		return sp, fmt.Errorf("plan %s: %w", rs.Name, err)
	}
	return sp, nil
}

// ApplyOptions are the callbacks of ApplySets; each may be nil.
type ApplyOptions struct {
	// Review receives the plans before anything changes (to print them).
	Review func([]SetPlan)
	// Confirm is asked, when there are steps, with their number; an error
	// stops before any change (nil: confirmed, as with --yes).
	Confirm func(steps int) error
	// Progress is called after each applied step.
	Progress func(StepResult)
}

// TotalSteps counts the steps of every plan.
func TotalSteps(plans []SetPlan) int {
	n := 0
	for _, p := range plans {
		n += len(p.Steps)
	}
	return n
}

// ApplySets plans every set, lets the caller review and confirm, then
// applies the sets' steps one set after the other; the first failure
// stops (its plan carries the error). Each set that had something to do,
// or could not be planned or confirmed, gets one audit record.
func (m *Manager) ApplySets(ctx context.Context, sets []*config.ReplicaSet, o ApplyOptions) ([]SetPlan, error) {
	plans, err := m.PlanSets(ctx, sets)
	if err != nil {
		m.record(ctx, ActionApply, sets[len(plans)].Name, nil, err)
		return plans, err
	}
	if o.Review != nil {
		o.Review(plans)
	}
	if total := TotalSteps(plans); total > 0 && o.Confirm != nil {
		if err := o.Confirm(total); err != nil {
			for _, p := range plans {
				if len(p.Steps) > 0 {
					m.record(ctx, ActionApply, p.Set, applyParams(p), err)
				}
			}
			return plans, err
		}
	}
	for i, p := range plans {
		if len(p.Steps) == 0 {
			continue
		}
		plans[i].Results, err = m.applySteps(ctx, sets[i], p.Steps, o.Progress)
		m.record(ctx, ActionApply, p.Set, applyParams(plans[i]), err)
		if err != nil {
			plans[i].Error = err.Error()
			return plans, err
		}
	}
	return plans, nil
}

// applyParams are the audit parameters of one set's apply: the planned
// steps, how many were done, and the config versions before and after.
func applyParams(p SetPlan) map[string]any {
	steps := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		steps[i] = s.Summary
	}
	after := p.LiveVersion
	if n := len(p.Results); n > 0 {
		after = p.Results[n-1].VersionAfter
	}
	return map[string]any{"steps": steps, "done": len(p.Results), "version_before": p.LiveVersion, "version_after": after}
}
