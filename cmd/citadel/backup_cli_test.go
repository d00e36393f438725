package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/backuptest"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/test/testbed"
)

// fixtureBackup dumps a FerretDB holding one small collection into dir.
func fixtureBackup(t *testing.T, dir string) *manifest.Manifest {
	ctx := context.Background()
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	var docs []any
	for i := range 300 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: strings.Repeat("x", i%40)}})
	}
	if _, err := src.Database("app").Collection("things").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	st, _ := fs.New(dir)
	return backuptest.Dump(t, src, st, backuptest.Options{})
}

// TestBackupCommandsWithoutConfig: list, show, verify and restore work
// with only a storage location, as in a disaster with no config at hand.
func TestBackupCommandsWithoutConfig(t *testing.T) {
	dir := t.TempDir()
	m := fixtureBackup(t, dir)
	noConfig := filepath.Join(t.TempDir(), "absent.yaml")

	code, out, errOut := runCLI(t, "", "-c", noConfig, "-o", "json", "backup", "list", "--from", dir)
	var list []jobs.Summary
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("list: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "", "-c", noConfig, "backup", "verify", "latest", "--from", dir, "--read-data"); code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	target := testbed.StartFerretDBT(t).URI()
	code, out, errOut = runCLI(t, "", "-c", noConfig, "restore", m.ID, "--from", dir, "--to-uri", target, "--ns-from", "app.*", "--ns-to", "drill.*")
	if code != 0 || !strings.Contains(out, "300 documents verified") {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = runCLI(t, "", "-c", noConfig, "restore", m.ID, "--from", dir, "--to-uri", target, "--ns-from", "app.*", "--ns-to", "drill.*"); code != 4 {
		t.Fatalf("restore over existing data: exit %d, want 4\n%s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", noConfig, "restore", m.ID, "--from", dir, "--to-uri", target, "--ns-from", "app.*", "--ns-to", "drill2.*", "--read-back")
	if code != 0 || !strings.Contains(out, "300 documents verified against the manifest (and read back)") {
		t.Fatalf("restore --read-back: exit %d\n%s\n%s", code, out, errOut)
	}

	// Damage: verify exits 3 and names the key.
	key := layout.Dir("main", m.ID) + m.Collections[0].Data.Key
	path := filepath.Join(dir, filepath.FromSlash(key))
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0x10
	os.WriteFile(path, b, 0o600)
	code, _, errOut = runCLI(t, "", "-c", noConfig, "backup", "verify", m.ID, "--from", dir)
	if code != 3 || !strings.Contains(errOut, key) {
		t.Fatalf("verify of a damaged backup: exit %d, want 3 naming %s\n%s", code, key, errOut)
	}
	os.Remove(path)
	code, out, _ = runCLI(t, "", "-c", noConfig, "-o", "json", "backup", "verify", m.ID, "--from", dir)
	if code != 3 || !strings.Contains(out, `"problem": "missing"`) {
		t.Fatalf("verify of a deleted object: exit %d\n%s", code, out)
	}
	if code, _, _ = runCLI(t, "", "-c", noConfig, "restore", m.ID, "--from", dir); code != 2 {
		t.Fatalf("restore without target: exit %d, want 2", code)
	}
}

// TestReadPathsCreateNothing: in a disaster, a mistyped location must not
// read as "there are no backups" (issue 10, defect 1).
func TestReadPathsCreateNothing(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "bakcups")
	noConfig := filepath.Join(t.TempDir(), "absent.yaml")
	for _, args := range [][]string{
		{"backup", "list", "--from", typo},
		{"-o", "json", "backup", "list", "--from", "file://" + typo},
		{"backup", "verify", "latest", "--from", typo},
		{"restore", "latest", "--from", typo, "--to-uri", "mongodb://127.0.0.1:1/"},
	} {
		code, out, errOut := runCLI(t, "", append([]string{"-c", noConfig}, args...)...)
		if code != 1 || !strings.Contains(errOut, typo) || !strings.Contains(errOut, "does not exist") {
			t.Errorf("%v: exit %d, want 1 naming %s as missing\n%s%s", args, code, typo, out, errOut)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("%v created %s", args, typo)
		}
	}
}
