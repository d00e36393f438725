package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// RejoinReport is the outcome of a rejoin.
type RejoinReport struct {
	Set      string           `json:"set"`
	Site     string           `json:"site"`
	Primary  string           `json:"primary"`
	Rollback []RollbackReport `json:"rollback"`
	// RollbackSavedTo is where the documents the members roll back were
	// saved (the rollback directory of the backup storage), if any.
	RollbackSavedTo string        `json:"rollback_saved_to,omitempty"`
	Steps           []StepResult  `json:"steps"`
	Members         []MemberState `json:"members"`
	VersionBefore   int           `json:"version_before"`
	VersionAfter    int           `json:"version_after"`
}

// RejoinOptions are the choices and callbacks of Rejoin.
type RejoinOptions struct {
	// AcceptUnexamined adds the members even when what they will roll
	// back could not be examined or saved in full (--accept-unexamined).
	AcceptUnexamined bool
	// Rollback keeps the documents the members will roll back; nil saves
	// nothing, which counts as not saved.
	Rollback *RollbackStore
	// OnRollback receives the report once the members are examined and
	// their documents saved, before anything changes (nil: none).
	OnRollback func(*RejoinReport)
	// Progress is called after each applied step (nil: none).
	Progress func(StepResult)
}

// Rejoin brings the members of a returning site back into the set after a
// failover, one safe step at a time (PrepareRejoin, Plan, Apply). Before
// adding them it examines each returning member: its oplog read backwards
// until an entry the primary also holds gives the writes mongod will roll
// back, and the documents they leave are read from the member (one
// batched query per collection) and saved under <rs>/rollback/<time>/ in
// the backup's format. A member whose writes cannot be examined or saved
// in full is refused (exit 4) unless AcceptUnexamined. It writes one
// audit record, whatever the outcome.
func (m *Manager) Rejoin(ctx context.Context, rs *config.ReplicaSet, site string, o RejoinOptions) (rep *RejoinReport, err error) {
	defer func() { m.record(ctx, ActionRejoin, rs.Name, rejoinParams(site, o, rep), err) }()
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	desired, err := PrepareRejoin(st, rs, site)
	if err != nil {
		return nil, err
	}
	rep = &RejoinReport{Set: rs.Name, Site: site, Primary: st.Primary, VersionBefore: st.Config.Version, VersionAfter: st.Config.Version}
	if desired == nil {
		return rep, nil
	}
	steps, err := Plan(st, desired)
	if err != nil {
		return rep, err
	}
	exams := m.examineAll(ctx, st, desired, true, o.AcceptUnexamined)
	for _, x := range exams {
		rep.Rollback = append(rep.Rollback, x.report)
	}
	gate := m.keepRollback(ctx, rep, exams, o)
	if o.OnRollback != nil {
		o.OnRollback(rep)
	}
	if gate != nil {
		return rep, gate
	}
	rep.Steps, err = m.applySteps(ctx, rs, steps, o.Progress)
	if n := len(rep.Steps); n > 0 {
		rep.VersionAfter = rep.Steps[n-1].VersionAfter
	}
	if err != nil {
		return rep, err
	}
	if after, err := m.Observe(ctx, rs); err == nil {
		for _, ms := range after.Members {
			if ms.Site == site {
				rep.Members = append(rep.Members, ms)
			}
		}
	}
	return rep, nil
}

// keepRollback saves what the examined members will roll back and says
// whether rejoin may go on: not when a member's writes are not known in
// full or could not be saved, unless o.AcceptUnexamined.
func (m *Manager) keepRollback(ctx context.Context, rep *RejoinReport, exams []*examination, o RejoinOptions) error {
	var unexamined []string
	for _, x := range exams {
		if x.report.Unexamined {
			unexamined = append(unexamined, x.report.Host+" ("+x.report.Why+")")
		}
	}
	if len(unexamined) > 0 && !o.AcceptUnexamined {
		return fault.Refused(fmt.Sprintf("rejoin of %s: what %s will roll back is not known in full, so it cannot be saved first; nothing was changed. "+
			"Rerun with --accept-unexamined to add them anyway (mongod keeps what it rolls back under <dbPath>/rollback on each host)",
			rep.Set, strings.Join(unexamined, ", ")))
	}
	where, err := o.Rollback.save(ctx, rep, exams)
	if err != nil {
		if !o.AcceptUnexamined {
			return fault.Wrap(fault.ErrRefused, err, fmt.Sprintf("rejoin of %s: the documents the returning members will roll back could not be saved, so nothing was changed; "+
				"fix the storage (or give --save-dir), or rerun with --accept-unexamined to add them without", rep.Set))
		}
		m.log.Warn("the documents the returning members will roll back were not saved", "err", err)
		return nil
	}
	rep.RollbackSavedTo = where
	for i, x := range exams {
		rep.Rollback[i].Saved = x.saved()
	}
	return nil
}

// rejoinParams are the rejoin's audit parameters.
func rejoinParams(site string, o RejoinOptions, rep *RejoinReport) map[string]any {
	p := map[string]any{"site": site, "accept_unexamined": o.AcceptUnexamined}
	if rep == nil {
		return p
	}
	var unexamined, steps []string
	for _, r := range rep.Rollback {
		if r.Unexamined {
			unexamined = append(unexamined, r.Host)
		}
	}
	for _, s := range rep.Steps {
		steps = append(steps, s.Step.Summary)
	}
	p["primary"], p["steps"], p["unexamined"] = rep.Primary, steps, unexamined
	p["rollback_saved_to"], p["version_before"], p["version_after"] = rep.RollbackSavedTo, rep.VersionBefore, rep.VersionAfter
	return p
}

// Divergence reports, without changing or saving anything, what each
// member of a returning site that is not in the set holds and the primary
// does not: what mongod will roll back when rejoin adds it.
func (m *Manager) Divergence(ctx context.Context, rs *config.ReplicaSet, site string) ([]RollbackReport, error) {
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	desired, err := PrepareRejoin(st, rs, site)
	if err != nil || desired == nil {
		return nil, err
	}
	var out []RollbackReport
	for _, x := range m.examineAll(ctx, st, desired, false, false) {
		out = append(out, x.report)
	}
	return out, nil
}
