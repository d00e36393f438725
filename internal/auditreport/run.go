package auditreport

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/drill"
)

// Inputs are what Run audits.
type Inputs struct {
	Config *config.Config
	// Datasets is the database holding the loaded datasets (nil: the
	// personal-data check is not made, and the report says so).
	Datasets *mongo.Database
	// Now dates the report and every age (time.Now when zero).
	Now time.Time
	Log *slog.Logger
}

// memberTimeout bounds the checks of one member or one set.
const memberTimeout = 10 * time.Second

// Run gathers the facts (members, sets, storages, drill reports, the
// trail) and evaluates them; the findings come most severe first.
func Run(ctx context.Context, in Inputs) (*Report, error) {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	cfg := in.Config
	r := &Report{GeneratedAt: in.Now.UTC(), Config: cfg.File, Findings: []Finding{}, NotChecked: []string{}}
	add := func(fs ...Finding) { r.Findings = append(r.Findings, fs...) }
	add(transport(cfg.MongoDB)...)
	env := jobs.Env{Config: cfg, Log: in.Log}
	var all []JobFacts
	for i := range cfg.Backups {
		all = append(all, gatherJob(ctx, env, &cfg.Backups[i], in.Now))
	}
	targets := drillTargets(cfg)
	for _, rs := range cfg.ReplicaSets {
		add(quorum(rs)...)
		for _, m := range rs.Members {
			if !m.Arbiter { // an arbiter holds no data and no users
				add(member(ctx, cfg.MongoDB, rs.Name, m.Host)...)
			}
		}
		live := gatherSet(ctx, cfg.MongoDB, rs)
		setJobs := jobsOf(all, rs.Name)
		add(roles(live)...)
		add(writeConcern(live, rs)...)
		add(oplogWindow(live, setJobs)...)
		if len(setJobs) == 0 && !targets[rs.Name] {
			add(Finding{Severity: High, Check: "backup_age", Target: rs.Name, Title: "no backup is configured for this set",
				Evidence: "no backups: entry names replica set " + rs.Name, Fix: "add a backups: entry for " + rs.Name + " (see citadel config example)"})
		}
	}
	for _, j := range all {
		add(backupAge(j, in.Now)...)
		add(copies(j, in.Now)...)
		add(encryption(j)...)
		add(retentionPolicy(j, in.Now)...)
	}
	for _, c := range checkStorages(ctx, cfg) {
		add(objectLock(c)...)
	}
	add(drills(cfg, gatherDrills(ctx, env, in.Now), in.Now)...)
	if in.Datasets != nil {
		fs, err := personalData(ctx, in.Datasets)
		if err != nil {
			return nil, err
		}
		add(fs...)
	} else {
		r.NotChecked = append(r.NotChecked, "personal data in the SuperSmartMarket collections: no datasets database (set ingest.replica_set, or pass --uri and --database)")
	}
	add(auditTrail(cfg.Audit)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortFindings(r.Findings)
	return r, nil
}

func jobsOf(all []JobFacts, rs string) []JobFacts {
	var out []JobFacts
	for _, j := range all {
		if j.Job.ReplicaSet == rs {
			out = append(out, j)
		}
	}
	return out
}

// drillTargets are the sets drills restore into: scratch, not backed up.
func drillTargets(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	for _, d := range cfg.Drills {
		if d.Target.ReplicaSet != "" {
			out[d.Target.ReplicaSet] = true
		}
	}
	return out
}

// gatherDrills reads the stored drill reports (drill.List, the reader of
// citadel drill list) and each drill's schedule interval.
func gatherDrills(ctx context.Context, env jobs.Env, now time.Time) DrillFacts {
	f := DrillFacts{Intervals: map[string]time.Duration{}}
	if len(env.Config.Drills) == 0 {
		return f
	}
	f.List, f.Err = drill.List(ctx, env)
	if f.Err != nil {
		f.Err = fmt.Errorf("list the drill reports: %w", f.Err)
	}
	for _, d := range env.Config.Drills {
		if iv, err := scheduleInterval(d.Schedule, d.Timezone, now); err == nil {
			f.Intervals[d.Name] = iv
		}
	}
	return f
}
