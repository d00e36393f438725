package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
func jobsConfig(t *testing.T, bucket string) (file, httpAddr string) {
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
drills:
  - name: weekly
    backup: nightly
    schedule: "0 5 * * 0"
    target: {uri_env: CITADEL_TEST_DRILL_URI}
    max_rto: 30m
    max_rpo: 1h
  - name: strict
    backup: nightly
    schedule: "0 6 * * 0"
    target: {uri_env: CITADEL_TEST_DRILL_URI}
    max_rto: 1ms
    max_rpo: 1h
coordinator:
  data_dir: %s
  token_env: CITADEL_TEST_COORD_TOKEN
  nodes:
    - {id: n1, site: paris, raft_address: %q, http_address: %q}
`, bucket, filepath.Join(dir, "data"), testbed.FreeAddr(t), httpAddr)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_COORD_TOKEN", "jobs-test-token")
	t.Setenv("CITADEL_TEST_DRILL_URI", "mongodb://127.0.0.1:4/?connectTimeoutMS=1000&serverSelectionTimeoutMS=1000")
	return file, httpAddr
}

// serve runs `citadel server` until the test ends and waits for it to lead.
func serve(t *testing.T, cfg string) {
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan string, 1)
	go func() {
		code, _, errOut := runCLICtx(ctx, "-c", cfg, "server", "--node-id", "n1")
		served <- fmt.Sprintf("exit %d: %s", code, errOut)
	}()
	t.Cleanup(func() { stop(); <-served })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var gs coordinator.GroupStatus
		code, out, errOut := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "status")
		if code == 0 && json.Unmarshal([]byte(out), &gs) == nil && gs.Leader == "n1" {
			return
		}
		select {
		case s := <-served:
			served <- s
			t.Fatalf("citadel server stopped: %s", s)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			s := <-served
			served <- s
			t.Fatalf("no leader within 30s: exit %d %s %s\nserver %s", code, out, errOut, s)
		}
	}
}

// TestCoordinatorJobsRunRuns: `coordinator jobs` lists the configured
// backup's job; `coordinator run` triggers it and waits, a failed run
// exits 1 with the job layer's error; `backup run` with --coordinator,
// CITADEL_COORDINATOR or coordinator.cli: coordinator runs that job
// instead of backing up directly (--direct: directly again);
// `coordinator runs` shows the four runs; mistakes exit 2.
func TestCoordinatorJobsRunRuns(t *testing.T) {
	cfg, httpAddr := jobsConfig(t, t.TempDir())
	serve(t, cfg)

	code, out, errOut := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "jobs")
	var js []coordinator.JobStatus
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js) != 3 || js[0].Name != "backup-nightly" || js[2].Name != "drill-weekly" || js[0].Next.IsZero() || js[0].Last != nil {
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
	// The config says so: coordinator.cli: coordinator; --direct overrides it.
	viaConfig := filepath.Join(t.TempDir(), "via.yaml")
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(viaConfig, append(b, "  cli: coordinator\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = runCLI(t, "", "-c", viaConfig, "backup", "run"); code != 1 || !strings.Contains(errOut, "of backup-nightly started on n1") {
		t.Errorf("backup run with coordinator.cli: coordinator: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = runCLI(t, "", "-c", viaConfig, "backup", "run", "--direct"); code != 1 || strings.Contains(errOut, "started on") || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("backup run --direct: exit %d\n%s", code, errOut)
	}
	t.Setenv("CITADEL_COORDINATOR", httpAddr)
	if code, _, errOut = runCLI(t, "", "-c", cfg, "backup", "run"); code != 1 || !strings.Contains(errOut, "of backup-nightly started on n1") {
		t.Errorf("backup run with CITADEL_COORDINATOR: exit %d\n%s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "runs", "backup-nightly", "--limit", "5")
	var runs []store.Run
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 4 {
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
		{[]string{"coordinator", "run", "nope"}, 2, `"nope" (jobs: backup-nightly, drill-strict, drill-weekly)`},
		{[]string{"coordinator", "runs", "nope"}, 2, "no such job"},
		{[]string{"coordinator", "run"}, 2, "JOB"},
		{[]string{"coordinator", "runs", "backup-nightly", "--limit", "0"}, 2, "--limit"},
		{[]string{"backup", "run", "--include-system"}, 2, "run it directly"},
		{[]string{"drill", "run"}, 2, "name the drill"},
		{[]string{"backup", "run", "--coordinator", "http://" + testbed.FreeAddr(t)}, 1, "no coordinator node answered"},
	} {
		if code, _, errOut := runCLI(t, "", append([]string{"-c", cfg}, tc.args...)...); code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d (want %d)\n%s", tc.args, code, tc.code, errOut)
		}
	}
}

// TestDrillRunThroughCoordinator: `drill run --coordinator URL` runs the
// drill's job and ends as the direct run does: the same exit code and the
// same report lines but for the id and the measured times: a target that
// does not answer (no report, exit 1), a real backup restored into a
// FerretDB (passed, 0), the same over a 1 ms max_rto (did not pass, 3). A
// flag the job cannot take is a usage error.
func TestDrillRunThroughCoordinator(t *testing.T) {
	bucket := t.TempDir()
	fixtureBackup(t, bucket)
	ferret := testbed.StartFerretDBT(t).URI()
	cfg, httpAddr := jobsConfig(t, bucket) // after the FerretDBs took their ports
	serve(t, cfg)
	for _, tc := range []struct {
		drill, target string
		code          int
	}{{"weekly", "", 1}, {"weekly", ferret, 0}, {"strict", ferret, 3},
		// A production member as target: refused, exit 4 both ways (the
		// run record keeps the error's category).
		{"weekly", "mongodb://127.0.0.1:1/?connectTimeoutMS=1000&serverSelectionTimeoutMS=1000", 4}} {
		if tc.target != "" {
			t.Setenv("CITADEL_TEST_DRILL_URI", tc.target) // the server reads it at each run
		}
		dcode, dout, derr := runCLI(t, "", "-c", cfg, "drill", "run", tc.drill)
		ccode, cout, cerr := runCLI(t, "", "-c", cfg, "drill", "run", tc.drill, "--coordinator", httpAddr)
		t.Logf("direct: exit %d\n%s%s\nthrough the coordinator: exit %d\n%s%s", dcode, dout, derr, ccode, cout, cerr)
		if ccode != tc.code || dcode != tc.code || !strings.Contains(cerr, "of drill-"+tc.drill+" started on n1") {
			t.Errorf("drill %s: exit %d through the coordinator, %d directly, want %d", tc.drill, ccode, dcode, tc.code)
		}
		if a, b := reportShape(dout), reportShape(cout); a != b {
			t.Errorf("outputs differ:\n%s\nvs\n%s", a, b)
		}
	}
	if code, _, errOut := runCLI(t, "", "-c", cfg, "drill", "run", "--coordinator", httpAddr, "--backup", "x"); code != 2 || !strings.Contains(errOut, "--backup is not a coordinator job parameter") {
		t.Errorf("drill run --coordinator --backup: exit %d\n%s", code, errOut)
	}
}

// reportShape is a drill's output with its ids and numbers (times,
// durations, paths) blanked.
func reportShape(s string) string {
	s = regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{4}`).ReplaceAllString(s, "ID")
	return regexp.MustCompile(`[0-9][0-9.:]*[a-zµ]*`).ReplaceAllString(s, "#")
}

// TestCoordinatorFlagDoesNotLeak: CITADEL_COORDINATOR read by one run is
// not the next run's default in the same process (urfave/cli writes a
// flag's Value from its variable: each command tree has its own flags).
func TestCoordinatorFlagDoesNotLeak(t *testing.T) {
	cfg, configured := jobsConfig(t, t.TempDir())
	dead := testbed.FreeAddr(t)
	t.Setenv("CITADEL_COORDINATOR", dead)
	for _, args := range [][]string{{"coordinator", "jobs"}, {"backup", "run"}} {
		if code, _, errOut := runCLI(t, "", append([]string{"-c", cfg}, args...)...); code != 1 || !strings.Contains(errOut, dead) {
			t.Fatalf("%v with CITADEL_COORDINATOR: exit %d\n%s", args, code, errOut)
		}
	}
	os.Unsetenv("CITADEL_COORDINATOR")
	if code, _, errOut := runCLI(t, "", "-c", cfg, "coordinator", "jobs"); code != 1 || strings.Contains(errOut, dead) || !strings.Contains(errOut, configured) {
		t.Fatalf("coordinator jobs after: exit %d, want the configured node %s asked\n%s", code, configured, errOut)
	}
}
