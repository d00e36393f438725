package mongosim

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestCatalogSpecsReplicate proves a TTL index and a view, which FerretDB
// cannot hold, come back from listIndexes/listCollections on a secondary.
func TestCatalogSpecsReplicate(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	db := setClient(t, rs).Database("meta")
	if _, err := db.Collection("sessions").Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(3600).SetName("at_ttl")}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateView(ctx, "recent", "sessions", bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "x", Value: 1}}}}}); err != nil {
		t.Fatal(err)
	}
	sec := direct(t, rs.Members[1].Host).Database("meta")
	waitFor(t, 10*time.Second, "the TTL spec on a secondary", func() bool {
		cur, err := sec.Collection("sessions").Indexes().List(ctx)
		if err != nil {
			return false
		}
		var specs []bson.Raw
		_ = cur.All(ctx, &specs)
		for _, sp := range specs {
			if sp.Lookup("name").StringValue() == "at_ttl" && sp.Lookup("expireAfterSeconds").IsNumber() {
				return true
			}
		}
		return false
	})
	cur, err := sec.ListCollections(ctx, bson.D{{Key: "name", Value: "recent"}})
	if err != nil {
		t.Fatal(err)
	}
	var colls []bson.Raw
	_ = cur.All(ctx, &colls)
	if len(colls) != 1 || colls[0].Lookup("type").StringValue() != "view" {
		t.Fatalf("view on secondary: %v", colls)
	}
}
