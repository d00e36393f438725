package cluster

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestDesiredFromExample(t *testing.T) {
	cfg, err := config.Parse("example.yaml", config.Example())
	if err != nil {
		t.Fatal(err)
	}
	rs := cfg.ReplicaSet("main")
	d, err := Desired(rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateConfig(d); err != nil {
		t.Fatalf("the example's desired config is invalid: %v", err)
	}
	if d.Version != 1 || len(d.Members) != 4 || d.Settings.ElectionTimeoutMillis != 10000 || d.Settings.HeartbeatIntervalMillis != 2000 {
		t.Fatalf("got %s %+v", dump(d), d.Settings)
	}
	backup := d.Members[3]
	if !backup.Hidden || backup.Votes != 0 || backup.Priority != 0 || backup.Tags["role"] != "backup" || backup.ID != 3 {
		t.Errorf("backup member %+v", backup)
	}
}

func TestDesiredStableIDs(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	id := func(v int) *int { return &v }
	live := cfgOf(7, mem(0, "P1:27017", 2, 1), mem(2, "l1:27017", 0.5, 1), mem(5, "gone:27017", 1, 1))
	rid := bson.NewObjectID()
	live.Settings = &Settings{ElectionTimeoutMillis: 10000, HeartbeatIntervalMillis: 2000, ReplicaSetID: &rid}
	rs := &config.ReplicaSet{Name: "main", Settings: config.RSSettings{ElectionTimeout: config.Duration(5 * time.Second)},
		Members: []config.Member{
			{Host: "new-a:27017", Site: "paris"},
			{Host: "p1:27017", Site: "paris", Priority: f(2)},
			{Host: "new-b:27017", Site: "lyon"},
			{Host: "l1:27017", Site: "lyon", Priority: f(0.5)},
			{Host: "new-c:27017", Site: "lyon", ID: id(9)},
		}}
	d, err := Desired(rs, live)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"P1:27017": 0, "l1:27017": 2, "new-a:27017": 1, "new-b:27017": 3, "new-c:27017": 9}
	for h, id := range want {
		if m := d.Member(h); m == nil || m.ID != id || m.Host != h {
			t.Errorf("%s: got %+v, want _id %d", h, m, id)
		}
	}
	if d.Version != 8 || d.Settings.ElectionTimeoutMillis != 5000 || d.Settings.HeartbeatIntervalMillis != 2000 || d.Settings.ReplicaSetID.Hex() != rid.Hex() {
		t.Errorf("version %d settings %+v", d.Version, d.Settings)
	}

	rs.Members[1].ID = id(4)
	if _, err := Desired(rs, live); !errors.Is(err, ErrIDConflict) || !strings.Contains(err.Error(), "has _id 0 in the live set") {
		t.Errorf("want an id conflict for p1, got %v", err)
	}
	rs.Members[1].ID = nil
	rs.Members[4].ID = id(5)
	if _, err := Desired(rs, live); !errors.Is(err, ErrIDConflict) || !strings.Contains(err.Error(), "already used by gone:27017") {
		t.Errorf("want an id conflict with gone, got %v", err)
	}
}

func TestValidateConfigRules(t *testing.T) {
	bad := []struct {
		m   MemberConfig
		msg string
	}{
		{func() MemberConfig { m := mem(1, "a:1", 1, 0); return m }(), "non-voting member must have priority 0"},
		{func() MemberConfig { m := mem(1, "a:1", 1, 1); m.Hidden = true; return m }(), "hidden member must have priority 0"},
		{func() MemberConfig { m := mem(1, "a:1", 1, 1); m.SecondaryDelaySecs = 60; return m }(), "delayed member must have priority 0"},
		{func() MemberConfig { m := mem(1, "a:1", 1, 2); return m }(), "votes must be 0 or 1"},
		{func() MemberConfig { m := mem(1, "a:1", 1001, 1); return m }(), "out of range"},
		{func() MemberConfig { m := arbiter(1, "a:1"); m.Votes = 0; return m }(), "arbiter must have exactly one vote"},
		{func() MemberConfig { m := arbiter(1, "a:1"); m.Tags = map[string]string{"x": "y"}; return m }(), "arbiter cannot have tags"},
		{func() MemberConfig { m := mem(1, "a:1", 1, 1); m.BuildIndexes = false; return m }(), "buildIndexes false must have priority 0"},
	}
	for _, b := range bad {
		err := ValidateConfig(cfgOf(1, mem(0, "p:1", 1, 1), b.m))
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("want %q, got %v", b.msg, err)
		}
	}
	var eight []MemberConfig
	for i := range 8 {
		eight = append(eight, mem(i, "h"+string(rune('a'+i))+":1", 1, 1))
	}
	if err := ValidateConfig(cfgOf(1, eight...)); err == nil || !strings.Contains(err.Error(), "8 voting members") {
		t.Errorf("want the 7-voter limit, got %v", err)
	}
	if err := ValidateConfig(cfgOf(1, mem(0, "a:1", 0, 1), hidden(1, "b:1", 1))); err == nil || !strings.Contains(err.Error(), "no electable member") {
		t.Errorf("want no electable member, got %v", err)
	}
}

func TestValidateTransition(t *testing.T) {
	cur := twoSites()
	next := cur.Clone()
	next.Version++
	next.Members = append(next.Members, mem(4, "l2:27017", 1, 1), mem(5, "l3:27017", 1, 1))
	if err := ValidateTransition(cur, next, "p1:27017"); !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), "2 voting members") {
		t.Errorf("want the one-voter rule, got %v", err)
	}
	next = cur.Clone()
	next.Version += 2
	if err := ValidateTransition(cur, next, ""); err == nil || !strings.Contains(err.Error(), "does not follow") {
		t.Errorf("want the version rule, got %v", err)
	}
	next = cur.Clone()
	next.Version++
	next.Member("p1:27017").Priority = 0
	if err := ValidateTransition(cur, next, "p1:27017"); err == nil || !strings.Contains(err.Error(), "step it down first") {
		t.Errorf("want the primary rule, got %v", err)
	}
}

func TestStatusRendering(t *testing.T) {
	st := withLag(stateOf(twoSites(), "p1:27017", nil), 1500*time.Millisecond)
	yes := true
	st.Committed = &yes
	st.Oplog = OplogWindow{Host: "p1:27017", First: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Last: time.Date(2026, 3, 2, 2, 4, 0, 0, time.UTC)}
	var b bytes.Buffer
	if err := WriteStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"config version 3 (committed)", "primary p1:27017 (paris)", "oplog window 26h4m",
		"l1:27017  lyon   SECONDARY  ok      1.5s", "lb:27017  lyon   SECONDARY  ok      0s    0         0      yes",
		"votes: lyon 1, paris 2 of 3; a primary needs 2; paris holds the voting majority",
		"losing lyon: 2 votes remain, 2 needed: the set keeps or elects a primary",
		"losing paris: 1 vote remains, 2 needed: no primary until an operator runs citadel cluster failover --rs main --to-site lyon --force",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	rep := AnalyzeSites(st)
	if rep.MajoritySite != "paris" || rep.Voters != 3 || rep.Majority != 2 {
		t.Errorf("report %+v", rep)
	}
}
