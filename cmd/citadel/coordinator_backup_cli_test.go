package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/test/testbed"
)

// TestBackupRunThroughCoordinator: on a one-member simulated set, `backup
// run` through the coordinator (--coordinator, then `coordinator run`)
// takes the backup on the server and prints what the direct run prints
// (the same line but for the id and figures; -o json the same
// jobs.BackupResult, its id named after the run's token).
func TestBackupRunThroughCoordinator(t *testing.T) {
	host := startOneMemberSet(t)
	c := testbed.Connect(t, "mongodb://"+host+"/?directConnection=true")
	docs := make([]any, 200)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "v", Value: strings.Repeat("y", i%30)}}
	}
	if _, err := c.Database("app").Collection("things").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	httpAddr := testbed.FreeAddr(t)
	cfg := filepath.Join(dir, "citadel.yaml")
	yaml := fmt.Sprintf(`sites: [{name: paris}, {name: lyon}]
replica_sets:
  - name: main
    members: [{host: %q, site: paris}]
storages:
  - {name: local, site: paris, filesystem: {path: %s}}
backups:
  - name: nightly
    replica_set: main
    storage: local
    schedule: "0 2 * * *"
    source: {prefer: primary, allow_primary: true}
    skip_probes: true
coordinator:
  data_dir: %s
  token_env: CITADEL_TEST_COORD_TOKEN
  nodes:
    - {id: n1, site: paris, raft_address: %q, http_address: %q}
`, host, filepath.Join(dir, "bucket"), filepath.Join(dir, "data"), testbed.FreeAddr(t), httpAddr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_COORD_TOKEN", "backup-test-token")
	serve(t, cfg)

	dcode, dout, derr := runCLI(t, "", "-c", cfg, "backup", "run")
	ccode, cout, cerr := runCLI(t, "", "-c", cfg, "backup", "run", "--coordinator", httpAddr)
	t.Logf("direct: exit %d\n%s%s\nthrough the coordinator: exit %d\n%s%s", dcode, dout, derr, ccode, cout, cerr)
	if dcode != 0 || ccode != 0 || !strings.Contains(cout, "backup ") || reportShape(dout) != reportShape(cout) {
		t.Fatalf("backup run: exit %d directly, %d through the coordinator; outputs differ", dcode, ccode)
	}
	code, out, errOut := runCLI(t, "", "-c", cfg, "-o", "json", "backup", "run", "--coordinator", httpAddr)
	var res jobs.BackupResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !strings.HasSuffix(res.Backup.ID, "-0002") || res.Backup.Documents != 200 || !res.Backup.Complete {
		t.Fatalf("backup run -o json through the coordinator: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "-c", cfg, "coordinator", "run", "backup-nightly")
	lines := strings.SplitN(out, "\n", 2)
	if code != 0 || !strings.Contains(lines[0], "of backup-nightly succeeded on n1") || len(lines) < 2 || reportShape(lines[1]) != reportShape(dout) {
		t.Fatalf("coordinator run: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "", "-c", cfg, "-o", "json", "backup", "list"); code != 0 || strings.Count(out, `"id"`) != 4 {
		t.Errorf("backup list after one direct and three coordinator backups: exit %d\n%s", code, out)
	}
}
