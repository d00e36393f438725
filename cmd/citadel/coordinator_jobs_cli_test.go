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
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/test/testbed"
)

// jobsConfig is one coordinator node and a scheduled backup of a set whose
// members do not answer: a run fails fast (1 s connect timeout), which is
// what these tests need of the job layer.
func jobsConfig(t *testing.T) (file, httpAddr string) {
	dir := t.TempDir()
	httpAddr = testbed.FreeAddr(t)
	file = filepath.Join(dir, "citadel.yaml")
	yaml := downConfig + fmt.Sprintf(`storages:
  - name: local
    site: paris
    filesystem: {path: %s}
backups:
  - name: nightly
    replica_set: main
    storage: local
    schedule: "0 2 * * *"
coordinator:
  data_dir: %s
  token_env: CITADEL_TEST_COORD_TOKEN
  nodes:
    - {id: n1, site: paris, raft_address: %q, http_address: %q}
`, filepath.Join(dir, "bucket"), filepath.Join(dir, "data"), testbed.FreeAddr(t), httpAddr)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_COORD_TOKEN", "jobs-test-token")
	return file, httpAddr
}

// serve runs `citadel server` until the test ends and waits for it to lead.
func serve(t *testing.T, cfg string) {
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		code, _, _ := runCLICtx(ctx, "-c", cfg, "server", "--node-id", "n1")
		served <- code
	}()
	t.Cleanup(func() { stop(); <-served })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var gs coordinator.GroupStatus
		code, out, _ := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "status")
		if code == 0 && json.Unmarshal([]byte(out), &gs) == nil && gs.Leader == "n1" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader within 30s: exit %d %s", code, out)
		}
	}
}

// TestCoordinatorJobsRunRuns: `coordinator jobs` lists the configured
// backup's job; `coordinator run` triggers it and waits, a failed run
// exits 1 with the job layer's error; `backup run` with --coordinator or
// CITADEL_COORDINATOR runs that job instead of backing up directly;
// `coordinator runs` shows the three runs; mistakes exit 2.
func TestCoordinatorJobsRunRuns(t *testing.T) {
	cfg, httpAddr := jobsConfig(t)
	serve(t, cfg)

	code, out, errOut := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "jobs")
	var js []coordinator.JobStatus
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js) != 1 || js[0].Name != "backup-nightly" || js[0].Next.IsZero() || js[0].Last != nil {
		t.Fatalf("jobs: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "-c", cfg, "coordinator", "jobs")
	if code != 0 || !strings.HasPrefix(strings.Join(strings.Fields(out), " "), "JOB KIND SCHEDULE ZONE NEXT LAST RUN LAST SUCCESS backup-nightly backup 0 2 * * * Europe/Paris") {
		t.Errorf("jobs table: exit %d\n%s", code, out)
	}

	code, out, errOut = runCLI(t, "", "-c", cfg, "coordinator", "run", "backup-nightly")
	if code != 1 || !strings.Contains(errOut, "started on n1") || !strings.Contains(out, "of backup-nightly failed on n1") || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("run of a failing job: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", cfg, "backup", "run", "--coordinator", "http://"+httpAddr)
	if code != 1 || !strings.Contains(errOut, "of backup-nightly started on n1") || out != "" {
		t.Errorf("backup run --coordinator: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Setenv("CITADEL_COORDINATOR", httpAddr)
	if code, _, errOut = runCLI(t, "", "-c", cfg, "backup", "run"); code != 1 || !strings.Contains(errOut, "of backup-nightly started on n1") {
		t.Errorf("backup run with CITADEL_COORDINATOR: exit %d\n%s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "runs", "backup-nightly", "--limit", "5")
	var runs []store.Run
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 3 {
		t.Fatalf("runs: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, r := range runs {
		if r.State != store.RunFailed || r.Trigger != store.TriggerManual || r.Who == "" || r.Who == "api" {
			t.Errorf("run %+v", r)
		}
	}
	code, out, _ = runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "run", "backup-nightly", "--no-wait")
	var started store.Run
	if code != 0 || json.Unmarshal([]byte(out), &started) != nil || started.ID == "" {
		t.Errorf("run --no-wait: exit %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"coordinator", "run", "nope"}, 2, `"nope" (jobs: backup-nightly)`},
		{[]string{"coordinator", "runs", "nope"}, 2, "no such job"},
		{[]string{"coordinator", "run"}, 2, "JOB"},
		{[]string{"coordinator", "runs", "backup-nightly", "--limit", "0"}, 2, "--limit"},
		{[]string{"backup", "run", "--include-system"}, 2, "run it directly"},
		{[]string{"backup", "run", "--coordinator", "http://" + testbed.FreeAddr(t)}, 1, "no coordinator node answered"},
	} {
		if code, _, errOut := runCLI(t, "", append([]string{"-c", cfg}, tc.args...)...); code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d (want %d)\n%s", tc.args, code, tc.code, errOut)
		}
	}
}
