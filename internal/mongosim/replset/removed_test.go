package replset

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func opAt(secs uint32, term int64) OpTime { return OpTime{TS: bson.Timestamp{T: secs, I: 1}, T: term} }

// lyonForced plays the site loss: Paris (p1 stopped, p2 cut off) holds a
// write Lyon never had; Lyon forces a config without Paris and elects l1.
func lyonForced(t *testing.T) (*Set, time.Time) {
	s, now := initiated(t)
	for _, h := range s.Hosts() {
		s.SetApplied(h, opAt(100, 1), now)
	}
	s.Partition([][]string{{"p1:1", "p2:1"}, {"l1:1", "l2:1"}})
	s.SetApplied("p1:1", opAt(101, 1), now)
	s.SetApplied("p2:1", opAt(101, 1), now)
	s.Stop("p1:1")
	now = run(s, now, 1500*time.Millisecond)
	c := s.Node("l1:1").Config.Clone()
	c.Members = c.Members[2:]
	c.Version++
	if err := s.Reconfig("l1:1", c, true, now); err != nil {
		t.Fatal(err)
	}
	now = run(s, now, 1500*time.Millisecond)
	if p := primaries(s); len(p) != 1 || p[0] != "l1:1" {
		t.Fatalf("after the forced reconfig: %v", p)
	}
	s.SetApplied("l1:1", opAt(102, s.Node("l1:1").Term), now)
	return s, now
}

func TestRemovedAfterHealSyncsFromNoOne(t *testing.T) {
	s, now := lyonForced(t)
	s.Heal()
	// Until a heartbeat goes through, p2 knows nothing of l1: it must not
	// pick it (nor its diverged history) as a sync source.
	if src := s.SyncSource("p2:1"); src != "" {
		t.Fatalf("p2 syncs from %s before hearing from it", src)
	}
	now = run(s, now, 300*time.Millisecond)
	if st := s.Node("p2:1").State; st != Removed {
		t.Fatalf("p2 after heal: %v, want REMOVED", st)
	}
	if src := s.SyncSource("p2:1"); src != "" {
		t.Fatalf("REMOVED p2 syncs from %s", src)
	}
	s.Start("p1:1", now)
	if st := s.Node("p1:1").State; st != Secondary {
		t.Fatalf("p1 restarted with its old config: %v", st)
	}
	now = run(s, now, 300*time.Millisecond)
	if st := s.Node("p1:1").State; st != Removed || s.SyncSource("p1:1") != "" {
		t.Fatalf("p1 after learning the new config: %v, syncing from %q", st, s.SyncSource("p1:1"))
	}
	if p := primaries(s); len(p) != 1 || p[0] != "l1:1" {
		t.Fatalf("primaries with Paris removed: %v", p)
	}
	run(s, now, 3*time.Second)
	if s.Node("p1:1").State != Removed || s.Node("p2:1").State != Removed {
		t.Fatal("a REMOVED member left REMOVED without being added back")
	}
}

func TestRemovedTermDoesNotDeposePrimary(t *testing.T) {
	s, now := lyonForced(t)
	s.Heal()
	now = run(s, now, 300*time.Millisecond)
	// A REMOVED member's term reaches no one: the members of the config do
	// not heartbeat it.
	s.Node("p2:1").Term = 99
	run(s, now, time.Second)
	if p := primaries(s); len(p) != 1 || p[0] != "l1:1" {
		t.Fatalf("primaries: %v", p)
	}
	if s.Node("l1:1").Term == 99 {
		t.Fatal("l1 adopted the term of a member outside its config")
	}
}

func TestRemovedAddedBack(t *testing.T) {
	s, now := lyonForced(t)
	s.Heal()
	now = run(s, now, 300*time.Millisecond)
	c := s.Node("l1:1").Config.Clone()
	c.Version++
	c.Members = append(c.Members, MemberConfig{ID: 5, Host: "p2:1", BuildIndexes: true, Priority: 0.25, Votes: 1})
	if err := s.Reconfig("l1:1", c, false, now); err != nil {
		t.Fatal(err)
	}
	// With its data, p2 is a secondary again at once; its sync source is
	// the primary once a heartbeat shows it.
	if st := s.Node("p2:1").State; st != Secondary {
		t.Fatalf("p2 added back: %v, want SECONDARY", st)
	}
	run(s, now, 300*time.Millisecond)
	if src := s.SyncSource("p2:1"); src != "l1:1" {
		t.Fatalf("p2 syncs from %q, want l1", src)
	}
	if s.Node("p1:1").State == Secondary {
		t.Fatal("p1, not added back, became a secondary")
	}
}

func TestRemovedWithoutDataAddedBackSyncsInitially(t *testing.T) {
	s, now := initiated(t)
	c := s.Node("p1:1").Config.Clone()
	c.Version++
	c.Members = c.Members[:3]
	if err := s.Reconfig("p1:1", c, false, now); err != nil {
		t.Fatal(err)
	}
	now = run(s, now, 300*time.Millisecond)
	if st := s.Node("l2:1").State; st != Removed {
		t.Fatalf("removed l2: %v", st)
	}
	c = s.Node("p1:1").Config.Clone()
	c.Version++
	c.Members = append(c.Members, MemberConfig{ID: 3, Host: "l2:1", BuildIndexes: true, Hidden: true})
	if err := s.Reconfig("p1:1", c, false, now); err != nil {
		t.Fatal(err)
	}
	if st := s.Node("l2:1").State; st != Startup2 {
		t.Fatalf("l2 added back without data: %v, want STARTUP2", st)
	}
}

func TestFreezeZeroEndsStepDown(t *testing.T) {
	s, now := initiated(t)
	if err := s.StepDown("p1:1", time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Freeze("p1:1", 30*time.Second, now); err != nil || r != (FreezeReply{}) {
		t.Fatalf("freeze 30 s: %+v, %v", r, err)
	}
	if !s.Node("p1:1").StepDownUntil.Equal(now.Add(time.Minute)) {
		t.Fatal("a shorter freeze cut the step-down period")
	}
	if r, _ := s.Freeze("p1:1", time.Second, now); r.Warning != "you really want to freeze for only 1 second?" {
		t.Fatalf("freeze 1 s: %+v", r)
	}
	now = run(s, now, 3*time.Second)
	if p := primaries(s); p[0] != "p2:1" {
		t.Fatalf("p1 took over during its step-down period: %v", p)
	}
	r, err := s.Freeze("p1:1", 0, now)
	if err != nil || r.Info != "unfreezing" {
		t.Fatalf("freeze 0: %+v, %v", r, err)
	}
	// p1 (priority 2, caught up) takes over by priority within 2 election
	// timeouts once the period is over.
	run(s, now, 3*time.Second)
	if p := primaries(s); len(p) != 1 || p[0] != "p1:1" {
		t.Fatalf("replSetFreeze 0 did not end p1's step-down period: %v", p)
	}
}
