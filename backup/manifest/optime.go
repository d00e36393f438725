package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Timestamp is a BSON timestamp (seconds and increment) as found in the
// oplog's ts field.
type Timestamp struct {
	T uint32 `json:"t"`
	I uint32 `json:"i"`
}

// TS converts a BSON timestamp.
func TS(b bson.Timestamp) Timestamp { return Timestamp{T: b.T, I: b.I} }

// BSON converts to a BSON timestamp.
func (t Timestamp) BSON() bson.Timestamp { return bson.Timestamp{T: t.T, I: t.I} }

// Compare orders timestamps.
func (t Timestamp) Compare(o Timestamp) int {
	switch {
	case t.T != o.T:
		if t.T < o.T {
			return -1
		}
		return 1
	case t.I != o.I:
		if t.I < o.I {
			return -1
		}
		return 1
	}
	return 0
}

// Before reports t < o.
func (t Timestamp) Before(o Timestamp) bool { return t.Compare(o) < 0 }

// IsZero reports the zero timestamp.
func (t Timestamp) IsZero() bool { return t.T == 0 && t.I == 0 }

// Time is the timestamp's second as a time.
func (t Timestamp) Time() time.Time { return time.Unix(int64(t.T), 0).UTC() }

// String is "T.I" with fixed widths, which sorts like the timestamps.
func (t Timestamp) String() string { return fmt.Sprintf("%010d.%010d", t.T, t.I) }

// ParseTimestamp reads the String form.
func ParseTimestamp(s string) (Timestamp, error) {
	a, b, ok := strings.Cut(s, ".")
	if !ok || len(a) != 10 || len(b) != 10 {
		return Timestamp{}, fmt.Errorf("timestamp %q: want TTTTTTTTTT.IIIIIIIIII", s)
	}
	t, err1 := strconv.ParseUint(a, 10, 32)
	i, err2 := strconv.ParseUint(b, 10, 32)
	if err1 != nil || err2 != nil {
		return Timestamp{}, fmt.Errorf("timestamp %q: not numbers", s)
	}
	return Timestamp{T: uint32(t), I: uint32(i)}, nil
}

// OpTime is a position in the oplog with the wall time of its entry.
type OpTime struct {
	TS   Timestamp `json:"ts"`
	Term int64     `json:"term"`
	Wall time.Time `json:"wall"`
}
