package oplog

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func raw(t *testing.T, d bson.D) bson.Raw {
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpdateDocs(t *testing.T) {
	cases := []struct {
		name string
		o    bson.D
		want string // extended JSON of the update docs, or "replace"
	}{
		{"replacement", bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 2}}, "replace"},
		{"v1 set", bson.D{{Key: "$v", Value: 1}, {Key: "$set", Value: bson.D{{Key: "a", Value: 2}}}}, `[{"$set":{"a":2}}]`},
		{"legacy unset", bson.D{{Key: "$unset", Value: bson.D{{Key: "a", Value: true}}}}, `[{"$unset":{"a":true}}]`},
		{"v2 update insert delete", bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{
			{Key: "d", Value: bson.D{{Key: "old", Value: false}}},
			{Key: "u", Value: bson.D{{Key: "n", Value: 5}}},
			{Key: "i", Value: bson.D{{Key: "new", Value: "x"}}},
		}}}, `[{"$set":{"n":5,"new":"x"},"$unset":{"old":""}}]`},
		{"v2 nested", bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{
			{Key: "saddr", Value: bson.D{{Key: "u", Value: bson.D{{Key: "city", Value: "Lyon"}}}}},
		}}}, `[{"$set":{"addr.city":"Lyon"}}]`},
		{"v2 array", bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{
			{Key: "stags", Value: bson.D{{Key: "a", Value: true}, {Key: "l", Value: 2}, {Key: "u1", Value: "b"},
				{Key: "s0", Value: bson.D{{Key: "u", Value: bson.D{{Key: "k", Value: 1}}}}}}},
		}}}, `[{"$push":{"tags":{"$each":[],"$slice":2}}},{"$set":{"tags.1":"b","tags.0.k":1}}]`},
	}
	for _, tc := range cases {
		ups, repl, err := UpdateDocs(raw(t, tc.o))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want == "replace" {
			if repl == nil {
				t.Errorf("%s: not a replacement", tc.name)
			}
			continue
		}
		got, _ := bson.MarshalExtJSON(bson.D{{Key: "x", Value: ups}}, false, false)
		if want := `{"x":` + tc.want + `}`; string(got) != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
	}
	if _, _, err := UpdateDocs(raw(t, bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{{Key: "zz", Value: 1}}}})); err == nil {
		t.Error("unknown diff section accepted")
	}
}

func FuzzUpdateDocs(f *testing.F) {
	b, _ := bson.Marshal(bson.D{{Key: "$v", Value: 2}, {Key: "diff", Value: bson.D{{Key: "sa", Value: bson.D{{Key: "a", Value: true}, {Key: "u0", Value: 1}}}}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		if bson.Raw(b).Validate() != nil {
			return
		}
		UpdateDocs(b)
	})
}
