package sched

import (
	"fmt"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/robfig/cron/v3"
)

// Schedule computes a job's slots: the instants it is due. It wraps
// robfig/cron with two corrections that matter for nightly backups
// (robfig skips a time that a spring-forward change removes and fires twice
// a time that a fall-back change repeats):
//   - a wall-clock time skipped by a spring-forward change is due once, at
//     that wall time read in the offset before the change (02:30 on the day
//     Paris jumps from 02:00 to 03:00 runs at 03:30 CEST);
//   - a wall-clock time repeated by a fall-back change is due once, at its
//     first occurrence.
//
// "@every D" slots are aligned on multiples of D (not on the process start),
// so every node computes the same slots.
type Schedule struct {
	expr  string
	spec  *cron.SpecSchedule
	every time.Duration
	loc   *time.Location
}

// ParseSchedule reads a cron expression (the config's syntax: five fields or
// a descriptor) in the time zone tz ("" is config.DefaultTimezone).
func ParseSchedule(expr, tz string) (*Schedule, error) {
	loc, err := config.Location(tz)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: time zone %q: %w", expr, tz, err)
	}
	s, err := config.CronParser().Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", expr, err)
	}
	out := &Schedule{expr: expr, loc: loc}
	switch v := s.(type) {
	case *cron.SpecSchedule:
		v.Location = loc
		out.spec = v
	case cron.ConstantDelaySchedule:
		out.every = v.Delay
	default:
		return nil, fmt.Errorf("parse schedule %q: unsupported kind %T", expr, s)
	}
	return out, nil
}

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first slot strictly after t.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		return t.Truncate(s.every).Add(s.every)
	}
	after := t
	for range 8 { // at most one repeated occurrence per change; bounded anyway
		c := s.spec.Next(after.In(s.loc))
		if c.IsZero() {
			return c
		}
		if g, ok := s.gapSlot(after, c); ok {
			return g
		}
		if !s.repeated(c) {
			return c
		}
		after = c
	}
	return s.spec.Next(after.In(s.loc))
}

// gapSlot finds a slot that robfig skipped because its wall time does not
// exist: the schedule evaluated in the fixed offset in force at after.
func (s *Schedule) gapSlot(after, c time.Time) (time.Time, bool) {
	name, off := after.In(s.loc).Zone()
	fixed := *s.spec
	fixed.Location = time.FixedZone(name, off)
	f := fixed.Next(after.In(fixed.Location))
	if f.IsZero() || !f.Before(c) || wallExists(f, s.loc) {
		return time.Time{}, false
	}
	return f, true
}

// wallExists reports whether the wall-clock reading of t (in t's own zone)
// exists in loc. time.Date normalises a nonexistent time to another one.
func wallExists(t time.Time, loc *time.Location) bool {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	u := time.Date(y, mo, d, h, mi, sec, 0, loc)
	uy, umo, ud := u.Date()
	uh, umi, usec := u.Clock()
	return uy == y && umo == mo && ud == d && uh == h && umi == mi && usec == sec
}

// repeated reports whether c's wall time already happened earlier that day
// (the second pass through a fall-back hour).
func (s *Schedule) repeated(c time.Time) bool {
	c = c.In(s.loc)
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		e := c.Add(-d).In(s.loc)
		if sameWall(e, c) {
			return true
		}
	}
	return false
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// maxScan bounds the slots walked when looking back over an outage.
const maxScan = 1 << 20

// Latest returns the newest slot in (from, to], if any.
func (s *Schedule) Latest(from, to time.Time) (time.Time, bool) {
	var last time.Time
	t := from
	for range maxScan {
		n := s.Next(t)
		if n.IsZero() || n.After(to) {
			break
		}
		last, t = n, n
	}
	return last, !last.IsZero()
}

// StartDecision is what a new leader does about slots missed while no
// leader ran the schedule.
type StartDecision struct {
	// Slot is the newest missed slot (zero when none was missed).
	Slot time.Time
	// Run: the slot is younger than the catch-up window and runs now.
	// Otherwise a missed slot is recorded as skipped with Reason.
	Run    bool
	Reason string
}

// AtStart decides what happens to the slots between lastSlot (the newest
// slot the group started or skipped) and now. Only the newest missed slot
// counts, like systemd's Persistent=true: it runs once if it is at most
// window old, else it is recorded as skipped. A job that never had a slot
// (lastSlot zero) missed nothing: it waits for its next slot.
func AtStart(s *Schedule, lastSlot, now time.Time, window time.Duration) StartDecision {
	if lastSlot.IsZero() {
		return StartDecision{}
	}
	slot, ok := s.Latest(lastSlot, now)
	if !ok {
		return StartDecision{}
	}
	if age := now.Sub(slot); age <= window {
		return StartDecision{Slot: slot, Run: true, Reason: fmt.Sprintf("missed while no coordinator led; %s old, within the %s catch-up window", age.Round(time.Second), window)}
	}
	return StartDecision{Slot: slot, Reason: fmt.Sprintf("missed while no coordinator led; %s old, beyond the %s catch-up window",
		now.Sub(slot).Round(time.Second), window)}
}
