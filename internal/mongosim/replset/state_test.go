package replset

import (
	"errors"
	"testing"
	"time"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func cfg4() *Config {
	c := &Config{ID: "rs", Version: 1, Term: UninitializedTerm, Settings: defaultSettings()}
	c.Settings.ElectionTimeoutMillis, c.Settings.HeartbeatIntervalMillis = 1000, 200
	for i, h := range []string{"p1:1", "p2:1", "l1:1", "l2:1"} {
		c.Members = append(c.Members, MemberConfig{ID: i, Host: h, BuildIndexes: true, Priority: 1, Votes: 1})
	}
	c.Members[0].Priority = 2
	c.Members[3].Priority, c.Members[3].Votes, c.Members[3].Hidden = 0, 0, true
	return c
}

func code(err error) int32 {
	var e *mongoerr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func run(s *Set, from time.Time, d time.Duration) time.Time {
	for t := from; t.Before(from.Add(d)); t = t.Add(50 * time.Millisecond) {
		s.Tick(t)
	}
	return from.Add(d)
}

func primaries(s *Set) []string {
	var out []string
	for _, h := range s.Hosts() {
		if n := s.Node(h); n.Up && n.State == Primary {
			out = append(out, h)
		}
	}
	return out
}

func initiated(t *testing.T) (*Set, time.Time) {
	s := New("rs", []string{"p1:1", "p2:1", "l1:1", "l2:1"}, t0)
	if err := s.Initiate("p1:1", cfg4(), t0); err != nil {
		t.Fatal(err)
	}
	for _, h := range s.Hosts() {
		if s.Node(h).State == Startup2 {
			s.SetState(h, Secondary)
		}
	}
	now := run(s, t0, 1500*time.Millisecond)
	if p := primaries(s); len(p) != 1 || p[0] != "p1:1" {
		t.Fatalf("primaries after initiate: %v", p)
	}
	return s, now
}

func TestInitiateErrors(t *testing.T) {
	s := New("rs", []string{"p1:1", "p2:1", "l1:1", "l2:1"}, t0)
	c := cfg4()
	c.ID = "other"
	if code(s.Initiate("p1:1", c, t0)) != mongoerr.InvalidReplicaSetConfig {
		t.Fatal("wrong set name accepted")
	}
	c = cfg4()
	c.Members[0].Host = "zz:1"
	// processReplSetInitiate reports every validation failure, NodeNotFound
	// included, as InvalidReplicaSetConfig.
	if code(s.Initiate("p1:1", c, t0)) != mongoerr.InvalidReplicaSetConfig {
		t.Fatal("self not in config accepted")
	}
	c = cfg4()
	c.Version = 2
	if code(s.Initiate("p1:1", c, t0)) != mongoerr.InvalidReplicaSetConfig {
		t.Fatal("initiate with version 2 accepted")
	}
	s.Stop("l1:1")
	if code(s.Initiate("p1:1", cfg4(), t0)) != mongoerr.NodeNotFound {
		t.Fatal("quorum check passed with a member down")
	}
	s.Start("l1:1", t0)
	if err := s.Initiate("p1:1", cfg4(), t0); err != nil {
		t.Fatal(err)
	}
	if code(s.Initiate("p1:1", cfg4(), t0)) != mongoerr.AlreadyInitialized {
		t.Fatal("second initiate accepted")
	}
}

func TestFailoverAndTerms(t *testing.T) {
	s, now := initiated(t)
	term := s.Node("p1:1").Term
	s.Stop("p1:1")
	now = run(s, now, 1300*time.Millisecond)
	p := primaries(s)
	if len(p) != 1 || p[0] == "p1:1" || p[0] == "l2:1" {
		t.Fatalf("after stop: %v", p)
	}
	if s.Node(p[0]).Term != term+1 {
		t.Fatalf("term %d, want %d", s.Node(p[0]).Term, term+1)
	}
	s.Start("p1:1", now)
	now = run(s, now, 500*time.Millisecond)
	if s.Node("p1:1").State != Secondary {
		t.Fatalf("restarted primary is %v", s.Node("p1:1").State)
	}
	// priority takeover once p1 is caught up
	for _, h := range s.Hosts() {
		s.SetApplied(h, OpTime{TS: bson.Timestamp{T: 100, I: 1}, T: s.Node(p[0]).Term}, now)
	}
	run(s, now, 3*time.Second)
	if p := primaries(s); len(p) != 1 || p[0] != "p1:1" {
		t.Fatalf("no priority takeover: %v", p)
	}
}

func TestPartitionMinorityStepsDown(t *testing.T) {
	s, now := initiated(t)
	s.Partition([][]string{{"p1:1"}, {"p2:1", "l1:1", "l2:1"}})
	now = run(s, now, 1500*time.Millisecond)
	if s.Node("p1:1").State == Primary {
		t.Fatal("isolated primary did not step down")
	}
	p := primaries(s)
	if len(p) != 1 || p[0] == "p1:1" {
		t.Fatalf("majority side: %v", p)
	}
	s.Heal()
	run(s, now, 300*time.Millisecond)
	if s.Node("p1:1").Term != s.Node(p[0]).Term {
		t.Fatal("term did not spread after heal")
	}
}

func TestFresherVoterRefuses(t *testing.T) {
	s, now := initiated(t)
	ts := bson.Timestamp{T: 100, I: 1}
	s.SetApplied("p1:1", OpTime{TS: ts, T: 2}, now)
	s.SetApplied("p2:1", OpTime{TS: ts, T: 1}, now)
	s.SetApplied("l1:1", OpTime{TS: ts, T: 2}, now)
	if s.RunElection("p2:1", now, "") {
		t.Fatal("a member behind a voter won")
	}
}

func TestReconfigRules(t *testing.T) {
	s, now := initiated(t)
	c := s.Node("p1:1").Config.Clone()
	c.Version++
	c.Members[3].Votes = 1
	c.Members[2].Votes, c.Members[2].Priority = 0, 0
	if code(s.Reconfig("p1:1", c, false, now)) != mongoerr.InvalidReplicaSetConfig {
		t.Fatal("two voter change accepted")
	}
	c = s.Node("p1:1").Config.Clone()
	if code(s.Reconfig("p1:1", c, false, now)) != mongoerr.NewReplicaSetConfigurationIncompatible {
		t.Fatal("same version accepted")
	}
	c.Version++
	c.Members[1].Host = "zz:1"
	c.Members[2].ID = 9
	c.Members[2].Host = "p2:1"
	if code(s.Reconfig("p1:1", c, false, now)) != mongoerr.NewReplicaSetConfigurationIncompatible {
		t.Fatal("host moved to another _id accepted")
	}
	if code(s.Reconfig("p2:1", s.Node("p1:1").Config.Clone(), false, now)) != mongoerr.NotWritablePrimary {
		t.Fatal("reconfig on a secondary accepted")
	}
	// force on a minority side with no primary
	s.Partition([][]string{{"p1:1", "p2:1"}, {"l1:1", "l2:1"}})
	now = run(s, now, 1500*time.Millisecond)
	c = s.Node("l1:1").Config.Clone()
	c.Members = c.Members[2:]
	c.Version++
	old := c.Version
	if err := s.Reconfig("l1:1", c, true, now); err != nil {
		t.Fatal(err)
	}
	if v := s.Node("l1:1").Config.Version; v < old+10000 {
		t.Fatalf("force version %d did not jump", v)
	}
	run(s, now, 1500*time.Millisecond)
	if s.Node("l1:1").State != Primary {
		t.Fatalf("l1 after force: %v", s.Node("l1:1").State)
	}
}

func TestFreezeAndStepDown(t *testing.T) {
	s, now := initiated(t)
	if _, err := s.Freeze("p1:1", time.Minute, now); code(err) != mongoerr.NotSecondary {
		t.Fatal("froze a primary")
	}
	if err := s.StepDown("p1:1", time.Minute, now); err != nil {
		t.Fatal(err)
	}
	p := primaries(s)
	if len(p) != 1 || p[0] != "p2:1" {
		t.Fatalf("handoff: %v", p)
	}
	if s.Node("p1:1").Term != s.Node("p2:1").Term {
		t.Fatal("terms differ after handoff")
	}
	run(s, now, 5*time.Second)
	if p := primaries(s); p[0] != "p2:1" {
		t.Fatalf("stepped-down member took over within its stepdown period: %v", p)
	}
}

func TestElectionID(t *testing.T) {
	if got := ElectionID(3).Hex(); got != "7fffffff0000000000000003" {
		t.Fatal(got)
	}
}
