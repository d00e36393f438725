package mongosim

import (
	"context"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// TestOneMemberSet: a one-member set is initiated through the driver —
// with its config (as the backup tests' scratch set is), with {} (what
// mongosh's rs.initiate() sends: mongod then makes a default config of
// itself) or with no document — elects itself and takes writes, w:majority
// included (a majority of one is the primary alone).
func TestOneMemberSet(t *testing.T) {
	for _, tc := range []struct {
		name      string
		arg       func(config.ReplicaSet) any
		isDefault bool
	}{
		{"config", func(rs config.ReplicaSet) any { return initiateDoc(rs) }, false},
		{"empty", func(config.ReplicaSet) any { return bson.D{} }, true},
		{"none", func(config.ReplicaSet) any { return int32(1) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := config.ReplicaSet{Name: "solo", Members: []config.Member{{Host: testbed.FreeAddr(t), Site: "paris"}}}
			rs.Settings.ElectionTimeout = config.Duration(testElection)
			rs.Settings.HeartbeatInterval = config.Duration(testHeartbeat)
			s := startSim(t, rs)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			reply, err := direct(t, rs.Members[0].Host).Database("admin").RunCommand(ctx, bson.D{{Key: "replSetInitiate", Value: tc.arg(rs)}}).Raw()
			if err != nil {
				t.Fatalf("replSetInitiate: %v", err)
			}
			if _, ok := reply.Lookup("info2").StringValueOK(); ok != tc.isDefault {
				t.Errorf("replSetInitiate reply %s: info2 present %v, want %v", reply, ok, tc.isDefault)
			}
			waitFor(t, 20*time.Second, "a primary", func() bool { return s.Primary(rs.Name) == rs.Members[0].Host })
			c := setClient(t, rs, options.Client().SetWriteConcern(writeconcern.Majority()))
			coll := c.Database("app").Collection("solo")
			if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}}); err != nil {
				t.Fatalf("insert into a one-member set: %v", err)
			}
			if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "y", Value: 1}}}}); err != nil {
				t.Fatalf("update in a one-member set: %v", err)
			}
			if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 2 {
				t.Fatalf("count: %d, %v", n, err)
			}
			var cfg struct {
				Config struct {
					ID      string `bson:"_id"`
					Members []struct {
						Host string `bson:"host"`
					} `bson:"members"`
				} `bson:"config"`
			}
			if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "replSetGetConfig", Value: 1}}).Decode(&cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Config.ID != "solo" || len(cfg.Config.Members) != 1 || cfg.Config.Members[0].Host != rs.Members[0].Host {
				t.Fatalf("config %+v", cfg.Config)
			}
		})
	}
}
