package metadata

import (
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func sample() *Metadata {
	return &Metadata{
		Options: bson.D{{Key: "capped", Value: false}},
		Indexes: []bson.D{
			{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: "_id_"}},
			{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "at", Value: int32(1)}}}, {Key: "name", Value: "at_1"},
				{Key: "expireAfterSeconds", Value: int32(3600)},
				{Key: "partialFilterExpression", Value: bson.D{{Key: "kind", Value: "session"}}}},
		},
		UUID: "0123456789abcdef0123456789abcdef", CollectionName: "sessions", Type: "collection",
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// mongodump's canonical Extended JSON spells int32 as $numberInt.
	if !strings.Contains(string(b), `"expireAfterSeconds":{"$numberInt":"3600"}`) {
		t.Fatalf("not canonical: %s", b)
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Indexes) != 2 || IndexName(m.Indexes[1]) != "at_1" || m.CollectionName != "sessions" {
		t.Fatalf("%+v", m)
	}
	again, _ := m.Marshal()
	if string(again) != string(b) {
		t.Fatalf("round trip differs:\n%s\n%s", b, again)
	}
}

func TestMongodumpFile(t *testing.T) {
	// As written by mongodump 100.x for a collection with one secondary index.
	file := `{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},{"v":{"$numberInt":"2"},"key":{"city":{"$numberInt":"1"}},"name":"city_1"}],"uuid":"4f0b5c1e7f2a4d9e8b6c3a2d1e0f9a8b","collectionName":"listings","type":"collection"}`
	m, err := Parse([]byte(file))
	if err != nil || len(m.Indexes) != 2 {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestInvalid(t *testing.T) {
	for _, bad := range []string{`{`, `{"indexes":[]}`, `{"collectionName":"c","type":"timeseries"}`,
		`{"collectionName":"c","indexes":[{"name":"x"}]}`, `{"collectionName":"c","indexes":[{"key":{"a":1}}]}`} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("accepted %s (%v)", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := sample().Marshal()
	f.Add(b)
	f.Add([]byte(`{"collectionName":"v","type":"view","options":{"viewOn":"c","pipeline":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("no round trip: %v\n%s", err, out)
		}
	})
}
