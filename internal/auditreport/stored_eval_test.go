package auditreport

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/drill"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// stored is one storage holding backups that ended ago[i] before now.
func stored(name, site string, ago ...time.Duration) StorageFacts {
	s := StorageFacts{Name: name, Site: site}
	for _, a := range ago {
		end := now.Add(-a)
		s.Backups = append(s.Backups, jobs.Summary{ID: end.Format("20060102T150405Z") + "-0000", End: end, Encrypted: true})
	}
	return s
}

func job(storages ...StorageFacts) JobFacts {
	return JobFacts{Job: &config.Backup{Name: "nightly", ReplicaSet: "main", Schedule: "0 2 * * *", Storage: storages[0].Name},
		Interval: 24 * time.Hour, Storages: storages}
}

func TestBackupAge(t *testing.T) {
	cases := []struct {
		name string
		j    JobFacts
		want string
	}{
		{"recent", job(stored("lyon", "lyon", 48*time.Hour, 3*time.Hour)), "info:the last backup is 3h0m0s old"},
		{"missed runs", job(stored("lyon", "lyon", 30*time.Hour)), "high:the last backup is 30h0m0s old: scheduled runs were missed"},
		{"none", job(stored("lyon", "lyon")), "critical:no complete backup in lyon"},
		{"storage unreadable", job(StorageFacts{Name: "lyon", Err: errors.New("unreachable")}), "high:cannot read the backups in lyon"},
		{"schedule unknown", func() JobFacts {
			j := job(stored("lyon", "lyon", time.Hour))
			j.IntervalErr = errors.New("bad")
			return j
		}(), "medium:cannot check"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, backupAge(tc.j, now)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCopies(t *testing.T) {
	own := stored("lyon", "lyon", 26*time.Hour, 2*time.Hour)
	cases := []struct {
		name string
		j    JobFacts
		want string
	}{
		{"no copy_to", job(own), "high:backups are kept at one site only"},
		{"copied", job(own, stored("paris", "paris", 26*time.Hour, 2*time.Hour)), "info:the newest backup is copied to paris"},
		{"newest not copied yet", job(own, stored("paris", "paris", 20*time.Hour)), "medium:the newest backup is not copied yet"},
		{"copies stopped", job(own, stored("paris", "paris", 50*time.Hour)), "high:the newest copy at paris is 50h0m0s old"},
		{"no copy at all", job(own, stored("paris", "paris")), "high:no copy at paris"},
		{"same site", job(own, stored("lyon-2", "lyon", 2*time.Hour)), "medium:the copy is at the same site"},
		{"copy unreadable", job(own, StorageFacts{Name: "paris", Site: "paris", Err: errors.New("denied")}), "high:cannot read the copies in paris"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, copies(tc.j, now)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEncryption(t *testing.T) {
	enc := func(j JobFacts, n int, err error) JobFacts {
		j.Job.Encryption, j.Recipients, j.RecipientsErr = &config.Encryption{RecipientsFile: "/etc/r.txt"}, n, err
		return j
	}
	clear := stored("lyon", "lyon", time.Hour)
	clear.Backups[0].Encrypted = false
	cases := []struct {
		name string
		j    JobFacts
		want string
	}{
		{"none", job(stored("lyon", "lyon", time.Hour)), "high:backups are stored unencrypted"},
		{"encrypted", enc(job(stored("lyon", "lyon", time.Hour)), 2, nil), "info:backups are encrypted"},
		{"recipients unreadable", enc(job(stored("lyon", "lyon")), 0, errors.New("no such file")), "high:the age recipients cannot be read"},
		{"newest in clear", enc(job(clear), 1, nil), "medium:the newest backup is not encrypted"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, encryption(tc.j)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestObjectLock(t *testing.T) {
	s3 := func(days int) *config.Storage {
		return &config.Storage{Name: "lyon", S3: &config.S3{ObjectLockDays: days}}
	}
	ok := backup.CheckResult{OK: true, Checks: []backup.Check{{Check: "object_lock", Result: "ok", Detail: "enabled"}, {Check: "retention", Result: "ok", Detail: "refused"}}}
	failed := backup.CheckResult{Checks: []backup.Check{{Check: "reachable", Result: "ok"}, {Check: "object_lock", Result: "failed", Detail: "the bucket has no object lock", Fix: "recreate it"}}}
	cases := []struct {
		name string
		c    StorageCheck
		want string
	}{
		{"locked", StorageCheck{Storage: s3(14), Result: ok}, "info:backups are locked for 14 days"},
		{"no lock", StorageCheck{Storage: s3(0), Result: backup.CheckResult{OK: true}}, "medium:backups can be deleted by anyone holding the keys"},
		{"directory", StorageCheck{Storage: &config.Storage{Name: "nas", Filesystem: &config.Filesystem{Path: "/b"}}, Result: backup.CheckResult{OK: true}},
			"medium:a directory cannot lock backups"},
		{"check failed", StorageCheck{Storage: s3(14), Result: failed, Err: errors.New("storage lyon: check object_lock failed")}, "high:storage check failed at object_lock"},
		{"error without checks", StorageCheck{Storage: s3(14), Err: errors.New("boom")}, "high:storage check failed"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, objectLock(tc.c)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRetentionPolicy(t *testing.T) {
	base := func(r config.Retention, pitr config.PITR) JobFacts {
		j := job(stored("lyon", "lyon", 10*24*time.Hour, time.Hour))
		j.Job.Retention, j.Job.PITR = r, pitr
		return j
	}
	week := config.Retention{Daily: 7, Weekly: 4}
	on := config.PITR{Enabled: true, Slice: config.Duration(time.Minute), Window: config.Duration(7 * 24 * time.Hour)}
	current := func(j JobFacts) JobFacts { j.Slices, j.NewestSlice = 100, now.Add(-30*time.Second); return j }
	cases := []struct {
		name string
		j    JobFacts
		want string
	}{
		{"none", base(config.Retention{}, config.PITR{}), "medium:no retention policy"},
		{"keeps one", base(config.Retention{Daily: 1}, config.PITR{}), "medium:the retention keeps at most 1 backup(s)"},
		{"no PITR", base(week, config.PITR{}), "info:the retention keeps up to 11 backups; no PITR"},
		{"PITR current", current(base(week, on)), "info:retention and PITR cover the window"},
		{"PITR stale", func() JobFacts { j := current(base(week, on)); j.NewestSlice = now.Add(-time.Hour); return j }(), "high:the PITR archive is not current"},
		{"PITR never archived", base(week, on), "high:the PITR archive is not current"},
		{"a hole in the window", func() JobFacts {
			j := current(base(week, on))
			j.Gaps = []*manifest.Gap{{Detected: now.Add(-48 * time.Hour), Reason: "the oplog rolled over"}}
			return j
		}(), "high:the PITR archive has a hole"},
		{"an old hole outside the window", func() JobFacts {
			j := current(base(week, on))
			j.Gaps = []*manifest.Gap{{Detected: now.Add(-30 * 24 * time.Hour), Reason: "x"}}
			return j
		}(), "info:"},
		{"younger than the window", func() JobFacts {
			j := current(base(week, on))
			j.Storages[0] = stored("lyon", "lyon", 2*24*time.Hour)
			return j
		}(), "low:point-in-time restores reach back 48h0m0s"},
		{"slices unreadable", func() JobFacts { j := base(week, on); j.SlicesErr = errors.New("denied"); return j }(), "medium:cannot check the PITR archive"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, retentionPolicy(tc.j, now)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestScheduleInterval(t *testing.T) {
	cases := []struct {
		expr string
		want time.Duration
	}{
		{"0 2 * * *", 24 * time.Hour},
		{"@daily", 24 * time.Hour},
		{"0 5 * * 0", 7 * 24 * time.Hour},
		{"0 2 * * 1-5", 3 * 24 * time.Hour},
		{"@every 6h", 6 * time.Hour},
		{"*/15 * * * *", 15 * time.Minute},
	}
	// In UTC: no daylight-saving change inside the runs measured.
	for _, tc := range cases {
		got, err := scheduleInterval(tc.expr, "UTC", now)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.expr, got, err, tc.want)
		}
	}
	if _, err := scheduleInterval("0 2 * *", "UTC", now); err == nil {
		t.Error("a four-field schedule parsed")
	}
}

func TestDrills(t *testing.T) {
	cfg := &config.Config{Backups: []config.Backup{{Name: "nightly"}},
		Drills: []config.Drill{{Name: "weekly", MaxRTO: config.Duration(30 * time.Minute), MaxRPO: config.Duration(5 * time.Minute)}}}
	entry := func(ago time.Duration, passed bool, rto, rpo time.Duration) drill.Entry {
		return drill.Entry{ID: "d1", Kind: drill.KindRestore, Drill: "weekly", Started: now.Add(-ago), Passed: passed, RTO: rto, RPO: rpo, Reasons: 2}
	}
	facts := func(es ...drill.Entry) DrillFacts {
		return DrillFacts{List: drill.ListResult{Drills: es}, Intervals: map[string]time.Duration{"weekly": 7 * 24 * time.Hour}}
	}
	cases := []struct {
		name string
		cfg  *config.Config
		f    DrillFacts
		want string
	}{
		{"no drill configured", &config.Config{Backups: cfg.Backups}, DrillFacts{}, "high:restores are never rehearsed"},
		{"nothing to drill", &config.Config{}, DrillFacts{}, ""},
		{"never run", cfg, facts(), "high:drill weekly has never run"},
		{"a switchover drill is not a restore", cfg, facts(drill.Entry{Kind: drill.KindSwitchover, Drill: "weekly"}), "high:drill weekly has never run"},
		{"passed", cfg, facts(entry(24*time.Hour, true, 3*time.Minute, time.Minute)), "info:the last drill passed: RTO 3m0s, RPO 1m0s"},
		{"failed", cfg, facts(entry(24*time.Hour, false, 0, 0)), "high:the last drill failed (2 reason(s))"},
		{"the newest counts", cfg, facts(entry(time.Hour, false, 0, 0), entry(48*time.Hour, true, time.Minute, time.Minute)), "high:the last drill failed"},
		{"RTO over today's max", cfg, facts(entry(time.Hour, true, time.Hour, time.Minute)), "high:the last drill's RTO exceeds max_rto"},
		{"RPO over today's max", cfg, facts(entry(time.Hour, true, time.Minute, time.Hour)), "high:the last drill's RPO exceeds max_rpo"},
		{"overdue", cfg, facts(entry(20*24*time.Hour, true, time.Minute, time.Minute)), "medium:the last drill is 480h0m0s old"},
		{"unreadable storage", cfg, func() DrillFacts { f := facts(); f.List.Problems = []string{"paris: unreachable"}; return f }(), "medium:drill reports could not all be read"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, drills(tc.cfg, tc.f, now)); !strings.HasPrefix(got, tc.want) || tc.want == "" && got != "" {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
