package archive

import (
	"testing"
	"time"
)

// The lock date is computed at each put: an archiver running for weeks
// locks each slice from its own write, never until a date in the past.
func TestDestinationLocksFromEachPut(t *testing.T) {
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	d := Destination{LockDays: 14, Now: func() time.Time { return now }}
	first := d.Put().RetainUntil
	now = now.AddDate(0, 0, 30)
	later := d.Put().RetainUntil
	if want := time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Errorf("first put locked until %v, want %v", first, want)
	}
	if want := time.Date(2026, 4, 14, 2, 0, 0, 0, time.UTC); !later.Equal(want) {
		t.Errorf("a put 30 days later locked until %v, want %v", later, want)
	}
	if !(Destination{}).Put().RetainUntil.IsZero() {
		t.Error("no lock days, yet a retain-until date")
	}
}
