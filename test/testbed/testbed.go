// Package testbed starts the real services integration tests need (a MinIO
// server and embedded FerretDB) on free loopback ports, each in its own
// temporary directory, and stops them when the test ends.
//
// A service that cannot start skips the test on a developer machine but
// fails it when CI=true: CI never silently skips what it needs.
package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/noscites/citadel/internal/loopback"
)

// Unavailable reports a service that cannot start: fatal under CI=true,
// a skip otherwise.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v", service, err)
	if InCI() {
		t.Fatalf("%s (CI=true: a missing service fails the test; run `make tools`)", msg)
	}
	t.Skipf("%s (skipped outside CI; set CI=true to make this fatal)", msg)
}

// InCI reports whether CI=true is set.
func InCI() bool { return os.Getenv("CI") == "true" }

// FreeAddr returns a loopback address with a port that was free a moment
// ago, outside the kernel's ephemeral range so that no bind(":0") or
// outgoing connection takes it before the service binds it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := loopback.Free()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("locate testbed source")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above %s", file)
		}
		dir = parent
	}
}
