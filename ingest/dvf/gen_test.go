package dvf

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/ingest"
)

// TestGenerate checks that generated files are valid DVF: no rejects.
func TestGenerate(t *testing.T) {
	var buf bytes.Buffer
	lines, err := Generate(&buf, 64<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "valeursfoncieres-gen.txt")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(context.Background(), nil, New(p), ingest.Options{DryRun: true})
	if err != nil || rep.Rejected != 0 || rep.Read != lines || rep.Docs == 0 {
		t.Fatalf("%v: read %d of %d lines, %d rejected %v", err, rep.Read, lines, rep.Rejected, rep.Samples[:min(3, len(rep.Samples))])
	}
}
