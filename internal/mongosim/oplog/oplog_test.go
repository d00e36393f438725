package oplog

import (
	"testing"
	"time"

	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func raw(t *testing.T, v any) bson.Raw {
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEntryFormatAndLog(t *testing.T) {
	var l Log
	for i := uint32(1); i <= 5; i++ {
		o := raw(t, bson.D{{Key: "_id", Value: int32(i)}, {Key: "x", Value: "y"}})
		l.Append(Build(Spec{Op: 'i', NS: "db.c", UI: make([]byte, 16), O: o, O2: raw(t, bson.D{{Key: "_id", Value: int32(i)}})},
			replset.OpTime{TS: bson.Timestamp{T: 100, I: i}, T: 1}, time.Unix(100, 0)))
	}
	e := l.At(2)
	var keys []string
	elems, _ := e.Raw.Elements()
	for _, el := range elems {
		keys = append(keys, el.Key())
	}
	want := "op ns ui o o2 ts t v wall"
	if got := join(keys); got != want {
		t.Fatalf("fields %q, want %q", got, want)
	}
	if e.ID.Int32() != 3 {
		t.Fatal("id")
	}
	if !l.Contains(e.OpTime) || l.Contains(replset.OpTime{TS: e.OpTime.TS, T: 2}) {
		t.Fatal("contains")
	}
	if l.After(e.OpTime) != 3 {
		t.Fatal("after")
	}
	ok, err := Match(e.Raw, raw(t, bson.D{{Key: "ts", Value: bson.D{{Key: "$gt", Value: bson.Timestamp{T: 100, I: 2}}}}, {Key: "o._id", Value: int64(3)}}))
	if err != nil || !ok {
		t.Fatalf("match: %v %v", ok, err)
	}
	if _, err := Match(e.Raw, raw(t, bson.D{{Key: "$where", Value: "1"}})); err == nil {
		t.Fatal("$where accepted")
	}
	l.TruncateAfter(1)
	if l.Len() != 2 || l.Last().TS.I != 2 {
		t.Fatal("truncate")
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
