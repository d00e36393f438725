package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// drillBase is a valid file with a backup copied to a second storage, a
// scratch set and a drill, which each case below changes in one place.
const drillBase = `sites: [{name: paris}, {name: lyon}]
replica_sets:
  - name: main
    members:
      - {host: "p1:27017", site: paris, priority: 2}
      - {host: "p2:27017", site: paris}
      - {host: "l1:27017", site: lyon, priority: 0.5}
  - name: scratch
    members: [{host: "s1:27017", site: paris}]
storages:
  - {name: lyon-fs, site: lyon, filesystem: {path: /var/backups/lyon}}
  - {name: paris-fs, site: paris, filesystem: {path: /var/backups/paris}}
  - {name: other-fs, site: paris, filesystem: {path: /var/backups/other}}
backups:
  - {name: nightly, replica_set: main, storage: lyon-fs, copy_to: [paris-fs], schedule: "@daily", retention: {daily: 7}}
drills:
  - name: weekly
    backup: nightly
    schedule: "@weekly"
    target: {replica_set: scratch}
    max_rto: 30m
    max_rpo: 5m
`

func TestDrillFields(t *testing.T) {
	cases := []struct {
		name, add, want string
	}{
		{"from the copy", "from_storage: paris-fs", ""},
		{"from its own storage", "from_storage: lyon-fs", ""},
		{"from an unknown storage", "from_storage: pariss-fs", `drills[0].from_storage: unknown storage "pariss-fs"`},
		{"from a storage without the copy", "from_storage: other-fs", `drills[0].from_storage: backup "nightly" is not copied to storage "other-fs"`},
		{"webhook from env", "webhook: {url_env: DRILL_HOOK}", ""},
		{"webhook from file", "webhook: {url_file: /etc/citadel/drill-hook, timeout: 30s}", ""},
		{"webhook without url", "webhook: {timeout: 5s}", "drills[0].webhook: url is missing"},
		{"webhook url in clear", `webhook: {url_env: "https://hooks.example/x"}`, "drills[0].webhook.url_env"},
		{"webhook env and file", "webhook: {url_env: A, url_file: /x}", "drills[0].webhook.url_file: both url_env and url_file are set"},
		{"webhook relative file", "webhook: {url_file: hook.txt}", `drills[0].webhook.url_file: relative path "hook.txt"`},
		{"webhook timeout", "webhook: {url_env: A, timeout: 10m}", "drills[0].webhook.timeout: timeout 10m0s out of range 0..5m"},
		{"webhook key typo", "webhook: {url_envv: A}", `did you mean "url_env"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("t.yaml", []byte(drillBase+"    "+tc.add+"\n"))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if d := cfg.Drill("weekly"); d.Webhook != nil && d.Webhook.TimeoutOr() <= 0 {
					t.Errorf("timeout %s", d.Webhook.TimeoutOr())
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}

func TestDrillWebhookURL(t *testing.T) {
	t.Setenv("DRILL_HOOK_URL", "https://hooks.example/abc")
	h := &DrillWebhook{URLEnv: "DRILL_HOOK_URL"}
	if u, err := h.URL(); err != nil || u != "https://hooks.example/abc" || h.TimeoutOr() != DefaultWebhookTimeout {
		t.Fatalf("url %q %v, timeout %s", u, err, h.TimeoutOr())
	}
	h = &DrillWebhook{URLEnv: "DRILL_HOOK_UNSET", Timeout: Duration(time.Second)}
	if _, err := h.URL(); !errors.Is(err, ErrSecretMissing) || h.TimeoutOr() != time.Second {
		t.Fatalf("unset variable: %v", err)
	}
}
