package dictionary

import "math"

// DistinctBound is how many distinct values a field's count stays exact
// for; past it the count is an estimate (relative standard error about
// 1/sqrt(DistinctBound-2), 1.6 %).
const DistinctBound = 4096

// kmv counts distinct values with a K-Minimum-Values sketch: it keeps the
// k smallest 64-bit hashes seen. While it holds fewer than k hashes it
// holds every hash, so the count is exact (up to 64-bit hash collisions:
// about one in 10^12 for 4,096 values); past k the k-th smallest hash U
// (as a fraction of 2^64) estimates the count as (k-1)/U (Bar-Yossef et
// al., "Counting distinct elements in a data stream", 2002). Memory is
// O(k) whatever the number of values.
type kmv struct {
	k    int
	heap []uint64 // max-heap of the k smallest hashes
	set  map[uint64]struct{}
	full bool // a hash was ever dropped: the count is an estimate
}

func newKMV(k int) *kmv {
	return &kmv{k: k, set: map[uint64]struct{}{}}
}

func (s *kmv) add(h uint64) {
	if _, ok := s.set[h]; ok {
		return
	}
	if len(s.heap) < s.k {
		s.set[h] = struct{}{}
		s.heap = append(s.heap, h)
		s.up(len(s.heap) - 1)
		return
	}
	s.full = true
	if h >= s.heap[0] {
		return
	}
	delete(s.set, s.heap[0])
	s.set[h] = struct{}{}
	s.heap[0] = h
	s.down(0)
}

// count is the number of distinct values and whether it is exact.
func (s *kmv) count() (int64, bool) {
	if !s.full {
		return int64(len(s.heap)), true
	}
	u := float64(s.heap[0]) / math.Exp2(64)
	if u == 0 {
		return int64(s.k), false
	}
	return int64(math.Round(float64(s.k-1) / u)), false
}

func (s *kmv) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p] >= s.heap[i] {
			return
		}
		s.heap[p], s.heap[i] = s.heap[i], s.heap[p]
		i = p
	}
}

func (s *kmv) down(i int) {
	n := len(s.heap)
	for {
		big, l, r := i, 2*i+1, 2*i+2
		if l < n && s.heap[l] > s.heap[big] {
			big = l
		}
		if r < n && s.heap[r] > s.heap[big] {
			big = r
		}
		if big == i {
			return
		}
		s.heap[big], s.heap[i] = s.heap[i], s.heap[big]
		i = big
	}
}

// hasher is FNV-1a over a value's bytes, finished with MurmurHash3's
// 64-bit mixer: FNV alone leaves the high bits of short inputs poorly
// spread, and a KMV sketch needs hashes uniform over the whole range.
type hasher uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHasher(tag byte) hasher { return hasher(fnvOffset).byte(tag) }

func (h hasher) byte(b byte) hasher { return (h ^ hasher(b)) * fnvPrime }

func (h hasher) bytes(b []byte) hasher {
	for _, c := range b {
		h = (h ^ hasher(c)) * fnvPrime
	}
	return h
}

func (h hasher) string(s string) hasher {
	for i := 0; i < len(s); i++ {
		h = (h ^ hasher(s[i])) * fnvPrime
	}
	return h
}

func (h hasher) uint64(v uint64) hasher {
	for i := 0; i < 8; i++ {
		h = h.byte(byte(v >> (8 * i)))
	}
	return h
}

func (h hasher) sum() uint64 {
	x := uint64(h)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
