package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/test/testbed"
)

// TestCoordinatorServerStatusRecover: `citadel server` runs a one-node
// group until its context ends (SIGINT/SIGTERM in main), `coordinator
// status` shows it leading, and `coordinator recover` rewrites the stopped
// node's configuration; mistakes are usage errors (exit 2).
func TestCoordinatorServerStatusRecover(t *testing.T) {
	cfg, _ := oneNodeConfig(t, "cli-test-token")

	ctx, stop := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		code, _, _ := runCLICtx(ctx, "-c", cfg, "server", "--node-id", "n1")
		served <- code
	}()
	var gs coordinator.GroupStatus
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, out, _ := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "status")
		if code == 0 && json.Unmarshal([]byte(out), &gs) == nil && gs.Leader == "n1" {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no leader within 30s: exit %d %s", code, out)
		}
	}
	if len(gs.Nodes) != 1 || gs.Nodes[0].Status == nil || gs.Nodes[0].Status.State != "Leader" || !gs.Nodes[0].Voter {
		t.Errorf("status %+v", gs)
	}
	if code, out, _ := runCLI(t, "", "-c", cfg, "coordinator", "status"); code != 0 || !strings.HasPrefix(strings.Join(strings.Fields(out), " "), "NODE SITE ROLE VOTER TERM LAST CONTACT APPLIED COMMIT HTTP n1 paris leader true") {
		t.Errorf("status table: exit %d\n%s", code, out)
	}
	stop()
	select {
	case code := <-served:
		if code != 0 {
			t.Errorf("server stopped with exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server still running 30s after its context ended")
	}
	if code, out, errOut := runCLI(t, "", "-c", cfg, "coordinator", "recover", "--node-id", "n1", "--survivors", "n1"); code != 0 || !strings.Contains(out, "rewritten to n1") {
		t.Errorf("recover: exit %d %s %s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"coordinator", "recover", "--node-id", "n1"},
		{"coordinator", "recover", "--node-id", "ghost", "--survivors", "n1"},
		{"server", "--node-id", "ghost"},
		{"coordinator", "status", "extra"},
	} {
		if code, _, errOut := runCLI(t, "", append([]string{"-c", cfg}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}

func runCLICtx(ctx context.Context, args ...string) (int, string, string) {
	var out, errb strings.Builder
	code := run(ctx, append([]string{"citadel"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// oneNodeConfig writes a config with one coordinator node n1 on free
// loopback ports (its data in the config's directory), the token in
// CITADEL_TEST_COORD_TOKEN.
func oneNodeConfig(t *testing.T, token string) (cfg, httpAddr string) {
	dir := t.TempDir()
	httpAddr = testbed.FreeAddr(t)
	cfg = filepath.Join(dir, "citadel.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: paris\ncoordinator:\n  data_dir: %s\n  token_env: CITADEL_TEST_COORD_TOKEN\n  nodes:\n    - {id: n1, site: paris, raft_address: %q, http_address: %q}\n",
		filepath.Join(dir, "data"), testbed.FreeAddr(t), httpAddr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_COORD_TOKEN", token)
	return cfg, httpAddr
}
