package auditreport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/config"
)

// cannotCheck is the finding of a check the deployment could not answer:
// never a pass, so a medium with the reason.
func cannotCheck(check, target, what, reason, fix string) Finding {
	return Finding{Severity: Medium, Check: check, Target: target, Title: "cannot check " + what, Evidence: reason, Fix: fix}
}

// Roles broader than any task of citadel needs. The tasks (cluster
// management, backups with the oplog, restores and drills, dataset loads)
// need clusterManager, clusterMonitor, backup, restore and readWrite on
// the datasets' database.
var (
	// A user with one of these can grant itself anything.
	escalating = []string{"root", "__system", "userAdminAnyDatabase", "userAdmin", "dbOwner@admin"}
	// These give write or admin access to every database.
	broad  = []string{"readWriteAnyDatabase", "dbAdminAnyDatabase", "dbOwner", "hostManager"}
	needed = []string{"clusterManager", "clusterMonitor", "backup", "restore", "readWrite", "read", "readAnyDatabase", "dbAdmin", "enableSharding"}
)

func rolesFix(user string) string {
	return "give citadel's user only clusterManager, clusterMonitor, backup and restore on admin and readWrite on the datasets' database: " +
		fmt.Sprintf(`db.getSiblingDB("admin").revokeRolesFromUser(%q, [ROLE]), then grantRolesToUser for what is missing`, user)
}

