package retention

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/manifest"
)

var now = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

// daily returns one complete backup per day at 02:00 for n days before now,
// named by date ("d2026-03-30").
func daily(n int) []Backup {
	var out []Backup
	for i := 1; i <= n; i++ {
		end := time.Date(2026, 3, 31, 2, 0, 0, 0, time.UTC).AddDate(0, 0, -i+1)
		if end.After(now) {
			continue
		}
		out = append(out, complete("d"+end.Format("2006-01-02"), end))
	}
	return out
}

func complete(id string, end time.Time) Backup {
	return Backup{ID: id, Complete: true, End: end, EndTS: manifest.Timestamp{T: uint32(end.Unix())}}
}

func ids(p Plan, keep bool) []string {
	var out []string
	for _, d := range p.Backups {
		if d.Keep == keep {
			out = append(out, d.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestRules(t *testing.T) {
	cases := []struct {
		name    string
		backups []Backup
		pol     Policy
		keep    []string
	}{
		{"no policy keeps everything", daily(5), Policy{}, []string{"d2026-03-27", "d2026-03-28", "d2026-03-29", "d2026-03-30", "d2026-03-31"}},
		{"daily 3", daily(10), Policy{Daily: 3}, []string{"d2026-03-29", "d2026-03-30", "d2026-03-31"}},
		{"newest of a day wins", append(daily(2), complete("late", time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC))),
			Policy{Daily: 1}, []string{"late"}},
		// 2026-03-31 is a Tuesday: ISO weeks W14 (Mar 30..31), W13 (Mar 23..29), W12 (Mar 16..22).
		{"weekly 3", daily(21), Policy{Weekly: 3}, []string{"d2026-03-22", "d2026-03-29", "d2026-03-31"}},
		{"monthly 2 across months", daily(45), Policy{Monthly: 2}, []string{"d2026-02-28", "d2026-03-31"}},
		{"daily and weekly overlap", daily(21), Policy{Daily: 2, Weekly: 2}, []string{"d2026-03-29", "d2026-03-30", "d2026-03-31"}},
		{"newest always kept even when policy counts are tiny", daily(3), Policy{Monthly: 1}, []string{"d2026-03-31"}},
		{"locked kept", append(daily(3), Backup{ID: "d2026-03-01", Complete: true, End: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC),
			EndTS: manifest.Timestamp{T: 1}, Locked: now.Add(time.Hour)}), Policy{Daily: 1}, []string{"d2026-03-01", "d2026-03-31"}},
		{"time zone decides the day", []Backup{
			complete("a", time.Date(2026, 3, 30, 22, 30, 0, 0, time.UTC)), // 00:30 on the 31st in Paris (CEST)
			complete("b", time.Date(2026, 3, 30, 21, 30, 0, 0, time.UTC)), // 23:30 on the 30th in Paris
			complete("c", time.Date(2026, 3, 29, 21, 30, 0, 0, time.UTC)),
		}, Policy{Daily: 2, Location: mustLoc(t, "Europe/Paris")}, []string{"a", "b"}},
		{"incomplete recent kept, old removed", append(daily(1),
			Backup{ID: "run", Newest: now.Add(-time.Hour)}, Backup{ID: "dead", Newest: now.Add(-48 * time.Hour)}),
			Policy{Daily: 1}, []string{"d2026-03-31", "run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Make(now, tc.backups, nil, tc.pol)
			if got := ids(p, true); strings.Join(got, ",") != strings.Join(tc.keep, ",") {
				t.Fatalf("kept %v, want %v\n%+v", got, tc.keep, p.Backups)
			}
			for _, d := range p.Backups {
				if len(d.Reasons) == 0 {
					t.Errorf("%s has no reason", d.ID)
				}
			}
		})
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// hourly slices between two times, named by their last second.
func hourly(from, to time.Time) []Slice {
	var out []Slice
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		out = append(out, Slice{Name: t.Format("0102T15"), First: manifest.Timestamp{T: uint32(t.Unix()) + 1},
			Last: manifest.Timestamp{T: uint32(t.Add(time.Hour).Unix())}})
	}
	return out
}

func TestPITR(t *testing.T) {
	bks := daily(5) // 27..31 at 02:00
	sl := hourly(time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC), now)
	cases := []struct {
		name     string
		pol      Policy
		from     time.Time // slices whose last entry is after this are kept
		keep     []string
		bks      []Backup
		noDelete bool
	}{
		{"back to the oldest kept backup", Policy{Daily: 3}, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC),
			[]string{"d2026-03-29", "d2026-03-30", "d2026-03-31"}, bks, false},
		{"window keeps its base backup", Policy{Daily: 1, PITRWindow: 36 * time.Hour}, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC),
			[]string{"d2026-03-29", "d2026-03-31"}, bks, false},
		{"window older than every backup", Policy{Daily: 1, PITRWindow: 30 * 24 * time.Hour}, time.Date(2026, 3, 27, 2, 0, 0, 0, time.UTC),
			[]string{"d2026-03-27", "d2026-03-31"}, bks, false},
		{"no backup: keep every slice", Policy{Daily: 1}, time.Time{}, nil, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Make(now, tc.bks, sl, tc.pol)
			if got := ids(p, true); strings.Join(got, ",") != strings.Join(tc.keep, ",") {
				t.Fatalf("kept %v, want %v", got, tc.keep)
			}
			if tc.noDelete {
				if len(p.DeleteSlices) != 0 {
					t.Fatalf("deleted %v without any backup", p.DeleteSlices)
				}
				return
			}
			cut := uint32(tc.from.Unix())
			for _, s := range sl {
				deleted := slices.Contains(p.DeleteSlices, s.Name)
				if needed := s.Last.T > cut; needed == deleted {
					t.Errorf("slice %s (last %d, cut %d): deleted=%v", s.Name, s.Last.T, cut, deleted)
				}
			}
			if p.KeptSlices+len(p.DeleteSlices) != len(sl) {
				t.Fatal("slices lost from the plan")
			}
		})
	}
}

// TestNeverRemovesWhatARestoreNeeds checks invariants over many policies:
// the newest backup is kept, and every kept backup newer than PITRFrom can
// be rolled forward to now through kept slices.
func TestNeverRemovesWhatARestoreNeeds(t *testing.T) {
	bks := daily(60)
	sl := hourly(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), now)
	for d := 0; d <= 8; d += 4 {
		for w := 0; w <= 5; w += 5 {
			for m := 0; m <= 3; m += 3 {
				for _, win := range []time.Duration{0, 6 * time.Hour, 10 * 24 * time.Hour} {
					pol := Policy{Daily: d, Weekly: w, Monthly: m, PITRWindow: win}
					p := Make(now, bks, sl, pol)
					name := fmt.Sprintf("%+v", pol)
					kept := ids(p, true)
					if !slices.Contains(kept, "d2026-03-31") {
						t.Fatalf("%s: newest removed", name)
					}
					for _, s := range sl {
						if p.PITRFrom.Before(s.Last) && slices.Contains(p.DeleteSlices, s.Name) {
							t.Fatalf("%s: removed needed slice %s", name, s.Name)
						}
					}
					if win > 0 {
						opens := uint32(now.Add(-win).Unix())
						if p.PITRFrom.T > opens {
							t.Fatalf("%s: window opens at %d but slices kept only from %d", name, opens, p.PITRFrom.T)
						}
					}
				}
			}
		}
	}
}
