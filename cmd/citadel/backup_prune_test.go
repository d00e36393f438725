package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/noscites/citadel/backup/catalog"
)

func TestPrintPruneDrillReports(t *testing.T) {
	for _, dry := range []bool{true, false} {
		var out bytes.Buffer
		e := &env{stdout: &out}
		e.printPrune(catalog.PruneResult{ReplicaSet: "main", Storage: "s3://backups-lyon/citadel", DryRun: dry,
			DrillReports: []string{"main/drills/20261128T050000Z-0004.json"}})
		verb := "removed"
		if dry {
			verb = "would remove"
		}
		want := "  " + verb + " drill report main/drills/20261128T050000Z-0004.json (beyond retention.drill_reports)\n"
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run %v: output\n%s\nlacks %q", dry, out.String(), want)
		}
	}
}
