package retention

import (
	"slices"
	"testing"
	"time"
)

func TestReports(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	r := func(id string, lockedFor time.Duration) Report {
		rep := Report{Key: "main/drills/" + id + ".json", ID: id}
		if lockedFor != 0 {
			rep.Locked = now.Add(lockedFor)
		}
		return rep
	}
	five := []Report{r("20261127T050000Z-0001", 0), r("20261201T050000Z-0009", 0), r("20261128T050000Z-0003", 0),
		r("20261130T050000Z-0007", 0), r("20261129T050000Z-0005", 0)}
	cases := []struct {
		name    string
		reports []Report
		keep    int
		want    []string // ids removed, oldest last
	}{
		{name: "keep zero keeps all", reports: five, keep: 0},
		{name: "fewer than keep", reports: five, keep: 9},
		{name: "exactly keep", reports: five, keep: 5},
		{name: "newest two kept whatever the listing order", reports: five, keep: 2,
			want: []string{"20261129T050000Z-0005", "20261128T050000Z-0003", "20261127T050000Z-0001"}},
		{name: "a locked old one stays", reports: append(slices.Clone(five[1:]), r("20261127T050000Z-0001", time.Hour)), keep: 2,
			want: []string{"20261129T050000Z-0005", "20261128T050000Z-0003"}},
		{name: "a lock that expired does not", reports: append(slices.Clone(five[1:]), r("20261127T050000Z-0001", -time.Hour)), keep: 4,
			want: []string{"20261127T050000Z-0001"}},
		{name: "none", reports: nil, keep: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Reports(now, tc.reports, tc.keep)
			var want []string
			for _, id := range tc.want {
				want = append(want, "main/drills/"+id+".json")
			}
			if !slices.Equal(got, want) {
				t.Errorf("Reports(keep %d) = %v, want %v", tc.keep, got, want)
			}
		})
	}
}
