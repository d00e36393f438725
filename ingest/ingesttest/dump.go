package ingesttest

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Dump returns every collection of db as sorted canonical Extended JSON
// documents, without the top-level fields named in drop (those that
// legitimately differ between two loads, such as a reject's file name).
func Dump(t testing.TB, db *mongo.Database, drop ...string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatalf("list collections of %s: %v", db.Name(), err)
	}
	out := map[string][]string{}
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatalf("read %s.%s: %v", db.Name(), name, err)
		}
		var docs []string
		for cur.Next(ctx) {
			var d bson.D
			if err := bson.Unmarshal(cur.Current, &d); err != nil {
				t.Fatal(err)
			}
			d = slices.DeleteFunc(d, func(e bson.E) bool { return slices.Contains(drop, e.Key) })
			b, err := bson.MarshalExtJSON(d, true, false)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(b))
		}
		if err := cur.Err(); err != nil {
			t.Fatalf("read %s.%s: %v", db.Name(), name, err)
		}
		slices.Sort(docs)
		out[name] = docs
	}
	return out
}

// SameDumps fails the test with the first difference between two dumps.
func SameDumps(t testing.TB, what string, got, want map[string][]string) {
	t.Helper()
	for coll, w := range want {
		g := got[coll]
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d documents, want %d", what, coll, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s: %s differs:\n got %s\nwant %s", what, coll, g[i], w[i])
				break
			}
		}
	}
	for coll := range got {
		if _, ok := want[coll]; !ok {
			t.Errorf("%s: unexpected collection %s", what, coll)
		}
	}
}
