package sched

import (
	"strings"
	"testing"
	"time"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestNextSlots(t *testing.T) {
	p := paris(t)
	tests := []struct {
		name  string
		expr  string
		tz    string
		after time.Time
		want  []string // successive slots, RFC 3339
	}{
		{"nightly in Paris, winter", "0 2 * * *", "", time.Date(2026, 1, 10, 12, 0, 0, 0, p),
			[]string{"2026-01-11T02:00:00+01:00", "2026-01-12T02:00:00+01:00"}},
		{"nightly in Paris, summer", "0 2 * * *", "Europe/Paris", time.Date(2026, 7, 10, 12, 0, 0, 0, p),
			[]string{"2026-07-11T02:00:00+02:00"}},
		{"UTC zone when named", "0 2 * * *", "UTC", time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC),
			[]string{"2026-01-11T02:00:00Z"}},
		{"spring forward: 02:30 does not exist, runs once at 03:30 CEST", "30 2 * * *", "", time.Date(2026, 3, 28, 12, 0, 0, 0, p),
			[]string{"2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"spring forward: 03:00 exists, unchanged", "0 3 * * *", "", time.Date(2026, 3, 28, 12, 0, 0, 0, p),
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00"}},
		{"fall back: 02:30 happens twice, runs once", "30 2 * * *", "", time.Date(2026, 10, 24, 12, 0, 0, 0, p),
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"fall back: 01:30 is not in the repeated hour", "30 1 * * *", "", time.Date(2026, 10, 24, 12, 0, 0, 0, p),
			[]string{"2026-10-25T01:30:00+02:00", "2026-10-26T01:30:00+01:00"}},
		{"half-hourly across fall back: the repeated hour once", "*/30 * * * *", "", time.Date(2026, 10, 25, 1, 45, 0, 0, p),
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00"}},
		{"weekly descriptor", "@weekly", "", time.Date(2026, 1, 7, 12, 0, 0, 0, p),
			[]string{"2026-01-11T00:00:00+01:00"}},
		{"@every aligned on multiples", "@every 10m", "", time.Date(2026, 1, 7, 12, 3, 7, 0, time.UTC),
			[]string{"2026-01-07T12:10:00Z", "2026-01-07T12:20:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr, tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			at := tt.after
			for i, w := range tt.want {
				want, err := time.Parse(time.RFC3339, w)
				if err != nil {
					t.Fatal(err)
				}
				at = s.Next(at)
				if !at.Equal(want) {
					t.Fatalf("slot %d = %s, want %s", i, at.In(s.Location()).Format(time.RFC3339), w)
				}
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, tt := range []struct{ expr, tz, want string }{
		{"61 * * * *", "", "parse schedule"},
		{"0 2 * * *", "Mars/Olympus", "time zone"},
		{"", "", "parse schedule"},
	} {
		if _, err := ParseSchedule(tt.expr, tt.tz); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSchedule(%q, %q) = %v, want an error containing %q", tt.expr, tt.tz, err, tt.want)
		}
	}
}

func TestAtStart(t *testing.T) {
	p := paris(t)
	nightly, err := ParseSchedule("0 2 * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, p) }
	tests := []struct {
		name     string
		last     time.Time
		now      time.Time
		window   time.Duration
		wantSlot time.Time
		wantRun  bool
	}{
		{"new job: nothing missed", time.Time{}, day(10, 9, 0), 12 * time.Hour, time.Time{}, false},
		{"nothing missed: last slot is the newest", day(10, 2, 0), day(10, 9, 0), 12 * time.Hour, time.Time{}, false},
		{"missed 02:00, back at 09:00, 12h window: runs", day(9, 2, 0), day(10, 9, 0), 12 * time.Hour, day(10, 2, 0), true},
		{"missed 02:00, back at 15:00, 12h window: skipped", day(9, 2, 0), day(10, 15, 0), 12 * time.Hour, day(10, 2, 0), false},
		{"down three nights: only the newest counts, once", day(6, 2, 0), day(10, 3, 0), 12 * time.Hour, day(10, 2, 0), true},
		{"exactly at the window edge: runs", day(9, 2, 0), day(10, 14, 0), 12 * time.Hour, day(10, 2, 0), true},
		{"zero window: never catches up", day(9, 2, 0), day(10, 2, 1), 0, day(10, 2, 0), false},
		{"missed the spring-forward slot", day(28, 2, 0), day(29, 4, 0), time.Hour, time.Date(2026, 3, 29, 2, 0, 0, 0, time.FixedZone("CET", 3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := AtStart(nightly, tt.last, tt.now, tt.window)
			if !d.Slot.Equal(tt.wantSlot) || d.Run != tt.wantRun {
				t.Fatalf("AtStart = {slot %s run %v %q}, want {slot %s run %v}", d.Slot, d.Run, d.Reason, tt.wantSlot, tt.wantRun)
			}
			if !d.Slot.IsZero() && d.Reason == "" {
				t.Fatal("a missed slot without a reason")
			}
		})
	}
}
