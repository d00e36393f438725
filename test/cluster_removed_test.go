package test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// waitState waits until citadel's status shows every named member in state.
func (w *world) waitState(t *testing.T, cfg string, d time.Duration, state string, names ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st, all := status(t, cfg), true
		for _, n := range names {
			all = all && st.member(w.host[n]).State == state
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, want %v %s: %+v", d, names, state, st.Members)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRemoved checks a REMOVED member answers as mongod 7.0's does: hello
// like a member without a config, replSetGetStatus refused with 93.
func (w *world) checkRemoved(t *testing.T, name string) {
	t.Helper()
	admin := w.direct(t, name).Database("admin")
	var hello bson.M
	must(t, admin.RunCommand(context.Background(), bson.D{{Key: "hello", Value: 1}}).Decode(&hello))
	if hello["isWritablePrimary"] != false || hello["secondary"] != false || hello["isreplicaset"] != true || hello["setName"] != nil {
		t.Errorf("hello of REMOVED %s: %v", name, hello)
	}
	err := admin.RunCommand(context.Background(), bson.D{{Key: "replSetGetStatus", Value: 1}}).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 93 || ce.Name != "InvalidReplicaSetConfig" {
		t.Errorf("replSetGetStatus on REMOVED %s: %v, want 93 InvalidReplicaSetConfig", name, err)
	}
}

// divergence is what a member's oplog holds after the last entry another
// member also has.
type divergence struct {
	inserts int
	ns      map[string]int
}

// divergent walks a's oplog backwards until an entry b also holds.
func (w *world) divergent(t *testing.T, a, b string) divergence {
	t.Helper()
	ctx := context.Background()
	ca, cb := w.direct(t, a), w.direct(t, b)
	cur, err := ca.Database("local").Collection("oplog.rs").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "$natural", Value: -1}}))
	if err != nil {
		t.Fatalf("the oplog of %s cannot be read (mongod serves the local database in any state): %v", a, err)
	}
	defer cur.Close(ctx)
	out := divergence{ns: map[string]int{}}
	for cur.Next(ctx) {
		e := cur.Current
		err := cb.Database("local").Collection("oplog.rs").FindOne(ctx, bson.D{{Key: "ts", Value: e.Lookup("ts")}, {Key: "t", Value: e.Lookup("t")}}).Err()
		if err == nil {
			return out
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			t.Fatal(err)
		}
		if e.Lookup("op").StringValue() == "i" {
			out.inserts++
			out.ns[e.Lookup("ns").StringValue()]++
		}
	}
	must(t, cur.Err())
	return out
}

// checkRejoinReport checks that rejoin reported, for each Paris member,
// the 5 writes it will lose, and added both back.
func (w *world) checkRejoinReport(t *testing.T, out string, took time.Duration) {
	t.Helper()
	var rep struct {
		Rollback []struct {
			Host       string         `json:"host"`
			Entries    int            `json:"entries"`
			ByNS       map[string]int `json:"by_namespace"`
			ByOp       map[string]int `json:"by_op"`
			First      time.Time      `json:"first"`
			Last       time.Time      `json:"last"`
			Unexamined bool           `json:"unexamined"`
		} `json:"rollback"`
		Steps         []json.RawMessage `json:"steps"`
		VersionBefore int               `json:"version_before"`
		VersionAfter  int               `json:"version_after"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("rejoin json: %v\n%s", err, out)
	}
	for _, r := range rep.Rollback {
		t.Logf("MEASURED rejoin report: %s: %d write(s) to roll back %v %v, from %s to %s",
			r.Host, r.Entries, r.ByNS, r.ByOp, r.First.Format(time.RFC3339), r.Last.Format(time.RFC3339))
	}
	t.Logf("MEASURED rejoin: %d step(s), config version %d → %d, %s", len(rep.Steps), rep.VersionBefore, rep.VersionAfter, took.Round(time.Millisecond))
	seen := map[string]bool{}
	for _, r := range rep.Rollback {
		seen[r.Host] = true
		if r.Unexamined || r.Entries != 5 || len(r.ByNS) != 1 || r.ByNS["app.orders"] != 5 || r.ByOp["insert"] != 5 {
			t.Errorf("rejoin should report the 5 inserts into app.orders %s holds; it says %+v", r.Host, r)
		}
	}
	if !seen[w.host["p1"]] || !seen[w.host["p2"]] || len(rep.Steps) != 2 {
		t.Errorf("rejoin reported %d member(s) and ran %d step(s), want p1 and p2 in 2 steps", len(rep.Rollback), len(rep.Steps))
	}
}

// checkRolledBack checks the returning members dropped their divergent
// writes (keeping them in their rollback directory) and hold the
// primary's history.
func (w *world) checkRolledBack(t *testing.T, app *mongo.Client, primary string, names ...string) {
	t.Helper()
	ctx := context.Background()
	want := map[string]int64{"before": 20, "lost": 0, "after": 3}
	for _, n := range append([]string{primary}, names...) {
		orders := app.Database("app").Collection("orders")
		if n != primary {
			orders = w.direct(t, n).Database("app").Collection("orders")
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := map[string]int64{}
			for tag := range want {
				c, err := orders.CountDocuments(ctx, bson.D{{Key: "tag", Value: tag}})
				must(t, err)
				got[tag] = c
			}
			if got["before"] == want["before"] && got["lost"] == want["lost"] && got["after"] == want["after"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: documents by tag %v, want %v", n, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n == primary {
			continue
		}
		if d := w.divergent(t, n, primary); d.inserts != 0 {
			t.Errorf("%s still holds %d insert(s) %s does not have", n, d.inserts, primary)
		}
		host := strings.NewReplacer(":", "_", "/", "_").Replace(w.host[n])
		files, _ := filepath.Glob(filepath.Join(w.data, "main", host, "rollback", "removed.*.bson"))
		if len(files) == 0 {
			t.Errorf("%s kept no rollback file", n)
		}
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				t.Logf("MEASURED %s rolled back into %s (%d bytes)", n, filepath.Base(f), fi.Size())
			}
		}
	}
}
