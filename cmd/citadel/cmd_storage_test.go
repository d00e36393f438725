package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/test/testbed"
)

// storageConfig writes a configuration with a MinIO storage locking
// objects one day (keys in $ST_AK, $ST_SK) and a directory storage.
func storageConfig(t *testing.T, endpoint, dir string) string {
	t.Helper()
	yaml := fmt.Sprintf(`sites:
  - name: paris
  - name: lyon
storages:
  - name: minio-lyon
    site: lyon
    s3: {endpoint: %q, bucket: backups-lyon, prefix: citadel, access_key_env: ST_AK, secret_key_env: ST_SK, object_lock_days: 1}
  - name: nas
    site: paris
    filesystem: {path: %q}
`, endpoint, dir)
	path := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStorageCommands: storage init creates the bucket with object lock
// and the directory, and the second time has nothing to do; storage check
// prints one line per check and passes; with a wrong secret key it exits 3
// naming the storage and the credentials check; -o json gives the same
// results; an unknown storage is a usage error naming the configured ones.
func TestStorageCommands(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	dir := filepath.Join(t.TempDir(), "nas")
	cfg := storageConfig(t, srv.Endpoint, dir)
	t.Setenv("ST_AK", srv.AccessKey)
	t.Setenv("ST_SK", srv.SecretKey)

	code, out, errOut := runCLI(t, "", "-c", cfg, "storage", "init")
	if code != 0 || !strings.Contains(out, `created bucket "backups-lyon" at `+srv.Endpoint+" with object lock") || !strings.Contains(out, "created directory "+dir) {
		t.Fatalf("storage init: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", cfg, "storage", "init", "minio-lyon", "-o", "json")
	var inits []backup.InitResult
	if code != 0 || json.Unmarshal([]byte(out), &inits) != nil || len(inits) != 1 || inits[0].Result != "exists" || !inits[0].ObjectLock {
		t.Fatalf("storage init again: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, "", "-c", cfg, "storage", "check")
	if code != 0 || strings.Count(out, "\n") != 1+9+4 || strings.Contains(out, "failed") {
		t.Fatalf("storage check: exit %d, want 14 lines (a header, 9 checks of minio-lyon, 4 of nas)\n%s%s", code, out, errOut)
	}
	for _, row := range [][3]string{{"minio-lyon", "credentials", "ok"}, {"minio-lyon", "retention", "ok"}, {"nas", "delete", "ok"}} {
		if !hasRow(out, row[:]...) {
			t.Errorf("storage check: no line %q in\n%s", row, out)
		}
	}

	t.Setenv("ST_SK", "not-the-secret")
	code, out, errOut = runCLI(t, "", "-c", cfg, "storage", "check", "minio-lyon")
	if code != 3 || !strings.Contains(errOut, "citadel: storage minio-lyon: check credentials failed") || !strings.Contains(errOut, "$ST_SK") ||
		!hasRow(out, "minio-lyon", "credentials", "failed") || !hasRow(out, "minio-lyon", "write", "skipped") {
		t.Fatalf("storage check with a wrong secret: exit %d, want 3 naming the credentials check\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "-c", cfg, "-o", "json", "storage", "check", "minio-lyon")
	var checks []backup.CheckResult
	if code != 3 || json.Unmarshal([]byte(out), &checks) != nil || len(checks) != 1 || checks[0].OK || checks[0].Checks[2].Check != "credentials" ||
		checks[0].Checks[2].Result != "failed" || checks[0].Checks[2].Fix == "" {
		t.Fatalf("storage check -o json with a wrong secret: exit %d\n%s", code, out)
	}

	if code, _, errOut = runCLI(t, "", "-c", cfg, "storage", "check", "minio-paris"); code != 2 || !strings.Contains(errOut, "minio-lyon, nas") {
		t.Fatalf("storage check of an unknown storage: exit %d, want 2 naming the storages\n%s", code, errOut)
	}
	if code, _, errOut = runCLI(t, "", "-c", cfg, "storage", "init", "a", "b"); code != 2 || !strings.Contains(errOut, "usage: citadel storage init [NAME]") {
		t.Fatalf("storage init with two names: exit %d, want 2\n%s", code, errOut)
	}
}

// TestStorageInitWrongLock: a bucket that exists without object lock
// while object_lock_days is set is refused (exit 4), saying why.
func TestStorageInitWrongLock(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	t.Setenv("ST_AK", srv.AccessKey)
	t.Setenv("ST_SK", srv.SecretKey)
	plain := storageConfig(t, srv.Endpoint, t.TempDir())
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, []byte(strings.Replace(string(b), ", object_lock_days: 1", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "", "-c", plain, "storage", "init", "minio-lyon"); code != 0 {
		t.Fatalf("storage init without lock: exit %d\n%s%s", code, out, errOut)
	}
	locked := storageConfig(t, srv.Endpoint, t.TempDir())
	code, out, errOut := runCLI(t, "", "-c", locked, "storage", "init", "minio-lyon")
	if code != 4 || !hasRow(out, "minio-lyon", "refused") || !strings.Contains(errOut, "exists without object lock, but object_lock_days is 1") {
		t.Fatalf("storage init over a bucket without lock: exit %d, want 4\n%s%s", code, out, errOut)
	}
}

// TestStorageExitCodes: with nobody listening at the endpoint, init
// fails (exit 1) and check does not verify (exit 3), as their help says.
func TestStorageExitCodes(t *testing.T) {
	t.Setenv("ST_AK", "minioadmin")
	t.Setenv("ST_SK", "minioadmin")
	cfg := storageConfig(t, testbed.FreeAddr(t), t.TempDir())
	if code, out, errOut := runCLI(t, "", "-c", cfg, "storage", "init", "minio-lyon"); code != 1 || !hasRow(out, "minio-lyon", "failed") ||
		!strings.Contains(errOut, "server unreachable") {
		t.Errorf("storage init of an unreachable server: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "-c", cfg, "storage", "check", "minio-lyon"); code != 3 || !hasRow(out, "minio-lyon", "reachable", "failed") ||
		!strings.Contains(errOut, "storage minio-lyon: check reachable failed") {
		t.Errorf("storage check of an unreachable server: exit %d, want 3\n%s%s", code, out, errOut)
	}
	for cmd, want := range map[string]string{"init": "4 when a bucket exists with the other", "check": "3 when a check failed"} {
		if code, out, _ := runCLI(t, "", "storage", cmd, "--help"); code != 0 || !strings.Contains(out, want) {
			t.Errorf("storage %s --help: exit %d, does not say %q\n%s", cmd, code, want, out)
		}
	}
}

// hasRow reports whether a line of a table starts with these columns.
func hasRow(table string, cols ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cols) && slices.Equal(f[:len(cols)], cols) {
			return true
		}
	}
	return false
}
