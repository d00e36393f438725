package auditreport

import (
	"fmt"
	"strings"
	"time"
)

// backupGrace is how late a backup may end after its slot: the run
// itself, a retry, a leader change.
const backupGrace = time.Hour

// minKept is the fewest backups a retention policy should keep: with
// one, a damaged latest backup leaves nothing to restore.
const minKept = 3

// due is the age past which a job's newest backup means a missed run.
func (j JobFacts) due() time.Duration { return j.Interval + backupGrace }

func jobTarget(j JobFacts) string { return j.Job.ReplicaSet + " (" + j.Job.Name + ")" }

// backupAge judges the newest complete backup in the job's own storage.
func backupAge(j JobFacts, now time.Time) []Finding {
	const check = "backup_age"
	target := jobTarget(j)
	own := j.Storages[0]
	if own.Err != nil {
		return []Finding{{Severity: High, Check: check, Target: target, Title: "cannot read the backups in " + own.Name,
			Evidence: oneLine(own.Err.Error()), Fix: "run citadel storage check " + own.Name + " and fix what it names"}}
	}
	last := own.Newest()
	if last == nil {
		return []Finding{{Severity: Critical, Check: check, Target: target, Title: "no complete backup in " + own.Name,
			Evidence: fmt.Sprintf("%s holds no complete backup of %s (%d incomplete)", own.Name, j.Job.ReplicaSet, own.Incomplete),
			Fix:      "citadel backup run --backup " + j.Job.Name + ", then check that the coordinator schedules it (citadel coordinator status)"}}
	}
	age := now.Sub(last.End)
	evidence := fmt.Sprintf("newest backup %s ended %s (%s ago); %d complete in %s", last.ID, stampOf(last.End), round(age), len(own.Backups), own.Name)
	if j.IntervalErr != nil {
		return []Finding{cannotCheck(check, target, "whether the last backup is on time", evidence+"; "+j.IntervalErr.Error(), "fix the backup's schedule")}
	}
	evidence += fmt.Sprintf("; the schedule %q runs every %s at most", j.Job.Schedule, round(j.Interval))
	if age > j.due() {
		return []Finding{{Severity: High, Check: check, Target: target, Title: fmt.Sprintf("the last backup is %s old: scheduled runs were missed", round(age)),
			Evidence: evidence, Fix: "citadel backup run --backup " + j.Job.Name + "; then see why the schedule did not run (citadel coordinator status, its job history)"}}
	}
	return []Finding{{Severity: Info, Check: check, Target: target, Title: "the last backup is " + round(age).String() + " old", Evidence: evidence}}
}

// copies judges the copies of the job's backups to the other site.
func copies(j JobFacts, now time.Time) []Finding {
	const check = "backup_copy"
	target := jobTarget(j)
	own := j.Storages[0]
	if len(j.Storages) == 1 {
		return []Finding{{Severity: High, Check: check, Target: target, Title: "backups are kept at one site only",
			Evidence: fmt.Sprintf("backup %s writes to %s (site %s) and has no copy_to: losing that site loses the backups with the data", j.Job.Name, own.Name, orNone(own.Site)),
			Fix:      fmt.Sprintf("add a storage at the other site and copy_to: [NAME] to backup %s", j.Job.Name)}}
	}
	var out []Finding
	last := own.Newest()
	for _, c := range j.Storages[1:] {
		t := target + " → " + c.Name
		newest := c.Newest()
		switch {
		case c.Site != "" && c.Site == own.Site:
			out = append(out, Finding{Severity: Medium, Check: check, Target: t, Title: "the copy is at the same site as the backup",
				Evidence: fmt.Sprintf("%s and %s are both at site %s", own.Name, c.Name, c.Site), Fix: "copy to a storage at the other site"})
			continue
		case c.Err != nil:
			out = append(out, Finding{Severity: High, Check: check, Target: t, Title: "cannot read the copies in " + c.Name,
				Evidence: oneLine(c.Err.Error()), Fix: "run citadel storage check " + c.Name + " and fix what it names"})
			continue
		case newest == nil:
			out = append(out, Finding{Severity: High, Check: check, Target: t, Title: "no copy at " + orNone(c.Site),
				Evidence: fmt.Sprintf("%s holds no complete backup of %s", c.Name, j.Job.ReplicaSet), Fix: "citadel backup copy latest --backup " + j.Job.Name + " --to " + c.Name})
			continue
		}
		evidence := fmt.Sprintf("newest copy %s ended %s (%s ago); %d complete in %s", newest.ID, stampOf(newest.End), round(now.Sub(newest.End)), len(c.Backups), c.Name)
		switch {
		case j.IntervalErr == nil && now.Sub(newest.End) > j.due():
			out = append(out, Finding{Severity: High, Check: check, Target: t, Title: fmt.Sprintf("the newest copy at %s is %s old", orNone(c.Site), round(now.Sub(newest.End))),
				Evidence: evidence, Fix: "citadel backup copy latest --backup " + j.Job.Name + " --to " + c.Name})
		case last != nil && last.ID != newest.ID && !hasBackup(c, last.ID):
			out = append(out, Finding{Severity: Medium, Check: check, Target: t, Title: "the newest backup is not copied yet",
				Evidence: evidence + "; " + last.ID + " is not there", Fix: "citadel backup copy " + last.ID + " --backup " + j.Job.Name + " --to " + c.Name})
		default:
			out = append(out, Finding{Severity: Info, Check: check, Target: t, Title: "the newest backup is copied to " + orNone(c.Site), Evidence: evidence})
		}
	}
	return out
}

