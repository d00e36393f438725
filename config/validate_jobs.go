package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve on hosts without tzdata

	"github.com/robfig/cron/v3"
)

// CronParser is the schedule syntax: five fields or @daily-style descriptors.
func CronParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// DefaultTimezone is the zone of a schedule that names none: the
// association's sites are in France, so "0 2 * * *" is 02:00 in Paris,
// for the scheduler, retention's day boundaries and everything else.
const DefaultTimezone = "Europe/Paris"

// Location resolves a schedule's time zone ("" is DefaultTimezone).
func Location(tz string) (*time.Location, error) {
	if tz == "" {
		tz = DefaultTimezone
	}
	return time.LoadLocation(tz)
}

var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (v *validator) storage(i int) {
	s := &v.c.Storages[i]
	p := fmt.Sprintf("storages[%d]", i)
	v.name(p+".name", s.Name, "storage")
	v.siteRef(p+".site", s.Site, false)
	switch {
	case s.S3 != nil && s.Filesystem != nil:
		v.ps.at(p, "keep either s3 or filesystem", "storage %q has both s3 and filesystem", s.Name)
	case s.S3 != nil:
		v.s3(p+".s3", s.S3)
	case s.Filesystem != nil:
		if s.Filesystem.Path == "" {
			v.ps.at(p+".filesystem.path", "", "path is missing")
		} else if !filepath.IsAbs(s.Filesystem.Path) {
			v.ps.at(p+".filesystem.path", "write an absolute path", "relative path %q", s.Filesystem.Path)
		}
	default:
		v.ps.at(p, "add an s3: or a filesystem: section", "storage %q has no backend", s.Name)
	}
}

func (v *validator) s3(p string, s *S3) {
	switch {
	case s.Endpoint == "":
		v.ps.at(p+".endpoint", "write host:port of the MinIO server", "endpoint is missing")
	case strings.Contains(s.Endpoint, "://"):
		v.ps.at(p+".endpoint", "write host:port without a scheme; set tls.enabled: true for https", "endpoint %q has a scheme", s.Endpoint)
	default:
		v.hostPort(p+".endpoint", s.Endpoint, "endpoint")
	}
	if !bucketPattern.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..") {
		v.ps.at(p+".bucket", "S3 bucket names are 3-63 characters: lowercase letters, digits, '.' and '-'", "invalid bucket name %q", s.Bucket)
	}
	if strings.HasPrefix(s.Prefix, "/") {
		v.ps.at(p+".prefix", "object keys do not start with '/'", "prefix %q starts with '/'", s.Prefix)
	}
	v.secret(p, "access_key", s.AccessKeyEnv, s.AccessKeyFile, true)
	v.secret(p, "secret_key", s.SecretKeyEnv, s.SecretKeyFile, true)
	v.tls(p+".tls", s.TLS)
	if s.ObjectLockDays < 0 {
		v.ps.at(p+".object_lock_days", "", "object_lock_days cannot be negative")
	}
}

// schedule checks a cron expression and its time zone.
func (v *validator) schedule(p, expr, tz string) {
	if expr == "" {
		v.ps.at(p+".schedule", "write a cron expression such as \"0 2 * * *\" (02:00 every day)", "schedule is missing")
	} else if _, err := CronParser().Parse(expr); err != nil {
		v.ps.at(p+".schedule", "five fields: minute hour day-of-month month day-of-week, or @daily, @weekly", "schedule %q does not parse: %v", expr, err)
	}
	if tz != "" {
		if strings.Contains(expr, "TZ=") {
			v.ps.at(p+".schedule", "use the timezone field only", "schedule carries its own TZ= and timezone is set")
		}
		if _, err := Location(tz); err != nil {
			v.ps.at(p+".timezone", "use an IANA name such as Europe/Paris", "unknown time zone %q", tz)
		}
	}
}

func (v *validator) storageRef(path, name string) *Storage {
	if name == "" {
		v.ps.at(path, "", "storage is missing")
		return nil
	}
	s := v.c.Storage(name)
	if s == nil {
		v.ps.at(path, "declare it under storages", "unknown storage %q", name)
	}
	return s
}

func (v *validator) backup(i int) {
	b := &v.c.Backups[i]
	p := fmt.Sprintf("backups[%d]", i)
	v.name(p+".name", b.Name, "backup")
	rs := v.c.ReplicaSet(b.ReplicaSet)
	if b.ReplicaSet == "" {
		v.ps.at(p+".replica_set", "", "replica_set is missing")
	} else if rs == nil {
		v.ps.at(p+".replica_set", "declare it under replica_sets", "unknown replica set %q", b.ReplicaSet)
	}
	st := v.storageRef(p+".storage", b.Storage)
	v.schedule(p, b.Schedule, b.Timezone)
	seen := map[string]bool{}
	for j, c := range b.CopyTo {
		cp := fmt.Sprintf("%s.copy_to[%d]", p, j)
		switch {
		case c == b.Storage:
			v.ps.at(cp, "copy to the other site's storage", "copy_to names the backup's own storage %q", c)
		case seen[c]:
			v.ps.at(cp, "", "storage %q listed twice", c)
		default:
			v.storageRef(cp, c)
		}
		seen[c] = true
	}
	v.backupOptions(p, b)
	if rs != nil && st != nil && st.Site != "" && len(rs.MembersIn(st.Site)) == 0 {
		v.ps.warnAt(p+".storage", "backups read from a member in the storage's site to keep dump traffic local",
			"replica set %q has no member in site %q of storage %q", rs.Name, st.Site, st.Name)
	}
}

