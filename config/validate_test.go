package config

import (
	"errors"
	"strings"
	"testing"
)

// base is a valid file that each case below breaks in one place.
const base = `sites: [{name: paris}, {name: lyon}]
replica_sets:
  - name: main
    members:
      - {host: "p1:27017", site: paris, priority: 2}
      - {host: "p2:27017", site: paris}
      - {host: "l1:27017", site: lyon, priority: 0.5}
storages:
  - name: fs
    filesystem: {path: /var/backups}
backups:
  - {name: nightly, replica_set: main, storage: fs, schedule: "@daily", retention: {daily: 7}}
`

func TestValidationRules(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown key", "name: main", "name: main\n    memebrs: []", `unknown key "memebrs"; did you mean "members"?`},
		{"secret key in clear", "storages:", "mongodb:\n  auth: {username: u, password: hunter2}\nstorages:", "secrets are never written in the file"},
		{"secret in env field", "storages:", "mongodb:\n  auth: {username: u, password_env: \"s3cr3t!pass\"}\nstorages:", "looks like a secret written in clear"},
		{"unknown site", "site: lyon,", "site: lyom,", `unknown site "lyom"; did you mean "lyon"?`},
		{"duplicate host", `"p2:27017"`, `"P1:27017"`, "duplicate host P1:27017"},
		{"bad host", `"p2:27017"`, `"p2"`, `invalid host "p2"`},
		{"hidden with priority", "site: lyon, priority: 0.5}", "site: lyon, priority: 0.5, hidden: true}", "hidden member must have priority 0"},
		{"votes 0 with priority", "site: lyon, priority: 0.5}", "site: lyon, priority: 0.5, votes: 0}", "votes: 0 must have priority 0"},
		{"votes 2", "site: lyon, priority: 0.5}", "site: lyon, votes: 2}", "votes must be 0 or 1"},
		{"no electable", `priority: 2}`, `priority: 0}`, ""}, // still electable: p2 (default 1)
		{"arbiter hidden", "site: lyon, priority: 0.5}", "site: lyon, arbiter: true, hidden: true}", "arbiter cannot be hidden"},
		{"delay needs priority 0", "site: lyon, priority: 0.5}", "site: lyon, priority: 0.5, secondary_delay: 1h}", "secondary_delay must have priority 0"},
		{"bad duration", "site: lyon, priority: 0.5}", "site: lyon, priority: 0, secondary_delay: 1hour}", `invalid duration "1hour"`},
		{"bad cron", `"@daily"`, `"61 * * * *"`, "does not parse"},
		{"bad tz", `"@daily",`, `"@daily", timezone: Europe/Pariss,`, `unknown time zone "Europe/Pariss"`},
		{"unknown storage", "storage: fs", "storage: s3", `unknown storage "s3"`},
		{"copy to self", "storage: fs,", "storage: fs, copy_to: [fs],", "copy_to names the backup's own storage"},
		{"unknown rs", "replica_set: main", "replica_set: mian", `unknown replica set "mian"`},
		{"relative fs path", "/var/backups", "backups", `relative path "backups"`},
		{"no backend", "filesystem: {path: /var/backups}", "site: paris", "has no backend"},
		{"type error", "retention: {daily: 7}", "retention: {daily: seven}", `expected a whole number, found "seven"`},
		{"negative drill reports", "retention: {daily: 7}", "retention: {daily: 7, drill_reports: -1}", "drill_reports -1 is negative"},
		{"drill reports kept", "retention: {daily: 7}", "retention: {daily: 7, drill_reports: 30}", ""},
		{"bool error", "site: lyon, priority: 0.5}", "site: lyon, priority: 0, votes: 0, hidden: yes please}", "expected true or false"},
		{"pitr slice", "retention:", "pitr: {enabled: true, slice: 1s}, retention:", "slice 1s out of range"},
		{"pitr window without pitr", "retention:", "pitr: {window: 168h}, retention:", "a PITR window without PITR archiving"},
		{"negative pitr window", "retention:", "pitr: {enabled: true, window: -1h}, retention:", `duration "-1h" is negative`},
		{"primary source", "retention:", "source: {prefer: primary}, retention:", "prefer: primary without allow_primary"},
		{"list expected", "sites: [{name: paris}, {name: lyon}]", "sites: paris", "expected a list"},
		{"audit without path", "storages:", "audit: {}\nstorages:", "audit.path: path is missing"},
		{"relative audit path", "storages:", "audit: {path: audit.jsonl}\nstorages:", `relative path "audit.jsonl"`},
		{"audit path is a directory", "storages:", "audit: {path: /var/log/citadel/}\nstorages:", "ends with '/'"},
		{"audit key typo", "storages:", "audit: {pth: /var/log/a.jsonl}\nstorages:", `did you mean "path"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			if src == base {
				t.Fatalf("case does not change the base")
			}
			_, err := Parse("t.yaml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			for _, p := range err.(*Error).Problems {
				if p.Line == 0 {
					t.Errorf("problem without a line: %s", p)
				}
			}
		})
	}
}

func TestBaseIsValid(t *testing.T) {
	if _, err := Parse("t.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestMoreThanSevenVoters(t *testing.T) {
	src := "sites: [{name: paris}]\nreplica_sets:\n  - name: big\n    members:\n"
	for i := 0; i < 8; i++ {
		src += "      - {host: \"h" + string(rune('a'+i)) + ":1\", site: paris}\n"
	}
	_, err := Parse("t.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "8 voting members; mongod allows at most 7") {
		t.Fatalf("got %v", err)
	}
}

func TestNoElectableMember(t *testing.T) {
	src := "sites: [{name: paris}]\nreplica_sets:\n  - name: x\n    members:\n      - {host: \"a:1\", site: paris, priority: 0}\n"
	_, err := Parse("t.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "no electable member") {
		t.Fatalf("got %v", err)
	}
}

func TestQuorum(t *testing.T) {
	cfg, err := Parse("example.yaml", Example())
	if err != nil {
		t.Fatal(err)
	}
	loss := map[string]SiteLoss{}
	for _, l := range cfg.ReplicaSets[0].Quorum() {
		loss[l.Site] = l
	}
	if loss["paris"].KeepsPrimary || !loss["lyon"].KeepsPrimary {
		t.Fatalf("quorum wrong: %+v", loss)
	}
	if loss["paris"].Remaining != 1 || loss["paris"].Majority != 2 {
		t.Fatalf("paris loss: %+v", loss["paris"])
	}
}

func TestSecretResolve(t *testing.T) {
	t.Setenv("CITADEL_TEST_SECRET", "x")
	if v, err := (Secret{Env: "CITADEL_TEST_SECRET"}).Resolve(); err != nil || v != "x" {
		t.Fatalf("got %q %v", v, err)
	}
	if _, err := (Secret{Env: "CITADEL_TEST_UNSET_VAR"}).Resolve(); !errors.Is(err, ErrSecretMissing) {
		t.Fatalf("got %v", err)
	}
}
