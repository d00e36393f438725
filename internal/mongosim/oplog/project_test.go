package oplog

import (
	"errors"
	"testing"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestProjection(t *testing.T) {
	entry := raw(t, bson.D{{Key: "op", Value: "i"}, {Key: "ns", Value: "app.orders"},
		{Key: "o", Value: bson.D{{Key: "_id", Value: 7}, {Key: "tag", Value: "lost"}, {Key: "n", Value: 1}}},
		{Key: "ts", Value: bson.Timestamp{T: 100, I: 1}}, {Key: "t", Value: int64(2)}})
	cases := []struct {
		spec bson.D
		want bson.D
	}{
		{bson.D{{Key: "ts", Value: 1}, {Key: "t", Value: true}}, bson.D{{Key: "ts", Value: bson.Timestamp{T: 100, I: 1}}, {Key: "t", Value: int64(2)}}},
		{bson.D{{Key: "t", Value: 1}, {Key: "ts", Value: 1}, {Key: "_id", Value: 0}}, bson.D{{Key: "ts", Value: bson.Timestamp{T: 100, I: 1}}, {Key: "t", Value: int64(2)}}},
		{bson.D{{Key: "o._id", Value: 1}, {Key: "op", Value: 1}}, bson.D{{Key: "op", Value: "i"}, {Key: "o", Value: bson.D{{Key: "_id", Value: 7}}}}},
		{bson.D{{Key: "o", Value: 0}, {Key: "ns", Value: false}}, bson.D{{Key: "op", Value: "i"}, {Key: "ts", Value: bson.Timestamp{T: 100, I: 1}}, {Key: "t", Value: int64(2)}}},
		{bson.D{{Key: "o.tag", Value: 0}, {Key: "_id", Value: 1}, {Key: "ts", Value: 0}, {Key: "t", Value: 0}},
			bson.D{{Key: "op", Value: "i"}, {Key: "ns", Value: "app.orders"}, {Key: "o", Value: bson.D{{Key: "_id", Value: 7}, {Key: "n", Value: 1}}}}},
	}
	for _, c := range cases {
		p, err := ParseProjection(raw(t, c.spec))
		if err != nil {
			t.Fatalf("%v: %v", c.spec, err)
		}
		if got, want := p.Apply(entry), raw(t, c.want); string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", c.spec, got, want)
		}
	}
	if p, err := ParseProjection(raw(t, bson.D{})); err != nil || p.Apply(entry) == nil {
		t.Errorf("an empty projection returns whole entries: %v", err)
	}
}

func TestProjectionRefusals(t *testing.T) {
	cases := []struct {
		spec bson.D
		code int32
	}{
		{bson.D{{Key: "ts", Value: 1}, {Key: "o", Value: 0}}, 31254},
		{bson.D{{Key: "o", Value: 0}, {Key: "ts", Value: 1}}, 31253},
		{bson.D{{Key: "o", Value: bson.D{{Key: "$slice", Value: 1}}}}, mongoerr.CommandNotSupported},
		{bson.D{{Key: "ns", Value: "literal"}}, mongoerr.CommandNotSupported},
		{bson.D{{Key: "o.$", Value: 1}}, mongoerr.CommandNotSupported},
		{bson.D{{Key: "o", Value: 1}, {Key: "o.tag", Value: 1}}, mongoerr.CommandNotSupported},
	}
	for _, c := range cases {
		_, err := ParseProjection(raw(t, c.spec))
		var e *mongoerr.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%v: %v, want code %d", c.spec, err, c.code)
		}
	}
	if _, err := ParseProjection(raw(t, bson.D{{Key: "ts", Value: 1}, {Key: "o", Value: 0}})); err.Error() != "Location31254 (31254): Cannot do exclusion on field o in inclusion projection" {
		t.Errorf("mixed projection: %v", err)
	}
}
