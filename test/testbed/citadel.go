package testbed

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildCitadel builds the citadel binary into a temporary directory of
// tb and returns its path: the one way tests and benchmarks get the real
// binary (multi-process tests, the CLI end to end, RSS measurements).
func BuildCitadel(tb testing.TB, dir string) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "citadel")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/citadel")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build citadel: %v\n%s", err, out)
	}
	return bin
}
