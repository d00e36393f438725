package coordinator

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
)

// TestFromConfig: the coordinator section's TLS, scheduler timings and
// history limits reach the options; omitted ones take the defaults.
func TestFromConfig(t *testing.T) {
	files, _ := writeCerts(t)
	// cert_key_file holds the certificate and its key, as elsewhere in the config.
	both := filepath.Join(t.TempDir(), "node.pem")
	cert, err := os.ReadFile(files.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(both, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_TOKEN", "tok")
	src := `sites: [{name: paris}]
coordinator:
  node_id: a
  data_dir: /var/lib/citadel
  token_env: CITADEL_TEST_TOKEN
  tls: {enabled: true, ca_file: ` + files.CAFile + `, cert_key_file: ` + both + `}
  lease_ttl: 45s
  max_attempts: 5
  history: {audit: 99}
  nodes:
    - {id: a, site: paris, raft_address: "127.0.0.1:7400", http_address: "127.0.0.1:7401"}
`
	cfg, err := config.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	o, err := FromConfig(cfg.Coordinator, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.NodeID != "a" || o.Token != "tok" || o.LeaseTTL != 45*time.Second || o.MaxAttempts != 5 ||
		o.CatchUpWindow != 12*time.Hour || o.HeartbeatInterval != 5*time.Second || o.RetryBackoff != time.Minute {
		t.Errorf("options %+v", o)
	}
	if o.Limits != (store.Limits{RunsPerJob: 200, Audit: 99, Drills: 500}) {
		t.Errorf("limits %+v", o.Limits)
	}
	if o.TLS == nil || o.TLS.CAFile != files.CAFile || o.TLS.CertFile != both {
		t.Fatalf("tls %+v", o.TLS)
	}
	if _, err := o.TLS.Load(); err != nil {
		t.Errorf("load the config's TLS files: %v", err)
	}
}
