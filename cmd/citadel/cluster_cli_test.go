package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// downConfig names members on loopback ports where nothing listens.
const downConfig = `sites:
  - name: paris
  - name: lyon
mongodb:
  connect_timeout: 1s
replica_sets:
  - name: main
    members:
      - {host: "127.0.0.1:1", site: paris, priority: 2}
      - {host: "127.0.0.1:2", site: paris}
      - {host: "127.0.0.1:3", site: lyon, priority: 0.5}
`

func TestClusterCLIRefusalsAndUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(file, []byte(downConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"cluster", "switchover", "--rs", "main"}, 2, "needs --to-site"},
		{[]string{"cluster", "status", "--rs", "nope"}, 2, `--rs "nope": no such replica set`},
		{[]string{"cluster", "plan"}, 4, "cannot tell whether the set is initiated"},
		{[]string{"cluster", "apply", "--yes"}, 4, "could not reach 127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3"},
		{[]string{"cluster", "status"}, 1, "no member of main answers (could not reach 127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3)"},
		{[]string{"cluster", "failover", "--rs", "main", "--to-site", "lyon", "--force"}, 4, "no member of main answers"},
		{[]string{"cluster", "switchover", "--rs", "main", "--to-site", "lyon"}, 4, "no primary"},
		{[]string{"cluster", "rejoin", "--rs", "main", "--site", "paris"}, 4, "no primary"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, "", append([]string{"--config", file}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", code, tt.code, errOut)
			}
		})
	}
}

func TestClusterStatusJSONWhenDown(t *testing.T) {
	file := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(file, []byte(downConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	// Members that cannot be reached leave the state unknown: the JSON
	// says so (initiated null, the unreachable hosts) and the exit is 1.
	code, out, errOut := runCLI(t, "", "--config", file, "-o", "json", "cluster", "status")
	if code != 1 || !strings.Contains(out, `"replica_sets"`) || !strings.Contains(out, `"reachable": false`) ||
		!strings.Contains(out, `"initiated": null`) || !strings.Contains(out, `"unreachable": [`) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestConfigFromStdin: --config - reads the command's standard input (the
// reader run is given), not the process's.
func TestConfigFromStdin(t *testing.T) {
	code, out, errOut := runCLI(t, downConfig, "--config", "-", "-o", "json", "cluster", "status")
	if code != 1 || !strings.Contains(out, `"initiated": null`) || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}
