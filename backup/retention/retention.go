// Package retention decides, as a pure function, which backups and oplog
// slices prune may remove: keep-daily/weekly/monthly like restic's
// keep-daily (the newest backup of each of the last N days that have one),
// plus everything the point-in-time window needs, and never the newest
// complete backup, anything under object lock or anything when no policy is
// set.
package retention

import (
	"fmt"
	"slices"
	"time"

	"github.com/noscites/citadel/backup/manifest"
)

// Backup is what the planner knows of one stored backup.
type Backup struct {
	ID       string
	Complete bool               // has a valid manifest
	End      time.Time          // wall time of the end optime (complete backups)
	EndTS    manifest.Timestamp // end optime (complete backups)
	Newest   time.Time          // newest write, objects and leftovers (incomplete backups)
	Locked   time.Time          // retain-until of its objects, zero when unlocked
}

// Slice is one committed PITR oplog slice.
type Slice struct {
	Name   string // record name, for the plan
	First  manifest.Timestamp
	Last   manifest.Timestamp
	Locked time.Time
}

// Policy is the retention of one backup configuration.
type Policy struct {
	Daily, Weekly, Monthly int
	// PITRWindow is how far back a point-in-time restore must stay possible;
	// zero means back to the oldest kept backup.
	PITRWindow time.Duration
	// Location sets day, week and month boundaries (nil is UTC).
	Location *time.Location
	// DrillReports is how many drill reports to keep per replica set in
	// each storage, the newest; zero keeps them all.
	DrillReports int
	// IncompleteAfter is the age after which a backup without manifest is
	// taken for the remains of a killed run (default 24 h).
	IncompleteAfter time.Duration
}

// IncompleteAge is IncompleteAfter, or its default of 24 h: the age after
// which the remains of an interrupted write are removed.
func (p Policy) IncompleteAge() time.Duration {
	if p.IncompleteAfter > 0 {
		return p.IncompleteAfter
	}
	return 24 * time.Hour
}

// Decision is the fate of one backup.
type Decision struct {
	ID       string   `json:"id"`
	Complete bool     `json:"complete"`
	Keep     bool     `json:"keep"`
	Reasons  []string `json:"reasons"`
}

// Plan is what prune will do.
type Plan struct {
	Backups      []Decision `json:"backups"`
	DeleteSlices []string   `json:"delete_slices"`
	KeptSlices   int        `json:"kept_slices"`
	// PITRFrom is the oplog position from which slices are kept.
	PITRFrom manifest.Timestamp `json:"pitr_from"`
}

// Delete lists the ids of the backups to remove.
func (p Plan) Delete() []string {
	var out []string
	for _, d := range p.Backups {
		if !d.Keep {
			out = append(out, d.ID)
		}
	}
	return out
}

type planner struct {
	now   time.Time
	pol   Policy
	keep  map[string][]string
	order []Backup // complete backups, newest first
}

func (pl *planner) mark(id, reason string) { pl.keep[id] = append(pl.keep[id], reason) }

// Make computes the plan. It never removes the newest complete backup,
// an object under retention, or a slice a kept backup's point-in-time
// window needs.
func Make(now time.Time, backups []Backup, slicesIn []Slice, pol Policy) Plan {
	if pol.Location == nil {
		pol.Location = time.UTC
	}
	pol.IncompleteAfter = pol.IncompleteAge()
	pl := &planner{now: now, pol: pol, keep: map[string][]string{}}
	for _, b := range backups {
		if b.Complete {
			pl.order = append(pl.order, b)
		}
	}
	slices.SortStableFunc(pl.order, func(a, b Backup) int { return b.EndTS.Compare(a.EndTS) })
	pl.keepComplete()
	from, haveFrom := pl.pitrFrom()
	plan := Plan{PITRFrom: from}
	for _, b := range backups {
		d := Decision{ID: b.ID, Complete: b.Complete}
		switch {
		case b.Complete:
			d.Reasons = pl.keep[b.ID]
		case b.Locked.After(now):
			d.Reasons = []string{"incomplete, under object lock until " + b.Locked.Format(time.RFC3339)}
		case now.Sub(b.Newest) < pol.IncompleteAfter:
			d.Reasons = []string{"incomplete and recent: maybe still running"}
		}
		d.Keep = len(d.Reasons) > 0
		if !d.Keep && !b.Complete {
			d.Reasons = []string{"incomplete: no manifest, left by an interrupted run"}
		} else if !d.Keep {
			d.Reasons = []string{"outside the retention policy"}
		}
		plan.Backups = append(plan.Backups, d)
	}
	slices.SortFunc(plan.Backups, func(a, b Decision) int { return cmpString(b.ID, a.ID) })
	for _, s := range slicesIn {
		if !haveFrom || from.Before(s.Last) || s.Locked.After(now) {
			plan.KeptSlices++
		} else {
			plan.DeleteSlices = append(plan.DeleteSlices, s.Name)
		}
	}
	return plan
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (pl *planner) keepComplete() {
	if len(pl.order) == 0 {
		return
	}
	pol := pl.pol
	if pol.Daily+pol.Weekly+pol.Monthly == 0 {
		for _, b := range pl.order {
			pl.mark(b.ID, "no retention policy: everything is kept")
		}
		return
	}
	pl.mark(pl.order[0].ID, "newest complete backup")
	loc := pol.Location
	pl.bucket(pol.Daily, "daily", func(t time.Time) string { return t.In(loc).Format("2006-01-02") })
	pl.bucket(pol.Weekly, "weekly", func(t time.Time) string {
		y, w := t.In(loc).ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	})
	pl.bucket(pol.Monthly, "monthly", func(t time.Time) string { return t.In(loc).Format("2006-01") })
	for _, b := range pl.order {
		if b.Locked.After(pl.now) {
			pl.mark(b.ID, "under object lock until "+b.Locked.Format(time.RFC3339))
		}
	}
}

// bucket keeps the newest backup of each of the n most recent periods.
func (pl *planner) bucket(n int, name string, period func(time.Time) string) {
	last := ""
	for _, b := range pl.order {
		if n == 0 {
			return
		}
		p := period(b.End)
		if p == last {
			continue
		}
		last = p
		pl.mark(b.ID, name+" "+p)
		n--
	}
}

// pitrFrom is the oplog position after which every slice is kept: the end
// of the oldest kept backup, or with a window, the end of the newest
// backup that ends before the window opens (or of the oldest backup when
// all are inside it), which is then kept as the window's base.
func (pl *planner) pitrFrom() (manifest.Timestamp, bool) {
	var kept []Backup
	for _, b := range pl.order {
		if len(pl.keep[b.ID]) > 0 {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 {
		return manifest.Timestamp{}, false
	}
	oldest := kept[len(kept)-1]
	if pl.pol.PITRWindow <= 0 {
		return oldest.EndTS, true
	}
	opens := pl.now.Add(-pl.pol.PITRWindow)
	for _, b := range pl.order { // newest first: the first that ends before the window
		if !b.End.After(opens) {
			if len(pl.keep[b.ID]) == 0 {
				pl.mark(b.ID, "base of the point-in-time window")
			}
			return b.EndTS, true
		}
	}
	// Every backup is inside the window: the oldest one is the base.
	first := pl.order[len(pl.order)-1]
	if len(pl.keep[first.ID]) == 0 {
		pl.mark(first.ID, "base of the point-in-time window")
	}
	return first.EndTS, true
}
