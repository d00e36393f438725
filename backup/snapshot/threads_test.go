package snapshot

import "testing"

func TestThreadsFor(t *testing.T) {
	for _, tc := range []struct {
		docs, total int64
		workers     int
		want        int
	}{
		{1_000_000, 1_000_300, 4, 4}, // one large collection and small ones
		{300, 1_000_300, 4, 1},
		{250, 1000, 4, 1}, // four equal collections
		{500, 1000, 4, 2}, // half the data
		{0, 1000, 4, 1},
		{10, 0, 4, 1},
		{1000, 1000, 1, 1},
	} {
		if got := threadsFor(tc.docs, tc.total, tc.workers); got != tc.want {
			t.Errorf("threadsFor(%d, %d, %d) = %d, want %d", tc.docs, tc.total, tc.workers, got, tc.want)
		}
	}
}
