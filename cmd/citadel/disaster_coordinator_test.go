package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/test/testbed"
)

// TestDisasterCommandsIgnoreCoordinator: with CITADEL_COORDINATOR naming a
// node that does not answer (the coordinator gone with its site), backup
// verify and restore still work directly, and failover and rejoin still
// go to the members themselves (refused there, exit 4, for their own
// reasons): none of them asks the coordinator or waits on it.
func TestDisasterCommandsIgnoreCoordinator(t *testing.T) {
	t.Setenv("CITADEL_COORDINATOR", "http://"+testbed.FreeAddr(t))
	dir := t.TempDir()
	m := fixtureBackup(t, dir)
	noConfig := filepath.Join(t.TempDir(), "absent.yaml")
	code, out, errOut := runCLI(t, "", "-c", noConfig, "backup", "verify", "latest", "--from", dir)
	if code != 0 || !strings.Contains(out, "backup "+m.ID+" verified") || strings.Contains(errOut, "coordinator") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	target := testbed.StartFerretDBT(t).URI()
	code, out, errOut = runCLI(t, "", "-c", noConfig, "restore", m.ID, "--from", dir, "--to-uri", target, "--ns-from", "app.*", "--ns-to", "drill.*")
	if code != 0 || !strings.Contains(out, "300 documents verified") || strings.Contains(errOut, "coordinator") {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(file, []byte(downConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"cluster", "failover", "--rs", "main", "--to-site", "lyon", "--force"},
		{"cluster", "rejoin", "--rs", "main", "--site", "paris"},
	} {
		code, _, errOut := runCLI(t, "", append([]string{"-c", file}, args...)...)
		if code != 4 || !strings.Contains(errOut, "main") || strings.Contains(errOut, "coordinator") {
			t.Errorf("%v: exit %d, want 4 from the members\n%s", args, code, errOut)
		}
	}
}
