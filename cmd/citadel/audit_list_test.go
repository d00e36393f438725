package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// TestAuditListReadsTheRaftTrail: `citadel audit list` reads the records
// appended to a one-node coordinator's raft log, newest first, filtered by
// action prefix, time and count; a bad --since or --limit is a usage error.
func TestAuditListReadsTheRaftTrail(t *testing.T) {
	cfg, httpAddr := oneNodeConfig(t, "audit-test-token")
	serve(t, cfg)
	ctx := context.Background()
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
		code, out, errOut := runCLI(t, "", append([]string{"-c", cfg, "-o", "json", "audit", "list"}, tc.args...)...)
		var recs []store.AuditRecord
		if code != 0 || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("audit list %v: exit %d %s\n%s", tc.args, code, errOut, out)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Action)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("audit list %v: %v, want %v", tc.args, got, tc.want)
		}
	}
	code, out, errOut := runCLI(t, "", "-c", cfg, "audit", "list", "--coordinator", httpAddr)
	if code != 0 || !strings.HasPrefix(strings.Join(strings.Fields(out), " "), "SEQ TIME WHO ACTION TARGET OUTCOME 3 ") || !strings.Contains(out, "3 record(s), newest first, read from "+httpAddr) {
		t.Errorf("audit list table: exit %d %s\n%s", code, errOut, out)
	}
	for _, args := range [][]string{{"--since", "yesterday"}, {"--limit", "0"}, {"extra"}} {
		if code, _, errOut := runCLI(t, "", append([]string{"-c", cfg, "audit", "list"}, args...)...); code != 2 {
			t.Errorf("audit list %v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}
