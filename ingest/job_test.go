package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/internal/audit"
)

// withFile is a fakeLoader with an input file and parameters.
type withFile struct {
	*fakeLoader
	path string
}

func (l withFile) Files() []string            { return []string{l.path} }
func (l withFile) Parameters() map[string]any { return map[string]any{"city": "paris"} }

// TestLoadRecordsAudit: every load, dry run or not, succeeded or failed,
// leaves one audit record naming the database and dataset, the files by
// base name, the loader's parameters and the counts.
func TestLoadRecordsAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []audit.Record
	trail := audit.New(nil, "tester", audit.Func(func(_ context.Context, r audit.Record) error {
		got = append(got, r)
		return nil
	}))
	target := &Target{Database: "opendata"}
	rej := []Reject{Rejectf(Loc{File: "f", Line: 3}, "bad", "x")}
	l := withFile{fakeLoader: &fakeLoader{docs: things(9, 0), rejects: rej}, path: path}

	if _, err := Load(context.Background(), target, l, Options{DryRun: true, MaxErrorRate: 0.5, Audit: trail}); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), target, l, Options{DryRun: true, MaxErrorRate: 0.01, Audit: trail})
	if !errors.Is(err, ErrTooManyRejects) {
		t.Fatalf("want ErrTooManyRejects, got %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("%d audit records, want 2: %+v", len(got), got)
	}
	ok, failed := got[0], got[1]
	if ok.Action != AuditAction || ok.Target != "opendata/fake" || ok.Who != "tester" || ok.Outcome != audit.DryRun || ok.Error != "" {
		t.Errorf("dry run record %+v", ok)
	}
	p := ok.Parameters
	if files, _ := p["files"].([]string); len(files) != 1 || files[0] != "in.csv" {
		t.Errorf("files %v: want the base name only", p["files"])
	}
	if p["city"] != "paris" || p["dry_run"] != true || p["read"] != int64(10) || p["rejected"] != int64(1) || p["max_error_rate"] != 0.5 {
		t.Errorf("parameters %v", p)
	}
	if failed.Outcome != audit.Failed || failed.Error != err.Error() {
		t.Errorf("failed load record %+v", failed)
	}
	// Without a trail nothing is recorded and nothing fails.
	if _, err := Load(context.Background(), target, l, Options{DryRun: true, MaxErrorRate: 0.5}); err != nil {
		t.Fatal(err)
	}
}
