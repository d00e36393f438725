package mongosim

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

func TestSmoke(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	c := setClient(t, rs)
	ctx := context.Background()
	coll := c.Database("app").Collection("things")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "x", Value: 1}}, bson.D{{Key: "x", Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "x", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "y", Value: "a"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "x", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	sec := c.Database("app", options.Database().SetReadPreference(readpref.Secondary())).Collection("things")
	waitFor(t, 10*time.Second, "replication", func() bool {
		n, err := sec.CountDocuments(ctx, bson.D{{Key: "y", Value: "a"}})
		return err == nil && n == 1
	})
	t.Log(s.State())
}