func hasBackup(s StorageFacts, id string) bool {
	for _, b := range s.Backups {
		if b.ID == id {
			return true
		}
	}
	return false
}

// encryption judges the job's age encryption: configured, readable, and
// applied to its newest backup.
func encryption(j JobFacts) []Finding {
	const check = "encryption"
	target := jobTarget(j)
	switch {
	case j.Job.Encryption == nil:
		return []Finding{{Severity: High, Check: check, Target: target, Title: "backups are stored unencrypted",
			Evidence: fmt.Sprintf("backup %s has no encryption section: anyone who reads the bucket reads the data", j.Job.Name),
			Fix:      "age-keygen -o identity.txt (kept off the backup hosts), put its public key in a recipients file and set encryption.recipients_file"}}
	case j.RecipientsErr != nil:
		return []Finding{{Severity: High, Check: check, Target: target, Title: "the age recipients cannot be read: backups will fail",
			Evidence: oneLine(j.RecipientsErr.Error()), Fix: "fix encryption.recipients_file (one age1… public key per line)"}}
	}
	evidence := fmt.Sprintf("encrypted with age for %d recipient(s) of %s", j.Recipients, j.Job.Encryption.RecipientsFile)
	if last := j.Storages[0].Newest(); last != nil && !last.Encrypted {
		return []Finding{{Severity: Medium, Check: check, Target: target, Title: "the newest backup is not encrypted",
			Evidence: evidence + "; but " + last.ID + " is stored in clear (taken before encryption was set?)",
			Fix:      "citadel backup run --backup " + j.Job.Name + ", then prune the clear backups once the new ones are copied"}}
	}
	return []Finding{{Severity: Info, Check: check, Target: target, Title: "backups are encrypted", Evidence: evidence}}
}

// objectLock judges one storage's object lock from `storage check`.
func objectLock(c StorageCheck) []Finding {
	const check = "object_lock"
	sc := c.Storage
	target := sc.Name
	for _, ch := range c.Result.Checks {
		if ch.Result == "failed" {
			return []Finding{{Severity: High, Check: check, Target: target, Title: "storage check failed at " + ch.Check,
				Evidence: ch.Detail, Fix: strings.TrimSpace(ch.Fix + " (then citadel storage check " + sc.Name + ")")}}
		}
	}
	if c.Err != nil {
		return []Finding{{Severity: High, Check: check, Target: target, Title: "storage check failed", Evidence: oneLine(c.Err.Error()), Fix: "citadel storage check " + sc.Name}}
	}
	switch {
	case sc.Filesystem != nil:
		return []Finding{{Severity: Medium, Check: check, Target: target, Title: "a directory cannot lock backups against deletion",
			Evidence: "storage " + sc.Name + " is a filesystem directory: whoever can write it can delete every backup",
			Fix:      "keep backups in a MinIO bucket with object lock (s3 with object_lock_days, created by citadel storage init)"}}
	case sc.S3 == nil || sc.S3.ObjectLockDays == 0:
		return []Finding{{Severity: Medium, Check: check, Target: target, Title: "backups can be deleted by anyone holding the keys",
			Evidence: "storage " + sc.Name + " has no object_lock_days: a stolen key (or ransomware) can delete every backup",
			Fix:      "set object_lock_days (for example 14) and move to a bucket created with object lock by citadel storage init"}}
	}
	detail := ""
	for _, ch := range c.Result.Checks {
		if ch.Check == "object_lock" || ch.Check == "retention" {
			detail += ch.Check + ": " + ch.Detail + "\n"
		}
	}
	return []Finding{{Severity: Info, Check: check, Target: target, Title: fmt.Sprintf("backups are locked for %d days", sc.S3.ObjectLockDays), Evidence: strings.TrimSpace(detail)}}
}
