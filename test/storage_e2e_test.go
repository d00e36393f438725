package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/noscites/citadel/test/testbed"
)

// TestStorageInitBeforeFirstBackup: a backup to a bucket nobody created
// fails naming the bucket, the server and the command that creates it;
// storage check says the same; storage init creates it (then has nothing
// to do), storage check passes, and the backup runs.
func TestStorageInitBeforeFirstBackup(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	w := bkSmallWorld(t, fmt.Sprintf("  - name: minio-lyon\n    site: lyon\n    s3: {endpoint: %q, bucket: citadel-backups, prefix: citadel, "+
		"access_key_env: BK_AK, secret_key_env: BK_SK, object_lock_days: 1}\n", srv.Endpoint), "    storage: minio-lyon\n")
	w.env = []string{"BK_AK=" + srv.AccessKey, "BK_SK=" + srv.SecretKey}
	bkInsert(t, w.smallSet(t), "app", "things", "x", 10)

	missing := fmt.Sprintf(`bucket "citadel-backups" does not exist at %s: run citadel storage init minio-lyon`, srv.Endpoint)
	if code, _, errOut := w.citadel(t, "backup", "run"); code != 1 || !strings.Contains(errOut, missing) {
		t.Fatalf("backup run to a missing bucket: exit %d, want 1 saying %q", code, missing)
	}
	if code, _, errOut := w.citadel(t, "storage", "check", "minio-lyon"); code != 3 || !strings.Contains(errOut, "storage minio-lyon: check bucket failed: "+missing) {
		t.Fatalf("storage check of a missing bucket: exit %d, want 3 saying %q", code, missing)
	}
	if code, out, _ := w.citadel(t, "storage", "init"); code != 0 || !strings.Contains(out, `created bucket "citadel-backups"`) || !strings.Contains(out, "with object lock") {
		t.Fatalf("storage init: exit %d", code)
	}
	if code, out, _ := w.citadel(t, "storage", "init", "minio-lyon"); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("storage init again: exit %d", code)
	}
	if code, _, _ := w.citadel(t, "storage", "check"); code != 0 {
		t.Fatalf("storage check: exit %d", code)
	}
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run after storage init: exit %d", code)
	}
}
