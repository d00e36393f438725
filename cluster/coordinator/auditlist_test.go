package coordinator

import (
	"errors"
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", time.Time{}, false},
		{"24h", now.Add(-24 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"2026-03-01T14:30:00+01:00", time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC), false},
		{"2026-03-01T14:30:00.5Z", time.Date(2026, 3, 1, 14, 30, 0, 5e8, time.UTC), false},
		{"yesterday", time.Time{}, true},
		{"-1h", time.Time{}, true},
		{"0s", time.Time{}, true},
		{"2026-03-01", time.Time{}, true},
	} {
		got, err := ParseSince(tc.in, now)
		if tc.bad != (err != nil) || (err != nil && !errors.Is(err, ErrBadSince)) || !got.Equal(tc.want) {
			t.Errorf("ParseSince(%q) = %s, %v; want %s (bad %t)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "24h", "2026-03-01T14:30:00+01:00", "-5m", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSince(s, now)
		if err != nil {
			if !errors.Is(err, ErrBadSince) || !got.IsZero() {
				t.Fatalf("ParseSince(%q): %v with %s", s, err, got)
			}
			return
		}
		if s == "" && !got.IsZero() {
			t.Fatalf("ParseSince(\"\") = %s", got)
		}
	})
}
