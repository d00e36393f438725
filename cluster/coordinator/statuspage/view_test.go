package statuspage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func job(name string, failures int, last string, running bool) JobInput {
	j := JobInput{Job: store.Job{Name: name, Kind: "backup"}, State: store.JobState{Failures: failures}}
	if last != "" {
		j.Last = &store.Run{State: last, Error: map[bool]string{true: "dump failed"}[last == store.RunFailed]}
	}
	if failures == 0 && last == store.RunSucceeded {
		j.State.LastSuccess = now.Add(-time.Hour)
	}
	if running {
		j.Running = &store.Run{State: store.RunRunning, Start: now.Add(-time.Minute)}
	}
	return j
}

func TestBuildJobsFailingFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		jobs []JobInput
		want []string
	}{
		{"failing before running before the others", []JobInput{
			job("a-ok", 0, store.RunSucceeded, false), job("b-running", 0, store.RunSucceeded, true),
			job("c-failing", 1, store.RunFailed, false), job("d-never", 0, "", false)},
			[]string{"c-failing", "b-running", "a-ok", "d-never"}},
		{"more failures in a row first", []JobInput{
			job("a", 1, store.RunFailed, false), job("b", 3, store.RunFailed, false), job("c", 0, store.RunSucceeded, false)},
			[]string{"b", "a", "c"}},
		{"a failing job that runs again stays first", []JobInput{
			job("a", 0, store.RunSucceeded, true), job("z", 2, store.RunFailed, true)},
			[]string{"z", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Build(Input{Now: now, Jobs: tc.jobs})
			var got []string
			for _, r := range v.Jobs {
				got = append(got, r.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("order %v, want %v", got, tc.want)
			}
			for _, r := range v.Jobs {
				if r.Failing != strings.HasPrefix(r.Status, "FAILING") {
					t.Errorf("%s: failing %v but status %q", r.Name, r.Failing, r.Status)
				}
				if r.Failing && !slices.ContainsFunc(v.Problems, func(p string) bool { return strings.HasPrefix(p, "job "+r.Name+":") }) {
					t.Errorf("%s fails but is not among the problems %q", r.Name, v.Problems)
				}
			}
		})
	}
}

func TestBuildDrillLimits(t *testing.T) {
	limits := map[string]Limit{"weekly": {MaxRTO: 10 * time.Minute, MaxRPO: time.Minute}}
	for _, tc := range []struct {
		name             string
		drill            store.DrillRecord
		rto, rpo         bool
		maxRTO, problems string
	}{
		{"within both", store.DrillRecord{Drill: "weekly", Passed: true, RTO: time.Minute, RPO: 30 * time.Second}, false, false, "10m0s", ""},
		{"RTO over", store.DrillRecord{Drill: "weekly", RTO: 11 * time.Minute, RPO: time.Second}, true, false, "10m0s", "drill weekly: RTO 11m0s (max 10m0s)"},
		{"RPO over", store.DrillRecord{Drill: "weekly", RTO: time.Second, RPO: 2 * time.Minute}, false, true, "10m0s", "RPO 2m0s (max 1m0s)"},
		{"equal is within", store.DrillRecord{Drill: "weekly", Passed: true, RTO: 10 * time.Minute, RPO: time.Minute}, false, false, "10m0s", ""},
		{"failed within limits", store.DrillRecord{ID: "d1", Drill: "weekly", RTO: time.Second}, false, false, "10m0s", "drill weekly: newest run d1 failed"},
		{"no limits configured", store.DrillRecord{Drill: "gone", Passed: true, RTO: time.Hour}, false, false, "none", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.drill.End = now.Add(-time.Hour)
			v := Build(Input{Now: now, Drills: []store.DrillRecord{tc.drill}, Limits: limits})
			d := v.Drills[0]
			if d.RTOBreached != tc.rto || d.RPOBreached != tc.rpo || d.MaxRTO != tc.maxRTO {
				t.Errorf("row %+v, want rto breached %v, rpo breached %v, max %s", d, tc.rto, tc.rpo, tc.maxRTO)
			}
			got := strings.Join(v.Problems, "\n")
			if (tc.problems == "") != (got == "") || !strings.Contains(got, tc.problems) {
				t.Errorf("problems %q, want %q", got, tc.problems)
			}
		})
	}
}

