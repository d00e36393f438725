// Package deploy holds the deployment files (systemd units, the nodes'
// environment files, a Grafana dashboard); its test keeps them true to
// the code: the nodes of the example config, the variables it names, the
// metrics the coordinator serves.
package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
)

// TestNodeEnvFiles: one environment file per node of the example's
// coordinator section, each naming its node and setting every variable
// the example config names with *_env (but the ingest pseudonym key, which
// operators' loads use, not the server).
func TestNodeEnvFiles(t *testing.T) {
	cfg, err := config.Parse("example.yaml", config.Example())
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`(?m)^\s*[a-z_]+_env:\s*([A-Z0-9_]+)`).FindAllStringSubmatch(string(config.Example()), -1)
	if len(vars) < 4 {
		t.Fatalf("found %d *_env variables in the example config", len(vars))
	}
	for _, n := range cfg.Coordinator.Nodes {
		path := filepath.Join("nodes", n.ID+".env")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("node %s of the example config has no environment file: %v", n.ID, err)
			continue
		}
		set := map[string]string{}
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				set[k] = v
			}
		}
		if set["CITADEL_NODE_ID"] != n.ID {
			t.Errorf("%s: CITADEL_NODE_ID=%q, want %q", path, set["CITADEL_NODE_ID"], n.ID)
		}
		for _, v := range vars {
			if _, ok := set[v[1]]; !ok && v[1] != "CITADEL_PSEUDONYM_KEY" {
				t.Errorf("%s does not set %s, which the example config names", path, v[1])
			}
		}
	}
	files, _ := filepath.Glob("nodes/*.env")
	if len(files) != len(cfg.Coordinator.Nodes) {
		t.Errorf("%d environment files for %d coordinator nodes", len(files), len(cfg.Coordinator.Nodes))
	}
}

// TestUnitHardening: the unit runs the server as its own user with the
// hardening the runbooks promise.
func TestUnitHardening(t *testing.T) {
	data, err := os.ReadFile("systemd/citadel-server.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=citadel", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"CapabilityBoundingSet=\n", "StateDirectory=citadel", "EnvironmentFile=/etc/citadel/node.env", " server\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("citadel-server.service lacks %q", strings.TrimSpace(want))
		}
	}
}

// TestDashboardMetrics: every metric the dashboard queries is one the
// coordinator registers (read from its source, so a renamed metric breaks
// this test rather than the dashboard).
func TestDashboardMetrics(t *testing.T) {
	data, err := os.ReadFile("grafana/citadel-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/citadel-dashboard.json: %v", err)
	}
	// The coordinator's metrics (api) and the member metrics of the
	// status page (statuspage).
	var src []byte
	for _, dir := range []string{"../cluster/coordinator/api", "../cluster/coordinator/statuspage"} {
		files, err := filepath.Glob(filepath.Join(dir, "metrics*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no metrics source in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src = append(src, b...)
		}
	}
	name := regexp.MustCompile(`citadel_[a-z_]+`)
	seen := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count")
				if !strings.Contains(string(src), `"`+base+`"`) {
					t.Errorf("panel %q queries %s, which the coordinator does not register", p.Title, m)
				}
				seen++
			}
		}
	}
	if seen == 0 {
		t.Fatal("the dashboard queries no citadel_ metric")
	}
}