func (v *validator) backupOptions(p string, b *Backup) {
	switch b.Compression.Algorithm {
	case "", "zstd", "none":
	default:
		v.ps.at(p+".compression.algorithm", "use zstd or none", "unknown compression %q", b.Compression.Algorithm)
	}
	if b.Compression.Level < 0 || b.Compression.Level > 4 {
		v.ps.at(p+".compression.level", "1 fastest, 2 default, 3 better, 4 best", "compression level %d out of range 1..4", b.Compression.Level)
	}
	if e := b.Encryption; e != nil {
		if e.RecipientsFile == "" {
			v.ps.at(p+".encryption.recipients_file", "a file of age recipients (age1… public keys), one per line", "recipients_file is missing")
		}
		for _, f := range []struct{ key, val string }{{"recipients_file", e.RecipientsFile}, {"identity_file", e.IdentityFile}} {
			if f.val != "" && !filepath.IsAbs(f.val) {
				v.ps.at(p+".encryption."+f.key, "write an absolute path", "relative path %q", f.val)
			}
		}
	}
	r := b.Retention
	if r.Daily < 0 || r.Weekly < 0 || r.Monthly < 0 {
		v.ps.at(p+".retention", "", "retention counts cannot be negative")
	} else if r.Daily+r.Weekly+r.Monthly == 0 {
		v.ps.warnAt(p+".retention", "set daily/weekly/monthly counts so prune can reclaim space", "no retention: every backup is kept")
	}
	if r.DrillReports < 0 {
		v.ps.at(p+".retention.drill_reports", "give how many drill reports to keep (0 keeps them all)", "drill_reports %d is negative", r.DrillReports)
	}
	if s := b.PITR.Slice.D(); s != 0 && (s < 10*time.Second || s > time.Hour) {
		v.ps.at(p+".pitr.slice", "keep it between 10s and 1h (the RPO is about one slice)", "slice %v out of range", s)
	}
	if b.PITR.Window > 0 && !b.PITR.Enabled {
		v.ps.at(p+".pitr.window", "set pitr.enabled: true, or remove the window", "a PITR window without PITR archiving")
	}
	switch b.Source.Prefer {
	case "", "hidden", "secondary":
	case "primary":
		if !b.Source.AllowPrimary {
			v.ps.at(p+".source.prefer", "set allow_primary: true to accept the load on the primary", "prefer: primary without allow_primary")
		}
	default:
		v.ps.at(p+".source.prefer", "use hidden, secondary or primary", "unknown source preference %q", b.Source.Prefer)
	}
	if b.Parallelism < 0 || b.Parallelism > 64 {
		v.ps.at(p+".parallelism", "", "parallelism %d out of range 0..64", b.Parallelism)
	}
}

func (v *validator) drill(i int) {
	d := &v.c.Drills[i]
	p := fmt.Sprintf("drills[%d]", i)
	v.name(p+".name", d.Name, "drill")
	b := v.c.Backup(d.Backup)
	if d.Backup == "" {
		v.ps.at(p+".backup", "", "backup is missing")
	} else if b == nil {
		v.ps.at(p+".backup", "declare it under backups", "unknown backup %q", d.Backup)
	}
	v.schedule(p, d.Schedule, d.Timezone)
	t := d.Target
	switch {
	case t.ReplicaSet != "" && t.URIEnv != "":
		v.ps.at(p+".target", "keep one of them", "target has both replica_set and uri_env")
	case t.ReplicaSet != "":
		if v.c.ReplicaSet(t.ReplicaSet) == nil {
			v.ps.at(p+".target.replica_set", "declare the scratch set under replica_sets", "unknown replica set %q", t.ReplicaSet)
		} else if b != nil && b.ReplicaSet == t.ReplicaSet {
			v.ps.at(p+".target.replica_set", "a drill restores into a scratch target, never into the set it backs up", "target is the backed-up replica set %q", t.ReplicaSet)
		}
	case t.URIEnv != "":
		if !looksLikeEnvName(t.URIEnv) {
			v.ps.at(p+".target.uri_env", "name the environment variable that holds the scratch URI", "%q is not an environment variable name; it looks like a URI written in clear", redact(t.URIEnv))
		}
	default:
		v.ps.at(p+".target", "set target.replica_set (a scratch set) or target.uri_env", "drill has no scratch target")
	}
	if d.MaxRTO <= 0 {
		v.ps.at(p+".max_rto", "the longest acceptable restore, for example 30m", "max_rto is missing")
	}
	if d.MaxRPO <= 0 {
		v.ps.at(p+".max_rpo", "the most data you accept to lose, for example 5m", "max_rpo is missing")
	}
	v.drillFrom(p, d, b)
	if h := d.Webhook; h != nil {
		wp := p + ".webhook"
		v.secret(wp, "url", h.URLEnv, h.URLFile, true)
		if h.Timeout < 0 || h.Timeout.D() > 5*time.Minute {
			v.ps.at(wp+".timeout", "a few seconds, for example 10s (the default): a slow webhook must not hold the drill", "timeout %s out of range 0..5m", h.Timeout)
		}
	}
}

// drillFrom checks from_storage: a configured storage that holds the
// backup job's copies.
func (v *validator) drillFrom(p string, d *Drill, b *Backup) {
	if d.FromStorage == "" {
		return
	}
	if v.storageRef(p+".from_storage", d.FromStorage) == nil || b == nil {
		return
	}
	if d.FromStorage != b.Storage && !slices.Contains(b.CopyTo, d.FromStorage) {
		v.ps.at(p+".from_storage", fmt.Sprintf("add it to backups %q copy_to, or name one of its storages (%s)", b.Name, strings.Join(append([]string{b.Storage}, b.CopyTo...), ", ")),
			"backup %q is not copied to storage %q", b.Name, d.FromStorage)
	}
}
