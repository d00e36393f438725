package auditreport

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
)

// sevs lists each finding as "severity:title", for the table tests; it
// also checks every finding above info says how to fix it.
func sevs(t *testing.T, name string, fs []Finding) string {
	t.Helper()
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+":"+f.Title)
		if f.Severity > Info && f.Fix == "" || f.Evidence == "" || f.Check == "" || f.Target == "" {
			t.Errorf("%s: %+v lacks evidence, fix, check or target", name, f)
		}
	}
	return strings.Join(out, " | ")
}

func TestRoles(t *testing.T) {
	user := SetFacts{Name: "main", User: "citadel", AuthUsers: []string{"citadel@admin"}}
	with := func(f SetFacts, rs ...Role) SetFacts { f.Roles = rs; return f }
	cases := []struct {
		name string
		f    SetFacts
		want []string // severity:title prefix, in order
	}{
		{"no credentials", SetFacts{Name: "main"}, []string{"medium:cannot check the roles"}},
		{"set unreachable", SetFacts{Name: "main", User: "citadel", Err: errors.New("no primary")}, []string{"medium:cannot check"}},
		{"connectionStatus refused", SetFacts{Name: "main", User: "citadel", RolesErr: errors.New("(CommandNotFound)")}, []string{"medium:cannot check"}},
		{"no authenticated user (the test bed)", SetFacts{Name: "main", User: "citadel"}, []string{"medium:cannot check"}},
		{"least privilege", with(user, Role{"clusterManager", "admin"}, Role{"backup", "admin"}, Role{"restore", "admin"}, Role{"readWrite", "opendata"}),
			[]string{"info:citadel's user has no more roles"}},
		{"root", with(user, Role{"root", "admin"}), []string{"high:citadel's user can grant itself any privilege: root@admin"}},
		{"dbOwner of admin escalates", with(user, Role{"dbOwner", "admin"}), []string{"high:"}},
		{"dbOwner elsewhere is broad", with(user, Role{"dbOwner", "opendata"}, Role{"readWriteAnyDatabase", "admin"}),
			[]string{"medium:citadel's user can write or administer every database: dbOwner@opendata, readWriteAnyDatabase@admin"}},
		{"a custom role", with(user, Role{"backup", "admin"}, Role{"auditors", "admin"}), []string{"low:roles citadel's tasks do not use: auditors@admin"}},
		{"inherited root counts", func() SetFacts {
			f := with(user, Role{"ops", "admin"})
			f.InheritedRoles = []Role{{"root", "admin"}}
			return f
		}(),
			[]string{"high:", "low:"}},
	}
	for _, tc := range cases {
		got := strings.Split(sevs(t, tc.name, roles(tc.f)), " | ")
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: %q, want %q", tc.name, got[i], tc.want[i])
			}
		}
	}
}

func TestWriteConcern(t *testing.T) {
	one, zero := 1, 0
	noArbiter := config.ReplicaSet{Name: "main", Members: []config.Member{{Host: "a"}, {Host: "b"}, {Host: "c"}}}
	// Two data voters and an arbiter: data voters (2) ≤ majority (2): implicit w:1.
	arbiter := config.ReplicaSet{Name: "main", Members: []config.Member{{Host: "a"}, {Host: "b"}, {Host: "w", Arbiter: true, Votes: &one}, {Host: "h", Votes: &zero}}}
	f, j := false, true
	cases := []struct {
		name string
		wc   WriteConcern
		err  error
		rs   config.ReplicaSet
		want string
	}{
		{"global majority", WriteConcern{W: "majority", Source: "global"}, nil, noArbiter, "info:writes default to w:majority"},
		{"implicit majority", WriteConcern{W: "majority", Source: "implicit"}, nil, noArbiter, "low:w:majority only implicitly"},
		{"implicit with an arbiter in the config", WriteConcern{W: "majority", Source: "implicit"}, nil, arbiter, "medium:w:majority only by default"},
		{"global majority with an arbiter", WriteConcern{W: "majority", Source: "global"}, nil, arbiter, "info:"},
		{"w:1", WriteConcern{W: "1", Source: "implicit"}, nil, arbiter, "high:writes default to w:1"},
		{"w:2", WriteConcern{W: "2", Source: "global"}, nil, noArbiter, "medium:writes default to w:2, not majority"},
		{"j:false", WriteConcern{W: "majority", J: &f, Source: "global"}, nil, noArbiter, "medium:writes default to j:false"},
		{"j:true", WriteConcern{W: "majority", J: &j, Source: "global"}, nil, noArbiter, "info:"},
		{"not reported", WriteConcern{Source: "global"}, nil, noArbiter, "medium:the default write concern is not reported"},
		{"refused", WriteConcern{}, errors.New("CommandNotFound"), noArbiter, "medium:cannot check the default write concern"},
	}
	for _, tc := range cases {
		got := sevs(t, tc.name, writeConcern(SetFacts{Name: "main", WC: tc.wc, WCErr: tc.err}, tc.rs))
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if implicitW(arbiter) != "1" || implicitW(noArbiter) != "majority" {
		t.Errorf("implicitW: %s %s", implicitW(arbiter), implicitW(noArbiter))
	}
}

func TestOplogWindow(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	win := func(d time.Duration, initiating bool) SetFacts {
		return SetFacts{Name: "main", Oplog: OplogFacts{First: now.Add(-d), Last: now, Initiating: initiating}}
	}
	daily := JobFacts{Job: &config.Backup{Name: "nightly"}, Interval: 24 * time.Hour}
	pitr := JobFacts{Job: &config.Backup{Name: "nightly", PITR: config.PITR{Enabled: true, Slice: config.Duration(time.Minute)}}, Interval: 24 * time.Hour}
	cases := []struct {
		name string
		f    SetFacts
		jobs []JobFacts
		want string
	}{
		{"no job", win(time.Hour, false), nil, "info:oplog window (no backup job"},
		{"daily without PITR, 2 days", win(48*time.Hour, false), []JobFacts{daily}, "info:the oplog window covers"},
		{"daily without PITR, 5 hours", win(5*time.Hour, false), []JobFacts{daily}, "medium:the oplog window is shorter than the backup interval"},
		{"PITR 1m slices, 5 hours", win(5*time.Hour, false), []JobFacts{pitr}, "info:"},
		{"PITR 1m slices, 20 minutes", win(20*time.Minute, false), []JobFacts{pitr}, "high:the oplog window is too short for PITR"},
		{"not rolled over yet", win(20*time.Minute, true), []JobFacts{pitr}, "low:the oplog has not yet filled"},
		{"unreadable", SetFacts{Name: "main", OplogErr: errors.New("Unauthorized")}, []JobFacts{pitr}, "medium:cannot check the oplog window"},
	}
	for _, tc := range cases {
		if got := sevs(t, tc.name, oplogWindow(tc.f, tc.jobs)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if pitrNeed(time.Minute) != 61*time.Minute || pitrNeed(time.Hour) != 10*time.Hour {
		t.Errorf("pitrNeed: %s %s", pitrNeed(time.Minute), pitrNeed(time.Hour))
	}
}
