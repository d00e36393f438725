package quality

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzValuesAtPath: a data file's path ("values[].year", "a.b") read
// from any document, well-formed or not, gives values, never a panic and
// never a null; the key hash and the freshness bounds take any document.
func FuzzValuesAtPath(f *testing.F) {
	raw, _ := bson.Marshal(bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: int32(1)}}},
		{Key: "v", Value: bson.A{bson.D{{Key: "y", Value: int32(2001)}}, nil, "x"}}, {Key: "n", Value: nil}})
	for _, p := range []string{"a.b", "v[].y", "v[]", "n", "", ".", "[]", "a..b", "v[][].y"} {
		f.Add(raw, p)
	}
	f.Add([]byte{5, 0, 0, 0, 0}, "a")
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 3, 'a', 0}, "a.b")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		d := bson.Raw(data)
		for _, v := range values(d, path) {
			if v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
				t.Fatalf("%s: a null value", path)
			}
		}
		newKeySet([]string{path, "a"}).add(d)
		var b bounds
		for _, v := range values(d, path) {
			b.add(v)
		}
	})
}