func TestBuildBackupsAndPITR(t *testing.T) {
	t1, t2 := now.Add(-26*time.Hour), now.Add(-2*time.Hour)
	cat := []store.CatalogEntry{ // newest first, as FSM.Catalog
		{ID: "b2", ReplicaSet: "main", Storage: "minio-paris", Time: t2, Complete: true, Size: 2048},
		{ID: "b2", ReplicaSet: "main", Storage: "minio-lyon", Time: t2, Complete: true, Size: 2048},
		{ID: "bx", ReplicaSet: "main", Storage: "minio-lyon", Time: t2, Complete: false},
		{ID: "b1", ReplicaSet: "main", Storage: "minio-lyon", Time: t1, Complete: true, Size: 1024},
		{ID: "b0", ReplicaSet: "main", Storage: "minio-lyon", Time: t1, Complete: true, Size: 1024}, // same end, older id
	}
	pitr := []store.PITRState{
		{ReplicaSet: "main", Position: store.OpTime{T: uint32(now.Add(-15 * time.Second).Unix())}},
		{ReplicaSet: "old", Position: store.OpTime{T: uint32(now.Add(-time.Hour).Unix())}},
		{ReplicaSet: "new"},
	}
	v := Build(Input{Now: now, Catalog: cat, PITR: pitr, Slices: map[string]time.Duration{"main": 10 * time.Second}})
	want := []BackupRow{{ID: "b2", Storages: []string{"minio-lyon", "minio-paris"}, Copies: 1, Size: "2.0 KiB"}, {ID: "b1", Storages: []string{"minio-lyon"}, Size: "1.0 KiB"}, {ID: "b0", Storages: []string{"minio-lyon"}, Size: "1.0 KiB"}}
	if len(v.Backups) != len(want) {
		t.Fatalf("backups %+v", v.Backups)
	}
	for i, w := range want {
		g := v.Backups[i]
		if g.ID != w.ID || !slices.Equal(g.Storages, w.Storages) || g.Copies != w.Copies || g.Size != w.Size {
			t.Errorf("backup %d: %+v, want %+v", i, g, w)
		}
	}
	if c := v.Chart; len(c.Bars) != 3 || c.Bars[0].X != 0 || c.Bars[2].X != chartW-barW || c.Bars[2].H <= c.Bars[0].H || c.Bars[0].Copied || !c.Bars[2].Copied {
		t.Errorf("chart: oldest left, newest right and taller, copied flagged: %+v", c.Bars)
	}
	stale := map[string]bool{}
	for _, p := range v.PITR {
		stale[p.ReplicaSet] = p.Stale
	}
	if stale["main"] || !stale["old"] || stale["new"] || v.PITR[2].Lag != "no slice yet" {
		t.Errorf("PITR rows %+v", v.PITR)
	}
}

func TestBuildSets(t *testing.T) {
	one := 1
	st := &cluster.State{Name: "main", Initiated: true, Primary: "p1:1", Config: &cluster.Config{Version: 3, Members: []cluster.MemberConfig{
		{ID: 0, Host: "p1:1", Priority: 2, Votes: one}, {ID: 1, Host: "p2:1", Priority: 1, Votes: one}, {ID: 2, Host: "l1:1", Priority: 0.5, Votes: one}}},
		Members: []cluster.MemberState{
			{Host: "p1:1", Site: "paris", State: "PRIMARY", Health: true, InConfig: true, Priority: 2, Votes: 1, LagKnown: true},
			{Host: "p2:1", Site: "paris", State: "SECONDARY", Health: true, InConfig: true, Priority: 1, Votes: 1, LagKnown: true, Lag: cluster.Seconds(1500 * time.Millisecond)},
			{Host: "l1:1", Site: "lyon", State: "(not reachable/healthy)", InConfig: true, Priority: 0.5, Votes: 1},
		},
		Oplog: cluster.OplogWindow{Host: "p1:1", First: now.Add(-3 * time.Hour), Last: now}}
	v := Build(Input{Now: now, Sets: []*cluster.State{st, {Name: "down", Unreachable: []string{"x:1"}}}})
	s := v.Sets[0]
	if len(s.Sites) != 2 || s.Sites[0].Site != "paris" || len(s.Sites[0].Members) != 2 || s.Sites[1].Site != "lyon" {
		t.Fatalf("sites %+v", s.Sites)
	}
	if m := s.Sites[0].Members[1]; m.Lag != "1.5s" || m.Bad {
		t.Errorf("p2 %+v", m)
	}
	if m := s.Sites[1].Members[0]; !m.Bad || m.Health != "down" {
		t.Errorf("l1 %+v", m)
	}
	if !strings.HasPrefix(s.Oplog, "3h0m") || len(s.Losses) != 2 || s.Losses[0].Bad || !s.Losses[1].Bad {
		t.Errorf("oplog %q, losses %+v (sorted by site: losing Lyon keeps a primary, losing Paris does not)", s.Oplog, s.Losses)
	}
	if !strings.Contains(s.Losses[1].Text, "cluster failover --rs main --to-site lyon --force") {
		t.Errorf("the site-loss sentence is cluster.LossSentence's: %q", s.Losses[1].Text)
	}
	got := strings.Join(v.Problems, "\n")
	if !strings.Contains(got, "member l1:1 (lyon) is down") || !strings.Contains(got, "replica set down: state unknown") {
		t.Errorf("problems %q", got)
	}
}

// TestPageRendersProblems renders the template over a view with every
// kind of problem: each shows, and text from the records is escaped.
func TestPageRendersProblems(t *testing.T) {
	in := Input{Now: now, Refresh: 15 * time.Second, Node: "c1", Leader: "c1",
		Jobs:   []JobInput{job("backup-nightly", 2, store.RunFailed, false)},
		Drills: []store.DrillRecord{{ID: "d1", Drill: "weekly", End: now, RTO: time.Hour, RPO: time.Second}},
		Limits: map[string]Limit{"weekly": {MaxRTO: time.Minute, MaxRPO: time.Minute}},
		PITR:   []store.PITRState{{ReplicaSet: "main", Position: store.OpTime{T: uint32(now.Add(-time.Hour).Unix())}, LastError: "<script>x</script>"}},
		Sets:   []*cluster.State{{Name: "main", Unreachable: []string{"p1:1"}}},
	}
	in.Jobs[0].Last.Error = `dump "a<b>"`
	var b strings.Builder
	if err := page.Execute(&b, Build(in)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`content="15"`, "4 need attention", "FAILING (2 in a row)", "exceeded", "FAILED", "state unknown",
		"&lt;script&gt;x&lt;/script&gt;", "dump &#34;a&lt;b&gt;&#34;", "No backup in the catalog yet."} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("record text is not escaped")
	}
}
