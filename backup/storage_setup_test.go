package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

// s3Storage is a configured MinIO storage whose keys are in $ST_AK and
// $ST_SK.
func s3Storage(name, endpoint, bucket string, lockDays int) config.Storage {
	return config.Storage{Name: name, Site: "lyon", S3: &config.S3{Endpoint: endpoint, Bucket: bucket, Prefix: "citadel",
		AccessKeyEnv: "ST_AK", SecretKeyEnv: "ST_SK", ObjectLockDays: lockDays}}
}

func results(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		b.WriteString(c.Check + "=" + c.Result + " ")
	}
	return strings.TrimSpace(b.String())
}

// TestStorageInitAndCheckS3: init creates each bucket with the object-lock
// mode its storage asks for and is a no-op the second time; check passes
// every check and leaves nothing behind; a bucket with the wrong lock mode
// is refused by init and fails check; wrong credentials and a missing
// bucket fail the check that says so, with what to do.
func TestStorageInitAndCheckS3(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	ctx := context.Background()
	t.Setenv("ST_AK", srv.AccessKey)
	t.Setenv("ST_SK", srv.SecretKey)
	cfg := &config.Config{File: "citadel.yaml", Storages: []config.Storage{
		s3Storage("minio-lyon", srv.Endpoint, "locked", 1),
		s3Storage("minio-paris", srv.Endpoint, "plain", 0),
	}}
	res, err := InitStorages(ctx, cfg, "")
	if err != nil || len(res) != 2 || res[0].Result != "created" || !res[0].ObjectLock || res[1].Result != "created" || res[1].ObjectLock {
		t.Fatalf("first init: %+v, %v", res, err)
	}
	for _, sc := range cfg.Storages {
		st, _ := openS3(&sc)
		if b, err := st.Inspect(ctx); err != nil || !b.Exists || b.ObjectLock != (sc.S3.ObjectLockDays > 0) {
			t.Errorf("bucket of %s: %+v, %v", sc.Name, b, err)
		}
	}
	res, err = InitStorages(ctx, cfg, "")
	if err != nil || res[0].Result != "exists" || res[1].Result != "exists" || !strings.Contains(res[0].Detail, "nothing to do") {
		t.Fatalf("second init: %+v, %v", res, err)
	}

	checks, err := CheckStorages(ctx, cfg, "")
	if err != nil || len(checks) != 2 || !checks[0].OK || !checks[1].OK {
		t.Fatalf("check: %+v, %v", checks, err)
	}
	if got := results(checks[0].Checks); got != "configuration=ok reachable=ok credentials=ok bucket=ok object_lock=ok write=ok read=ok retention=ok delete=ok" {
		t.Errorf("checks of the locked bucket: %s", got)
	}
	if got := results(checks[1].Checks); got != "configuration=ok reachable=ok credentials=ok bucket=ok object_lock=ok write=ok read=ok delete=ok" {
		t.Errorf("checks of the plain bucket: %s", got)
	}
	for _, sc := range cfg.Storages {
		st, _ := OpenStorage(&sc)
		if left, err := storage.Collect(ctx, st, ""); err != nil || len(left) != 0 {
			t.Errorf("check left %+v in %s (%v)", left, sc.Name, err)
		}
	}

	// The wrong lock mode, both ways: init refuses (exit 4), check fails.
	wrong := &config.Config{File: "citadel.yaml", Storages: []config.Storage{
		s3Storage("unlocked-cfg", srv.Endpoint, "locked", 0),
		s3Storage("locked-cfg", srv.Endpoint, "plain", 7),
	}}
	res, err = InitStorages(ctx, wrong, "")
	if !errors.Is(err, fault.ErrRefused) || res[0].Result != "refused" || res[1].Result != "refused" ||
		!strings.Contains(err.Error(), `bucket "plain"`) || !strings.Contains(err.Error(), "can only be enabled when a bucket is created") {
		t.Errorf("init over the wrong lock mode: %+v, %v", res, err)
	}
	for _, name := range []string{"unlocked-cfg", "locked-cfg"} {
		r, err := CheckStorages(ctx, wrong, name)
		if err == nil || !strings.Contains(err.Error(), "storage "+name+": check object_lock failed") || r[0].OK {
			t.Errorf("check %s: %+v, %v", name, r, err)
		}
	}

	t.Setenv("ST_SK", "not-the-secret")
	r, err := CheckStorages(ctx, cfg, "minio-lyon")
	if !errors.Is(err, fault.ErrVerification) || !strings.Contains(err.Error(), "storage minio-lyon: check credentials failed") || !strings.Contains(err.Error(), "$ST_SK") {
		t.Errorf("check with a wrong secret: %v", err)
	} else if got := results(r[0].Checks); !strings.HasPrefix(got, "configuration=ok reachable=ok credentials=failed bucket=skipped") {
		t.Errorf("checks with a wrong secret: %s", got)
	}
	t.Setenv("ST_SK", srv.SecretKey)

	down := &config.Config{File: "citadel.yaml", Storages: []config.Storage{s3Storage("minio-down", testbed.FreeAddr(t), "locked", 1)}}
	if r, err := CheckStorages(ctx, down, ""); !errors.Is(err, fault.ErrVerification) || !strings.Contains(err.Error(), "storage minio-down: check reachable failed") ||
		!strings.Contains(err.Error(), "check s3.endpoint") || results(r[0].Checks) != "configuration=ok reachable=failed credentials=skipped bucket=skipped "+
		"object_lock=skipped write=skipped read=skipped retention=skipped delete=skipped" {
		t.Errorf("check of a server nobody listens at: %+v, %v", r, err)
	}

	missing := &config.Config{File: "citadel.yaml", Storages: []config.Storage{s3Storage("minio-new", srv.Endpoint, "not-yet", 0)}}
	if _, err := CheckStorages(ctx, missing, ""); err == nil || !strings.Contains(err.Error(), `check bucket failed: bucket "not-yet" does not exist at `+srv.Endpoint+": run citadel storage init minio-new") {
		t.Errorf("check of a missing bucket: %v", err)
	}
	if _, err := CheckStorages(ctx, missing, "typo"); !errors.Is(err, fault.ErrUsage) || !strings.Contains(err.Error(), "minio-new") {
		t.Errorf("check of an unknown storage: %v", err)
	}
}

