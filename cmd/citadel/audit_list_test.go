package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

// runAudit runs `citadel <args>` with the audit command (not yet in
// newApp's list: see auditCommand).
func runAudit(ctx context.Context, args ...string) (string, error) {
	var out, errb strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	app := &cli.App{Name: "citadel", Writer: &out, ErrWriter: &errb, Flags: globalFlags(), Before: e.before,
		ExitErrHandler: func(*cli.Context, error) {}, OnUsageError: usageError, Commands: []*cli.Command{auditCommand(e)}}
	err := app.RunContext(ctx, append([]string{"citadel"}, args...))
	return out.String(), err
}

// TestAuditListReadsTheRaftTrail: `citadel audit list` reads the records
// appended to a one-node coordinator's raft log, newest first, filtered by
// action prefix, time and count; a bad --since or --limit is a usage error.
func TestAuditListReadsTheRaftTrail(t *testing.T) {
	dir := t.TempDir()
	httpAddr := testbed.FreeAddr(t)
	cfg := filepath.Join(dir, "citadel.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: paris\ncoordinator:\n  data_dir: %s\n  token_env: CITADEL_TEST_COORD_TOKEN\n  nodes:\n    - {id: n1, site: paris, raft_address: %q, http_address: %q}\n",
		filepath.Join(dir, "data"), testbed.FreeAddr(t), httpAddr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITADEL_TEST_COORD_TOKEN", "audit-test-token")
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		code, _, _ := runCLICtx(ctx, "-c", cfg, "server", "--node-id", "n1")
		served <- code
	}()
	defer func() { stop(); <-served }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var gs coordinator.GroupStatus
		code, out, _ := runCLI(t, "", "-c", cfg, "-o", "json", "coordinator", "status")
		if code == 0 && json.Unmarshal([]byte(out), &gs) == nil && gs.Leader == "n1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader within 30s: exit %d %s", code, out)
		}
	}
	c, err := api.NewClient("http://"+httpAddr, "audit-test-token", api.ClientOptions{Who: "test"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	for i, a := range []string{"backup.run", "cluster.failover", "backup.prune"} {
		rec := store.AuditRecord{Time: base.Add(time.Duration(i) * time.Minute), Who: "ops", Action: a, Target: "main", Outcome: "ok"}
		if err := c.AppendAudit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"backup.prune", "cluster.failover", "backup.run"}},
		{[]string{"--action", "backup"}, []string{"backup.prune", "backup.run"}},
		{[]string{"--limit", "1"}, []string{"backup.prune"}},
		{[]string{"--since", base.Add(30 * time.Second).Format(time.RFC3339)}, []string{"backup.prune", "cluster.failover"}},
		{[]string{"--since", "1m"}, nil},
	} {
		out, err := runAudit(ctx, append([]string{"-c", cfg, "-o", "json", "audit", "list"}, tc.args...)...)
		var recs []store.AuditRecord
		if err != nil || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("audit list %v: %v\n%s", tc.args, err, out)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Action)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("audit list %v: %v, want %v", tc.args, got, tc.want)
		}
	}
	out, err := runAudit(ctx, "-c", cfg, "audit", "list", "--coordinator", httpAddr)
	if err != nil || !strings.HasPrefix(strings.Join(strings.Fields(out), " "), "SEQ TIME WHO ACTION TARGET OUTCOME 3 ") || !strings.Contains(out, "3 record(s), newest first, read from "+httpAddr) {
		t.Errorf("audit list table: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--since", "yesterday"}, {"--limit", "0"}, {"extra"}} {
		if _, err := runAudit(ctx, append([]string{"-c", cfg, "audit", "list"}, args...)...); !errors.Is(err, fault.ErrUsage) {
			t.Errorf("audit list %v: %v, want a usage error", args, err)
		}
	}
}