// roles judges the roles of citadel's own user on one set.
func roles(f SetFacts) []Finding {
	const check, what = "roles", "the roles of citadel's user"
	target := f.Name
	switch {
	case f.User == "":
		return []Finding{cannotCheck(check, target, what, "citadel connects without credentials (no mongodb.auth), so it has no user whose roles could be read",
			"set mongodb.auth in the config, then audit again")}
	case f.Err != nil:
		return []Finding{cannotCheck(check, target, what, oneLine(f.Err.Error()), "check that the set has a primary and that citadel's credentials are accepted, then audit again")}
	case f.RolesErr != nil:
		return []Finding{cannotCheck(check, target, what, oneLine(f.RolesErr.Error()), "check the roles by hand: db.getSiblingDB(\"admin\").getUser(\""+f.User+"\", {showPrivileges: true})")}
	case len(f.AuthUsers) == 0:
		return []Finding{cannotCheck(check, target, what,
			"connectionStatus on citadel's connection reports no authenticated user: the server does not enforce authentication (or does not report it), so no role applies",
			"enable security.authorization on the members, then audit again")}
	}
	all := append(slices.Clone(f.Roles), f.InheritedRoles...)
	var high, medium, other []string
	for _, r := range all {
		switch {
		case slices.Contains(escalating, r.Role) || slices.Contains(escalating, r.String()):
			high = appendNew(high, r.String())
		case slices.Contains(broad, r.Role):
			medium = appendNew(medium, r.String())
		case !slices.Contains(needed, r.Role):
			other = appendNew(other, r.String())
		}
	}
	evidence := fmt.Sprintf("authenticated as %s; roles: %s", strings.Join(f.AuthUsers, ", "), rolesList(all))
	if f.UsersInfoErr != nil {
		evidence += "; inherited roles not read (" + oneLine(f.UsersInfoErr.Error()) + ")"
	}
	var out []Finding
	if len(high) > 0 {
		out = append(out, Finding{Severity: High, Check: check, Target: target, Title: "citadel's user can grant itself any privilege: " + strings.Join(high, ", "),
			Evidence: evidence, Fix: rolesFix(f.User)})
	}
	if len(medium) > 0 {
		out = append(out, Finding{Severity: Medium, Check: check, Target: target, Title: "citadel's user can write or administer every database: " + strings.Join(medium, ", "),
			Evidence: evidence, Fix: rolesFix(f.User)})
	}
	if len(other) > 0 {
		out = append(out, Finding{Severity: Low, Check: check, Target: target, Title: "roles citadel's tasks do not use: " + strings.Join(other, ", "),
			Evidence: evidence, Fix: "review what these roles allow (db.getRole(NAME, {showPrivileges: true})) and revoke them if no task needs them"})
	}
	if len(out) == 0 {
		out = append(out, Finding{Severity: Info, Check: check, Target: target, Title: "citadel's user has no more roles than its tasks need", Evidence: evidence})
	}
	return out
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func rolesList(rs []Role) string {
	if len(rs) == 0 {
		return "none"
	}
	var s []string
	for _, r := range rs {
		s = appendNew(s, r.String())
	}
	return strings.Join(s, ", ")
}

// implicitW is the implicit default write concern mongod (5.0+) derives
// from a layout: w:1 with arbiters when the data-bearing voters are no
// more than a majority, else majority.
func implicitW(rs config.ReplicaSet) string {
	votes, dataVoters, arbiters := 0, 0, 0
	for _, m := range rs.Members {
		votes += m.EffectiveVotes()
		switch {
		case m.Arbiter:
			arbiters++
		case m.EffectiveVotes() > 0:
			dataVoters++
		}
	}
	if arbiters > 0 && dataVoters <= votes/2+1 {
		return "1"
	}
	return "majority"
}

const wcFix = `set it explicitly: db.adminCommand({setDefaultRWConcern: 1, defaultWriteConcern: {w: "majority"}})`

// writeConcern judges the cluster-wide default write concern against the
// implicit default of the config's layout (the config has no write
// concern of its own: citadel's own writes ask for majority).
func writeConcern(f SetFacts, rs config.ReplicaSet) []Finding {
	const check = "write_concern"
	target := f.Name
	switch {
	case f.Err != nil:
		return []Finding{cannotCheck(check, target, "the default write concern", oneLine(f.Err.Error()), "check that the set has a primary, then audit again")}
	case f.WCErr != nil:
		return []Finding{cannotCheck(check, target, "the default write concern", oneLine(f.WCErr.Error()), "run db.adminCommand({getDefaultRWConcern: 1}) on the primary by hand")}
	}
	wc := f.WC
	layout := implicitW(rs)
	evidence := fmt.Sprintf("getDefaultRWConcern: w:%s (%s)", orNone(wc.W), orNone(wc.Source))
	if wc.J != nil {
		evidence += fmt.Sprintf(", j:%v", *wc.J)
	}
	evidence += fmt.Sprintf("; the config's layout implies w:%s when none is set", layout)
	sev, title := Info, "writes default to w:majority"
	switch {
	case wc.W == "0" || wc.W == "1":
		sev, title = High, fmt.Sprintf("writes default to w:%s: a write acknowledged by the primary alone is lost if it fails before a secondary has it", wc.W)
	case wc.W != "majority" && wc.W != "":
		sev, title = Medium, "writes default to w:"+wc.W+", not majority: a write acknowledged below a majority can be rolled back"
	case wc.W == "":
		sev, title = Medium, "the default write concern is not reported"
	case wc.J != nil && !*wc.J:
		sev, title = Medium, "writes default to j:false: acknowledged before they reach the journal"
	case wc.Source != "global" && layout != "majority":
		sev, title = Medium, "w:majority only by default: the config's layout (with an arbiter) makes the implicit default w:1"
	case wc.Source != "global":
		sev, title = Low, "w:majority only implicitly: adding an arbiter would silently make it w:1"
	}
	fd := Finding{Severity: sev, Check: check, Target: target, Title: title, Evidence: evidence}
	if sev > Info {
		fd.Fix = wcFix
	}
	return []Finding{fd}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// pitrNeed is how long the oplog must hold entries when PITR archives
// every slice: the slice plus a margin for an archiver restart or a
// coordinator leader change (an hour, and never less than ten slices).
func pitrNeed(slice time.Duration) time.Duration { return slice + max(time.Hour, 9*slice) }

// oplogWindow judges the primary's oplog window against each backup job
// of the set: PITR needs the window to exceed the slice by pitrNeed; a
// job without PITR needs it to cover the backup interval (the oplog since
// the last backup is what a restore can still roll forward with).
func oplogWindow(f SetFacts, jobs []JobFacts) []Finding {
	const check = "oplog_window"
	target := f.Name
	switch {
	case f.Err != nil:
		return []Finding{cannotCheck(check, target, "the oplog window", oneLine(f.Err.Error()), "check that the set has a primary, then audit again")}
	case f.OplogErr != nil:
		return []Finding{cannotCheck(check, target, "the oplog window", oneLine(f.OplogErr.Error()), "check that citadel's user may read local.oplog.rs (the backup role)")}
	}
	win := f.Oplog.Window()
	evidence := fmt.Sprintf("the oplog covers %s (%s to %s)", round(win), stampOf(f.Oplog.First), stampOf(f.Oplog.Last))
	if f.Oplog.Initiating {
		evidence += "; its first entry is the set's initiation: it has not rolled over, so the window will still grow"
	}
	if len(jobs) == 0 {
		return []Finding{{Severity: Info, Check: check, Target: target, Title: "oplog window (no backup job reads this set)", Evidence: evidence}}
	}
	var out []Finding
	for _, j := range jobs {
		need, why := j.Interval, "the backup interval"
		if j.Job.PITR.Enabled {
			need, why = pitrNeed(j.Job.PITR.SliceOr()), fmt.Sprintf("the PITR slice (%s) plus a margin", j.Job.PITR.SliceOr())
		}
		if need <= 0 || win >= need {
			continue
		}
		ev := fmt.Sprintf("%s; backup %s needs at least %s: %s", evidence, j.Job.Name, round(need), why)
		switch {
		case f.Oplog.Initiating:
			out = append(out, Finding{Severity: Low, Check: check, Target: target, Title: "the oplog has not yet filled: its window cannot be judged",
				Evidence: ev, Fix: "after it rolls over, audit again; check its size holds " + round(need).String() + " of writes (rs.printReplicationInfo(), replSetResizeOplog)"})
		case j.Job.PITR.Enabled:
			out = append(out, Finding{Severity: High, Check: check, Target: target, Title: "the oplog window is too short for PITR: an archiver pause leaves a hole",
				Evidence: ev, Fix: fmt.Sprintf("grow the oplog on every member: db.adminCommand({replSetResizeOplog: 1, size: MB}) until it covers %s", round(need))})
		default:
			out = append(out, Finding{Severity: Medium, Check: check, Target: target, Title: "the oplog window is shorter than the backup interval",
				Evidence: ev, Fix: fmt.Sprintf("enable pitr for backup %s, or grow the oplog (replSetResizeOplog) to cover %s", j.Job.Name, round(need))})
		}
	}
	if len(out) == 0 {
		out = append(out, Finding{Severity: Info, Check: check, Target: target, Title: "the oplog window covers the backup interval and PITR", Evidence: evidence})
	}
	return out
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// round keeps durations readable: milliseconds under a second, seconds
// under an hour, minutes above.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Second:
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
