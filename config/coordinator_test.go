package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// coordBase is a valid coordinator section each case below breaks once.
const coordBase = base + `coordinator:
  data_dir: /var/lib/citadel
  token_env: CITADEL_TOKEN
  tls: {enabled: true, ca_file: /etc/citadel/ca.pem, cert_key_file: /etc/citadel/node.pem}
  lease_ttl: 30s
  heartbeat_interval: 5s
  nodes:
    - {id: a, site: paris, raft_address: "a:7400", http_address: "a:7401"}
    - {id: b, site: lyon, raft_address: "b:7400", http_address: "b:7401"}
    - {id: c, site: lyon, raft_address: "c:7400", http_address: "c:7401"}
`

func TestCoordinatorValidation(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"valid", "", "", ""},
		{"tls without ca", "ca_file: /etc/citadel/ca.pem, ", "", "coordinator.tls.ca_file: ca_file is missing"},
		{"tls without certificate", ", cert_key_file: /etc/citadel/node.pem", "", "cert_key_file is missing"},
		{"tls unverified", "enabled: true,", "enabled: true, insecure_skip_verify: true,", "insecure_skip_verify is not allowed"},
		{"lease shorter than three heartbeats", "lease_ttl: 30s", "lease_ttl: 10s", "lease_ttl 10s is shorter than three heartbeat intervals of 5s"},
		{"default lease, long heartbeat", "  lease_ttl: 30s\n", "", ""},
		{"default lease vs heartbeat", "  lease_ttl: 30s\n  heartbeat_interval: 5s", "  heartbeat_interval: 11s", "lease_ttl 30s is shorter"},
		{"attempts", "lease_ttl: 30s", "lease_ttl: 30s\n  max_attempts: -1", "max_attempts -1 out of range"},
		{"history", "lease_ttl: 30s", "lease_ttl: 30s\n  history: {audit: -5}", "history counts cannot be negative"},
		{"history key", "lease_ttl: 30s", "lease_ttl: 30s\n  history: {runs_per_jobs: 5}", `did you mean "runs_per_job"?`},
		{"negative window", "lease_ttl: 30s", "lease_ttl: 30s\n  catch_up_window: -1h", `duration "-1h" is negative`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(coordBase, tc.old, tc.new, 1)
			cfg, err := Parse("t.yaml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v (config %+v)", tc.want, err, cfg)
			}
		})
	}
}

func TestCoordinatorDefaults(t *testing.T) {
	var co Coordinator
	if co.CatchUpWindowOr() != 12*time.Hour || co.HeartbeatIntervalOr() != 5*time.Second || co.LeaseTTLOr() != 30*time.Second ||
		co.MaxAttemptsOr() != 3 || co.RetryBackoffOr() != time.Minute {
		t.Errorf("defaults: %v %v %v %v %v", co.CatchUpWindowOr(), co.HeartbeatIntervalOr(), co.LeaseTTLOr(), co.MaxAttemptsOr(), co.RetryBackoffOr())
	}
	if h := co.History.Or(); h != (History{RunsPerJob: 200, Audit: 10000, Drills: 500}) {
		t.Errorf("history defaults %+v", h)
	}
	// The example states the defaults: reading them changes nothing.
	cfg, err := Parse("example.yaml", Example())
	if err != nil {
		t.Fatal(err)
	}
	ex := cfg.Coordinator
	if ex.CatchUpWindow.D() != co.CatchUpWindowOr() || ex.HeartbeatInterval.D() != co.HeartbeatIntervalOr() || ex.LeaseTTL.D() != co.LeaseTTLOr() ||
		ex.MaxAttempts != co.MaxAttemptsOr() || ex.RetryBackoff.D() != co.RetryBackoffOr() || ex.History != co.History.Or() {
		t.Errorf("the example's coordinator values are not the defaults: %+v", ex)
	}
	if ex.TLS == nil || ex.TLS.CAFile == "" || ex.TLS.CertKeyFile == "" {
		t.Errorf("the example has no coordinator tls: %+v", ex.TLS)
	}
}

// TestScheduleZoneDefault: a schedule without timezone is in Paris.
func TestScheduleZoneDefault(t *testing.T) {
	loc, err := Location("")
	if err != nil || loc.String() != "Europe/Paris" {
		t.Fatalf("Location(\"\") = %v, %v; want Europe/Paris", loc, err)
	}
	if loc, err := Location("UTC"); err != nil || loc != time.UTC {
		t.Fatalf("Location(UTC) = %v, %v", loc, err)
	}
	if _, err := CronParser().Parse("0 2 * * *"); err != nil {
		t.Fatal(err)
	}
}
