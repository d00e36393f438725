package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/config"
)

// FailoverReport is the outcome of a forced failover.
type FailoverReport struct {
	Plan          *FailoverPlan `json:"plan"`
	SavedTo       string        `json:"saved_to"`
	NewPrimary    string        `json:"new_primary"`
	VersionBefore int           `json:"version_before"`
	VersionAfter  int           `json:"version_after"`
	Took          Seconds       `json:"took_seconds"`
	// MajorityWrite: a w:majority probe write was acknowledged after the
	// election.
	MajorityWrite bool `json:"majority_write"`
}

// Failover forces the set onto the surviving members of toSite, for the day
// the other site is gone. Order: observe and refuse (exit 4) while a primary
// or the other site answers; confirm (the callback returns an error to stop);
// save the current config with the survivors' optimes; force-reconfig on the
// survivor with the newest optime; wait for a primary; prove it takes a
// w:majority write. It writes one audit record, whatever the outcome
// (refusals included).
func (m *Manager) Failover(ctx context.Context, rs *config.ReplicaSet, toSite string, force bool, saver Saver, confirm func(*FailoverPlan) error) (rep *FailoverReport, err error) {
	var fp *FailoverPlan
	defer func() { m.record(ctx, ActionFailover, rs.Name, failoverParams(toSite, force, fp, rep), err) }()
	st, err := m.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	fp, err = PrepareFailover(st, toSite, force)
	if err != nil {
		return nil, err
	}
	if err := confirm(fp); err != nil {
		return nil, err
	}
	rep = &FailoverReport{Plan: fp, VersionBefore: fp.Previous.Version}
	doc, err := json.MarshalIndent(struct {
		*FailoverPlan
		ObservedAt time.Time `json:"observed_at"`
	}{fp, st.ObservedAt}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode saved config: %w", err)
	}
	key := fmt.Sprintf("failover/%s/%s-config-v%d.json", rs.Name, m.now().UTC().Format("20060102T150405Z"), fp.Previous.Version)
	if rep.SavedTo, err = saver.Save(ctx, key, doc); err != nil {
		return nil, fmt.Errorf("save the current config before forcing (nothing was changed): %w", err)
	}
	// Last look: a primary may have appeared while the operator confirmed.
	if again, err := m.Observe(ctx, rs); err == nil {
		if _, err := PrepareFailover(again, toSite, force); err != nil {
			return rep, err
		}
	}
	start := m.now()
	err = m.dial.replSetReconfig(ctx, fp.RunOn, fp.Config, true, m.StepTimeout)
	m.changed("forced reconfig", rs.Name, fmt.Sprintf("on %s keeping %s; lost %v", fp.RunOn, survivorHosts(fp), fp.Lost), fp.Previous.Version, fp.Config.Version, err)
	if err != nil {
		return rep, fmt.Errorf("forced replSetReconfig on %s: %w", fp.RunOn, err)
	}
	err = m.waitFor(ctx, 3*electionTimeout(fp.Config)+30*time.Second, "a primary among the survivors", func(ctx context.Context) (bool, error) {
		for _, h := range survivorHosts(fp) {
			if hr, err := m.dial.hello(ctx, h); err == nil && hr.IsWritablePrimary {
				rep.NewPrimary = h
				return true, nil
			}
		}
		return false, nil
	})
	rep.Took = Seconds(m.now().Sub(start))
	if err != nil {
		return rep, err
	}
	if r, err := m.dial.replSetGetConfig(ctx, rep.NewPrimary, false); err == nil {
		rep.VersionAfter = r.Config.Version
	}
	rep.MajorityWrite = m.majorityWrite(ctx, rs.Name, survivorHosts(fp)) == nil
	return rep, nil
}

// failoverParams are the failover's audit parameters: what was asked and,
// once planned and run, what it kept, dropped and saved.
func failoverParams(toSite string, force bool, fp *FailoverPlan, rep *FailoverReport) map[string]any {
	p := map[string]any{"to_site": toSite, "force": force}
	if fp != nil {
		p["survivors"], p["lost"], p["run_on"], p["version_before"] = survivorHosts(fp), fp.Lost, fp.RunOn, fp.Previous.Version
	}
	if rep != nil {
		p["saved_to"], p["new_primary"], p["majority_write"], p["version_after"] = rep.SavedTo, rep.NewPrimary, rep.MajorityWrite, rep.VersionAfter
	}
	return p
}

func survivorHosts(fp *FailoverPlan) []string {
	out := make([]string, 0, len(fp.Survivors))
	for _, s := range fp.Survivors {
		out = append(out, s.Host)
	}
	slices.Sort(out)
	return out
}

// majorityWrite inserts one probe document with w:majority through a
// replica-set connection.
func (m *Manager) majorityWrite(ctx context.Context, set string, hosts []string) error {
	survivors := config.ReplicaSet{Name: set}
	for _, h := range hosts {
		survivors.Members = append(survivors.Members, config.Member{Host: h})
	}
	client, err := m.dial.Set(survivors)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	ctx, cancel := context.WithTimeout(ctx, m.dial.ConnectTimeout()+5*time.Second)
	defer cancel()
	coll := client.Database(ProbeDB).Collection(ProbeCollection, options.Collection().SetWriteConcern(writeconcern.Majority()))
	_, err = coll.InsertOne(ctx, bson.D{{Key: "op", Value: "failover"}, {Key: "at", Value: time.Now().UTC()}})
	if err != nil {
		m.log.Warn("w:majority probe write failed", "err", err)
	}
	return err
}