// TestStorageInitAndCheckFilesystem: a missing directory fails the check,
// init creates it (then has nothing to do), and the check then passes and
// leaves nothing behind.
func TestStorageInitAndCheckFilesystem(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "backups", "lyon")
	cfg := &config.Config{File: "citadel.yaml", Storages: []config.Storage{{Name: "nas", Site: "lyon", Filesystem: &config.Filesystem{Path: dir}}}}
	if _, err := CheckStorages(ctx, cfg, "nas"); err == nil || !strings.Contains(err.Error(), "storage nas: check reachable failed: directory "+dir+" does not exist") ||
		!strings.Contains(err.Error(), "citadel storage init nas") {
		t.Fatalf("check of a missing directory: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("check created the directory: %v", err)
	}
	if res, err := InitStorages(ctx, cfg, ""); err != nil || res[0].Result != "created" {
		t.Fatalf("init: %+v, %v", res, err)
	}
	if res, err := InitStorages(ctx, cfg, "nas"); err != nil || res[0].Result != "exists" {
		t.Fatalf("second init: %+v, %v", res, err)
	}
	r, err := CheckStorages(ctx, cfg, "")
	if err != nil || results(r[0].Checks) != "reachable=ok write=ok read=ok delete=ok" {
		t.Fatalf("check: %+v, %v", r, err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("check left %v (%v)", entries, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	cfg.Storages[0].Filesystem.Path = file
	if _, err := InitStorages(ctx, cfg, ""); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("init over a file: %v", err)
	}
}

// TestNamedStorageSaysInit: a configured storage's missing-bucket errors,
// and those of a backup's destination, name the bucket, the server and the
// command that creates it.
func TestNamedStorageSaysInit(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	ctx := context.Background()
	t.Setenv("ST_AK", srv.AccessKey)
	t.Setenv("ST_SK", srv.SecretKey)
	sc := s3Storage("minio-lyon", srv.Endpoint, "citadel-backups", 0)
	st, err := OpenNamedStorage(&sc)
	if err != nil {
		t.Fatal(err)
	}
	want := `bucket "citadel-backups" does not exist at ` + srv.Endpoint + ": run citadel storage init minio-lyon"
	_, err = storage.PutBytes(ctx, st, "main/x", []byte("x"), storage.PutOptions{})
	if !errors.Is(err, storage.ErrNoBucket) || !strings.Contains(err.Error(), want) {
		t.Errorf("put: %v, want %q", err, want)
	}
	if _, err := storage.Collect(ctx, st, "main/"); !errors.Is(err, storage.ErrNoBucket) || !strings.Contains(err.Error(), want) {
		t.Errorf("list: %v, want %q", err, want)
	}
	dest, err := Destination(nil, &sc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.PutBytes(ctx, dest.Storage, "main/x", []byte("x"), storage.PutOptions{}); !errors.Is(err, storage.ErrNoBucket) || !strings.Contains(err.Error(), want) {
		t.Errorf("put to a backup's destination: %v, want %q", err, want)
	}
	if _, err := openS3(&sc); err != nil {
		t.Errorf("the backend under a named storage: %v", err)
	}
	if _, ok := st.(interface{ Unwrap() storage.Storage }).Unwrap().(*s3.Storage); !ok {
		t.Errorf("Unwrap does not give the S3 backend")
	}
}

// TestStorageInitHintOnce: a storage given the hint twice says it once.
func TestStorageInitHintOnce(t *testing.T) {
	st, err := OpenStorage(&config.Storage{Name: "nas", Filesystem: &config.Filesystem{Path: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	n := withInitHint("nas", st)
	if withInitHint("nas", n) != n {
		t.Error("a storage with the hint is wrapped twice")
	}
	if err := withInitHint("nas", n).(named).hint(storage.ErrNoBucket); strings.Count(err.Error(), "storage init") != 1 {
		t.Errorf("hint: %v", err)
	}
}
