package cluster

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
)

// maxRollbackScan bounds the oplog entries read backwards on a returning
// member while looking for the point it shares with the primary.
const maxRollbackScan = 10000

// RejoinReport is the outcome of a rejoin.
type RejoinReport struct {
	Set           string           `json:"set"`
	Site          string           `json:"site"`
	Primary       string           `json:"primary"`
	Rollback      []RollbackReport `json:"rollback"`
	Steps         []StepResult     `json:"steps"`
	Members       []MemberState    `json:"members"`
	VersionBefore int              `json:"version_before"`
	VersionAfter  int              `json:"version_after"`
}

// Rejoin brings the members of a returning site back into the set after a
// failover, one safe step at a time (PrepareRejoin, Plan, Apply). Before
// adding them it reads each returning member's oplog backwards until an
// entry the primary also holds, and reports what mongod will roll back:
// to onRollback (when not nil) before the first step, and in the report.
// It writes one audit record, whatever the outcome.
func (m *Manager) Rejoin(ctx context.Context, rs *config.ReplicaSet, site string, onRollback func([]RollbackReport), progress func(StepResult)) (rep *RejoinReport, err error) {
	defer func() { m.record(ctx, ActionRejoin, rs.Name, rejoinParams(site, rep), err) }()
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
	rep.Rollback = m.divergence(ctx, st, desired)
	if onRollback != nil {
		onRollback(rep.Rollback)
	}
	rep.Steps, err = m.applySteps(ctx, rs, steps, progress)
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

// rejoinParams are the rejoin's audit parameters.
func rejoinParams(site string, rep *RejoinReport) map[string]any {
	p := map[string]any{"site": site}
	if rep == nil {
		return p
	}
	var steps []string
	for _, s := range rep.Steps {
		steps = append(steps, s.Step.Summary)
	}
	p["primary"], p["steps"], p["version_before"], p["version_after"] = rep.Primary, steps, rep.VersionBefore, rep.VersionAfter
	return p
}

// Divergence reports, without changing anything, what each member of a
// returning site that is not in the set holds and the primary does not:
// what mongod will roll back when rejoin adds it.
func (m *Manager) Divergence(ctx context.Context, rs *config.ReplicaSet, site string) ([]RollbackReport, error) {
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	desired, err := PrepareRejoin(st, rs, site)
	if err != nil || desired == nil {
		return nil, err
	}
	return m.divergence(ctx, st, desired), nil
}

func (m *Manager) divergence(ctx context.Context, st *State, desired *Config) []RollbackReport {
	var out []RollbackReport
	for _, mc := range desired.Members {
		if st.Config.Member(mc.Host) == nil {
			out = append(out, m.rollbackOf(ctx, mc.Host, st.Primary))
		}
	}
	return out
}

// rollbackOf walks host's oplog backwards until an entry the primary holds.
func (m *Manager) rollbackOf(ctx context.Context, host, primary string) RollbackReport {
	divergent, common, truncated, err := m.divergent(ctx, host, primary)
	if err != nil {
		m.log.Warn("read the returning member's oplog", "host", host, "err", err)
		return RollbackReport{Host: host, Unexamined: true}
	}
	return SummarizeRollback(host, divergent, common, truncated)
}

func (m *Manager) divergent(ctx context.Context, host, primary string) ([]OplogEntry, OpTime, bool, error) {
	c, err := m.dial.Member(host)
	if err != nil {
		return nil, OpTime{}, false, err
	}
	opts := options.Find().SetSort(bson.D{{Key: "$natural", Value: -1}}).SetBatchSize(500)
	cur, err := c.Database("local").Collection("oplog.rs").Find(ctx, bson.D{}, opts)
	if err != nil {
		return nil, OpTime{}, false, fmt.Errorf("read oplog of %s: %w", host, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var out []OplogEntry
	for cur.Next(ctx) {
		var raw rawEntry
		if err := cur.Decode(&raw); err != nil {
			return nil, OpTime{}, false, fmt.Errorf("decode oplog entry of %s: %w", host, err)
		}
		e := raw.entry()
		has, err := m.primaryHas(ctx, primary, e.TS)
		if err != nil {
			return nil, OpTime{}, false, err
		}
		if has {
			return out, e.TS, false, nil
		}
		if out = append(out, e); len(out) >= maxRollbackScan {
			return out, OpTime{}, true, nil
		}
	}
	return out, OpTime{}, false, cur.Err()
}

func (m *Manager) primaryHas(ctx context.Context, primary string, at OpTime) (bool, error) {
	c, err := m.dial.Member(primary)
	if err != nil {
		return false, err
	}
	err = c.Database("local").Collection("oplog.rs").FindOne(ctx, bson.D{{Key: "ts", Value: at.TS}, {Key: "t", Value: at.Term}}).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	}
	return false, fmt.Errorf("look up %v in the oplog of %s: %w", at.TS, primary, err)
}
