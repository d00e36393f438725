package auditreport

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/config"
)

// JobFacts is what the storages hold for one backups[] entry, read with
// the backup packages (the catalog is the bucket: no coordinator needed).
type JobFacts struct {
	Job *config.Backup
	// Interval is the longest gap between two runs of its schedule.
	Interval    time.Duration
	IntervalErr error
	// Storages are the job's own storage, then each of copy_to.
	Storages []StorageFacts
	// Recipients counts the age recipients of its recipients file.
	Recipients    int
	RecipientsErr error
	// PITR slices and gap records in the job's own storage.
	Slices      int
	NewestSlice time.Time
	SlicesErr   error
	Gaps        []*manifest.Gap
	GapsErr     error
}

// StorageFacts is one storage's catalog of the job's replica set.
type StorageFacts struct {
	Name, Site string
	// Backups are the complete backups, oldest first.
	Backups    []jobs.Summary
	Incomplete int
	Err        error
}

// Newest is the newest complete backup, or nil.
func (s StorageFacts) Newest() *jobs.Summary {
	if len(s.Backups) == 0 {
		return nil
	}
	return &s.Backups[len(s.Backups)-1]
}

// StorageCheck is what `citadel storage check` finds of one storage.
type StorageCheck struct {
	Storage *config.Storage
	Result  backup.CheckResult
	Err     error
}

// storageTimeout bounds the reads of one storage, and its checks (which
// may wait out a probe's few-second lock): an unreachable MinIO is a
// finding, not a hung report.
const storageTimeout = time.Minute

// gatherJob reads the catalogs of one backup job.
func gatherJob(ctx context.Context, env jobs.Env, b *config.Backup, now time.Time) JobFacts {
	f := JobFacts{Job: b}
	f.Interval, f.IntervalErr = scheduleInterval(b.Schedule, b.Timezone, now)
	if b.Encryption != nil {
		_, text, err := backup.Codec(b)
		f.Recipients, f.RecipientsErr = len(text), err
	}
	for _, name := range append([]string{b.Storage}, b.CopyTo...) {
		f.Storages = append(f.Storages, f.storage(ctx, env, name))
	}
	return f
}

// storage reads one storage's catalog of the job's set (and, for the
// job's own storage, its PITR archive).
func (f *JobFacts) storage(ctx context.Context, env jobs.Env, name string) StorageFacts {
	ctx, cancel := context.WithTimeout(ctx, storageTimeout)
	defer cancel()
	b := f.Job
	sf := StorageFacts{Name: name}
	if sc := env.Config.Storage(name); sc != nil {
		sf.Site = sc.Site
	}
	loc, err := jobs.Locate(env, jobs.LocateRequest{Storage: name, ReplicaSet: b.ReplicaSet})
	if err == nil {
		var res jobs.ListResult
		res, err = jobs.List(ctx, loc, false)
		sf.Backups, sf.Incomplete = res.Backups, res.Incomplete
		slices.SortStableFunc(sf.Backups, func(a, b jobs.Summary) int { return a.End.Compare(b.End) })
		if name == b.Storage && err == nil {
			f.pitr(ctx, loc)
		}
	}
	if err != nil {
		sf.Err = fmt.Errorf("list the backups of %s in %s: %w", b.ReplicaSet, name, err)
		if name == b.Storage {
			f.SlicesErr, f.GapsErr = sf.Err, sf.Err
		}
	}
	return sf
}

// pitr reads the slices and gap records of the job's own storage.
func (f *JobFacts) pitr(ctx context.Context, loc *jobs.Location) {
	sl, _, err := catalog.Slices(ctx, loc.Storage, f.Job.ReplicaSet)
	if err != nil {
		f.SlicesErr = fmt.Errorf("list the PITR slices of %s: %w", f.Job.ReplicaSet, err)
	}
	f.Slices = len(sl)
	for _, s := range sl {
		if t := time.Unix(int64(s.Upper.T), 0).UTC(); t.After(f.NewestSlice) {
			f.NewestSlice = t
		}
	}
	gaps, err := catalog.Gaps(ctx, loc.Storage, f.Job.ReplicaSet)
	if err != nil {
		f.GapsErr = fmt.Errorf("read the PITR gap records of %s: %w", f.Job.ReplicaSet, err)
	}
	for _, g := range gaps {
		f.Gaps = append(f.Gaps, g.Gap)
	}
}

// scheduleInterval is the longest gap between two of the next runs of a
// schedule (a weekly one: 7 days; "0 2 * * 1-5": 3 days).
func scheduleInterval(expr, tz string, from time.Time) (time.Duration, error) {
	loc, err := config.Location(tz)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: time zone: %w", expr, err)
	}
	s, err := config.CronParser().Parse(expr)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", expr, err)
	}
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay, nil
	}
	if spec, ok := s.(*cron.SpecSchedule); ok {
		spec.Location = loc
	}
	var longest time.Duration
	prev := s.Next(from)
	for range 40 {
		next := s.Next(prev)
		if next.IsZero() || prev.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	if longest == 0 {
		return 0, fmt.Errorf("schedule %q never runs twice", expr)
	}
	return longest, nil
}

// backupStorages are the storages any backup job writes or copies to,
// in the order of the config.
func backupStorages(cfg *config.Config) []*config.Storage {
	var out []*config.Storage
	for _, b := range cfg.Backups {
		for _, name := range append([]string{b.Storage}, b.CopyTo...) {
			if sc := cfg.Storage(name); sc != nil && !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}

// checkStorages runs `citadel storage check`'s checks on every storage
// that holds backups (a probe object is written, read and deleted).
func checkStorages(ctx context.Context, cfg *config.Config) []StorageCheck {
	var out []StorageCheck
	for _, sc := range backupStorages(cfg) {
		ctx, cancel := context.WithTimeout(ctx, storageTimeout)
		res, err := backup.CheckStorage(ctx, sc)
		cancel()
		out = append(out, StorageCheck{Storage: sc, Result: res, Err: err})
	}
	return out
}
