package auditreport

import (
	"fmt"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/drill"
)

// retentionPolicy judges the job's retention: set, keeping at least
// minKept backups, and with PITR an archive that is current, without
// holes, and reaching back over pitr.window.
func retentionPolicy(j JobFacts, now time.Time) []Finding {
	const check = "retention"
	target := jobTarget(j)
	r := j.Job.Retention
	kept := r.Daily + r.Weekly + r.Monthly
	policy := fmt.Sprintf("retention daily %d, weekly %d, monthly %d", r.Daily, r.Weekly, r.Monthly)
	var out []Finding
	switch {
	case kept == 0:
		out = append(out, Finding{Severity: Medium, Check: check, Target: target, Title: "no retention policy: prune removes nothing",
			Evidence: "backup " + j.Job.Name + " has no retention: the storage fills until backups fail",
			Fix:      "set retention (for example daily: 7, weekly: 4, monthly: 12) and schedule citadel backup prune --backup " + j.Job.Name})
	case kept < minKept:
		out = append(out, Finding{Severity: Medium, Check: check, Target: target, Title: fmt.Sprintf("the retention keeps at most %d backup(s)", kept),
			Evidence: policy + ": a damaged newest backup leaves too little to restore", Fix: fmt.Sprintf("keep at least %d backups (for example daily: 7)", minKept)})
	}
	if !j.Job.PITR.Enabled {
		if len(out) == 0 {
			out = append(out, Finding{Severity: Info, Check: check, Target: target, Title: fmt.Sprintf("the retention keeps up to %d backups; no PITR", kept),
				Evidence: policy + "; without PITR a restore reaches only the end of a backup"})
		}
		return out
	}
	return append(out, pitrCoverage(j, now, policy, len(out) == 0)...)
}

// pitrCoverage says whether the archived slices reach back over the
// window from a kept backup, without a hole, and are current.
func pitrCoverage(j JobFacts, now time.Time, policy string, passed bool) []Finding {
	const check = "retention"
	target := jobTarget(j)
	slice := j.Job.PITR.SliceOr()
	window := j.Job.PITR.Window.D()
	pitrFix := "run the archiver: citadel server (the coordinator's leader archives), or citadel backup pitr --rs " + j.Job.ReplicaSet
	if j.SlicesErr != nil || j.GapsErr != nil {
		err := j.SlicesErr
		if err == nil {
			err = j.GapsErr
		}
		return []Finding{cannotCheck(check, target, "the PITR archive", oneLine(err.Error()), "citadel storage check "+j.Job.Storage)}
	}
	evidence := fmt.Sprintf("%s, pitr window %s, slice %s; %d slice(s), the newest to %s", policy, windowText(window), slice, j.Slices, stampOf(j.NewestSlice))
	var out []Finding
	if lag := now.Sub(j.NewestSlice); j.Slices == 0 || lag > 3*slice+time.Minute {
		out = append(out, Finding{Severity: High, Check: check, Target: target, Title: "the PITR archive is not current: a restore cannot reach the last writes",
			Evidence: evidence, Fix: pitrFix})
	}
	var oldest time.Time
	if b := j.Storages[0].Backups; len(b) > 0 {
		oldest = b[0].End
	}
	for _, g := range j.Gaps {
		if window == 0 || g.Detected.After(now.Add(-window)) {
			out = append(out, Finding{Severity: High, Check: check, Target: target, Title: "the PITR archive has a hole",
				Evidence: fmt.Sprintf("gap recorded %s: %s", stampOf(g.Detected), g.Reason),
				Fix:      "citadel backup run --backup " + j.Job.Name + " (a new backup restarts the restorable span); keep the archiver running"})
		}
	}
	if window > 0 && !oldest.IsZero() && oldest.After(now.Add(-window)) {
		out = append(out, Finding{Severity: Low, Check: check, Target: target, Title: "point-in-time restores reach back " + round(now.Sub(oldest)).String() + ", not the window " + window.String(),
			Evidence: evidence + "; the oldest kept backup ended " + stampOf(oldest), Fix: "none if the backups are younger than the window; else check prune's plan (citadel backup prune --dry-run)"})
	}
	if len(out) == 0 && passed {
		out = append(out, Finding{Severity: Info, Check: check, Target: target, Title: "retention and PITR cover the window", Evidence: evidence})
	}
	return out
}

