package cluster

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
)

// TestReadLostOneQueryPerCollection (a data path, on plain FerretDB): the
// documents a returning member's divergent writes leave are read from it
// by _id with one batched find per collection (per 1,000 _ids), not one
// per oplog entry; in the order first written; documents it no longer
// holds and deleted ones are left out; a diff update is read like any
// other write.
func TestReadLostOneQueryPerCollection(t *testing.T) {
	srv := testbed.StartFerretDBT(t)
	u, err := url.Parse(srv.URI())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := testbed.Connect(t, srv.URI())
	orders, users := make([]any, 1500), []any{bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "u1"}}, bson.D{{Key: "_id", Value: 3}}}
	for i := range orders {
		orders[i] = bson.D{{Key: "_id", Value: int32(i)}, {Key: "v", Value: i}}
	}
	if _, err := c.Database("app").Collection("orders").InsertMany(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Database("app").Collection("users").InsertMany(ctx, users); err != nil {
		t.Fatal(err)
	}

	d, err := NewDialer(config.MongoDB{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	finds := map[string]int{}
	d.opts = append(d.opts, func(o *options.ClientOptions) {
		o.SetMonitor(&event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
			if e.CommandName == "find" {
				mu.Lock()
				finds[e.DatabaseName+"."+e.Command.Lookup("find").StringValue()]++
				mu.Unlock()
			}
		}})
	})
	m := NewManager(d, slog.New(slog.DiscardHandler), nil)
	t.Cleanup(func() { _ = m.Close(ctx) })

	id := func(v any) bson.RawValue { return rawDoc(t, bson.D{{Key: "_id", Value: v}}).Lookup("_id") }
	var oldest []OplogEntry
	for i := 1499; i >= 0; i-- { // written newest _id first
		oldest = append(oldest, OplogEntry{Op: "i", NS: "app.orders", ID: id(int32(i))})
	}
	oldest = append(oldest,
		OplogEntry{Op: "i", NS: "app.orders", ID: id(int32(5000))}, // no longer held
		OplogEntry{Op: "u", NS: "app.users", ID: id(int32(1))},     // a $v:2 diff: no image
		OplogEntry{Op: "i", NS: "app.users", ID: id(int32(2))},
		OplogEntry{Op: "d", NS: "app.users", ID: id(int32(2))})
	x := &examination{report: RollbackReport{Host: u.Host}}
	for i := len(oldest) - 1; i >= 0; i-- { // the walk gives them newest first
		x.divergent = append(x.divergent, oldest[i])
	}
	m.readLost(ctx, x)

	if x.report.Unexamined || x.from != "collections" {
		t.Fatalf("examined %+v from %q", x.report, x.from)
	}
	got := x.docs["app.orders"]
	if len(got) != 1500 || got[0].Lookup("_id").Int32() != 1499 || got[1499].Lookup("_id").Int32() != 0 {
		t.Fatalf("app.orders: %d documents, first %v", len(got), got[0])
	}
	if u := x.docs["app.users"]; len(u) != 1 || u[0].Lookup("n").StringValue() != "u1" {
		t.Errorf("app.users: %v, want the updated u1 only", u)
	}
	if finds["app.orders"] != 2 || finds["app.users"] != 1 {
		t.Errorf("finds %v, want 2 on app.orders (1,500 _ids in chunks of 1,000) and 1 on app.users", finds)
	}
}
