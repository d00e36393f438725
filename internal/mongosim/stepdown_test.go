package mongosim

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Must show: replSetStepDown refuses with 262 ExceededTimeLimit when no
// electable secondary catches up; a stepped-down primary may stand again
// as soon as replSetFreeze 0 ends its step-down period (one timer, as in
// mongod); a reconfig that cannot commit within maxTimeMS fails with 50
// MaxTimeMSExpired.
func TestStepDownFreezeAndTimeLimits(t *testing.T) {
	rs := twoSite(t)
	s := startSim(t, rs)
	initiate(t, s, rs)
	ctx := context.Background()
	p1, p2, l1, l2 := rs.Members[0].Host, rs.Members[1].Host, rs.Members[2].Host, rs.Members[3].Host
	must(t, s.PauseReplication(p2), s.PauseReplication(l1))
	w1 := direct(t, p1).Database("app").Collection("t", options.Collection().SetWriteConcern(writeconcern.W1()))
	if _, err := w1.InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "step-down with no caught-up secondary", rawCmd(t, p1, bson.D{{Key: "replSetStepDown", Value: 10},
		{Key: "secondaryCatchUpPeriodSecs", Value: 1}, {Key: "$db", Value: "admin"}}), 262, "ExceededTimeLimit")
	must(t, s.ResumeReplication(p2), s.ResumeReplication(l1))

	runCmd(t, direct(t, p1), bson.D{{Key: "replSetStepDown", Value: 60}, {Key: "secondaryCatchUpPeriodSecs", Value: 5}})
	waitFor(t, 10*time.Second, "p2 to take over", func() bool { return s.Primary(rs.Name) == p2 })
	time.Sleep(4 * testElection)
	if p := s.Primary(rs.Name); p != p2 {
		t.Fatalf("p1 came back as primary during its step-down period: %s", p)
	}
	unfreeze := runCmd(t, direct(t, p1), bson.D{{Key: "replSetFreeze", Value: 0}})
	if unfreeze.Lookup("info").StringValue() != "unfreezing" {
		t.Errorf("replSetFreeze 0: %s", unfreeze)
	}
	start := time.Now()
	waitFor(t, 10*time.Second, "p1 (priority 2) to take over once unfrozen", func() bool { return s.Primary(rs.Name) == p1 })
	t.Logf("p1 primary again %v after replSetFreeze 0 (election timeout %v)", time.Since(start).Round(time.Millisecond), testElection)

	waitFor(t, 10*time.Second, "p1's config to commit in its term", func() bool {
		return runCmd(t, direct(t, p1), bson.D{{Key: "replSetGetConfig", Value: 1}, {Key: "commitmentStatus", Value: true}}).Lookup("commitmentStatus").Boolean()
	})
	// Lyon cut off: a config that makes l2 a voter needs 3 of 4 voters and
	// only Paris has it.
	must(t, s.Partition([]string{p1, p2}, []string{l1, l2}))
	c := direct(t, p1)
	cfg := runCmd(t, c, bson.D{{Key: "replSetGetConfig", Value: 1}}).Lookup("config").Document()
	members, _ := cfg.Lookup("members").Array().Values()
	next := bson.A{}
	for _, m := range members {
		d := bson.D{}
		must(t, bson.Unmarshal(m.Document(), &d))
		if m.Document().Lookup("host").StringValue() == l2 {
			d = bson.D{{Key: "_id", Value: 3}, {Key: "host", Value: l2}, {Key: "priority", Value: 0}, {Key: "votes", Value: 1}, {Key: "hidden", Value: true}}
		}
		next = append(next, d)
	}
	reply := rawCmd(t, p1, bson.D{{Key: "replSetReconfig", Value: bson.D{{Key: "_id", Value: rs.Name}, {Key: "version", Value: cfg.Lookup("version").Int32() + 1},
		{Key: "members", Value: next}, {Key: "settings", Value: cfg.Lookup("settings").Document()}}}, {Key: "maxTimeMS", Value: 300}, {Key: "$db", Value: "admin"}})
	wantCode(t, "reconfig that cannot commit", reply, 50, "MaxTimeMSExpired")
	s.Heal()
}