func windowText(w time.Duration) string {
	if w == 0 {
		return "0 (back to the oldest kept backup)"
	}
	return w.String()
}

// DrillFacts is the stored drill reports (drill.List) and each drill's
// schedule interval.
type DrillFacts struct {
	List      drill.ListResult
	Err       error
	Intervals map[string]time.Duration
}

// drills judges the newest report of every configured drill against its
// max_rto and max_rpo, and its age against its schedule.
func drills(cfg *config.Config, f DrillFacts, now time.Time) []Finding {
	const check = "drill"
	if len(cfg.Drills) == 0 {
		if len(cfg.Backups) == 0 {
			return nil
		}
		return []Finding{{Severity: High, Check: check, Target: "config", Title: "restores are never rehearsed",
			Evidence: "the config has no drills: nobody knows the backups restore, nor how long it takes",
			Fix:      "add a drills: entry (backup, schedule, a scratch target, max_rto, max_rpo) and run citadel drill run NAME"}}
	}
	if f.Err != nil {
		return []Finding{cannotCheck(check, "config", "the drill reports", oneLine(f.Err.Error()), "citadel drill list")}
	}
	var out []Finding
	for _, p := range f.List.Problems {
		out = append(out, Finding{Severity: Medium, Check: check, Target: "storage", Title: "drill reports could not all be read", Evidence: oneLine(p), Fix: "citadel drill list, and citadel storage check"})
	}
	for _, d := range cfg.Drills {
		out = append(out, oneDrill(d, f, now))
	}
	return out
}

func oneDrill(d config.Drill, f DrillFacts, now time.Time) Finding {
	const check = "drill"
	var last *drill.Entry
	for i, e := range f.List.Drills { // newest first
		if e.Drill == d.Name && e.Kind == drill.KindRestore {
			last = &f.List.Drills[i]
			break
		}
	}
	if last == nil {
		return Finding{Severity: High, Check: check, Target: d.Name, Title: "drill " + d.Name + " has never run",
			Evidence: "no report of drill " + d.Name + " in the backups' storages", Fix: "citadel drill run " + d.Name}
	}
	maxRTO, maxRPO := d.MaxRTO.D(), d.MaxRPO.D()
	evidence := fmt.Sprintf("run %s of %s: %s, RTO %s (max %s), RPO %s (max %s), backup %s from %s; %s",
		last.ID, stampOf(last.Started), verdict(last.Passed), round(last.RTO), limit(maxRTO), round(last.RPO), limit(maxRPO), last.Backup, last.Storage, last.Where)
	fix := "citadel drill show " + last.ID + ", fix what it names, then citadel drill run " + d.Name
	switch {
	case !last.Passed:
		return Finding{Severity: High, Check: check, Target: d.Name, Title: fmt.Sprintf("the last drill failed (%d reason(s))", last.Reasons), Evidence: evidence, Fix: fix}
	case maxRTO > 0 && last.RTO > maxRTO:
		return Finding{Severity: High, Check: check, Target: d.Name, Title: "the last drill's RTO exceeds max_rto", Evidence: evidence, Fix: fix}
	case maxRPO > 0 && last.RPO > maxRPO:
		return Finding{Severity: High, Check: check, Target: d.Name, Title: "the last drill's RPO exceeds max_rpo", Evidence: evidence, Fix: fix}
	}
	if iv := f.Intervals[d.Name]; iv > 0 && now.Sub(last.Started) > 2*iv {
		return Finding{Severity: Medium, Check: check, Target: d.Name, Title: fmt.Sprintf("the last drill is %s old: scheduled drills did not run", round(now.Sub(last.Started))),
			Evidence: evidence, Fix: "citadel drill run " + d.Name + "; then see why the coordinator did not schedule it"}
	}
	return Finding{Severity: Info, Check: check, Target: d.Name, Title: fmt.Sprintf("the last drill passed: RTO %s, RPO %s", round(last.RTO), round(last.RPO)), Evidence: evidence}
}

func verdict(passed bool) string {
	if passed {
		return "passed"
	}
	return "FAILED"
}

func limit(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}
