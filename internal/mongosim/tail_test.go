package mongosim

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A getMore waiting on a tailable awaitData cursor sees the set change
// (writes it does not match, then one it does) and answers; the set keeps
// answering meanwhile.
func TestTailWaitsThroughChanges(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	c := setClient(t, rs)
	oplogColl := c.Database("local").Collection("oplog.rs")
	cur, err := oplogColl.Find(ctx, bson.D{{Key: "ns", Value: "shop.wanted"}},
		options.Find().SetCursorType(options.TailableAwait).SetMaxAwaitTime(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(ctx)
	done := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		other := c.Database("shop").Collection("other")
		for i := range 5 {
			if _, err := other.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
				done <- err
				return
			}
		}
		_, err := c.Database("shop").Collection("wanted").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}})
		done <- err
	}()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for cur.Next(tctx) {
		if cur.Current.Lookup("op").StringValue() == "i" {
			break
		}
	}
	if err := cur.Err(); err != nil || cur.Current == nil || cur.Current.Lookup("ns").StringValue() != "shop.wanted" {
		t.Fatalf("tail: %v, last %s", err, cur.Current)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(tctx, nil); err != nil {
		t.Fatalf("the set stopped answering while a tail waited: %v", err)
	}
	_ = s
}
