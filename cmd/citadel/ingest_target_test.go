package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
)

// exampleConfig writes the commented example (ingest section: replica set
// main, database opendata, max_error_rate 0.01) with edits.
func exampleConfig(t *testing.T, edit func(string) string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "citadel.yaml")
	if err := os.WriteFile(p, []byte(edit(string(config.Example()))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIngestUsesConfig(t *testing.T) {
	fixture := filepath.Join("..", "..", "ingest", "airbnb", "testdata", "listings-paris-2024.csv")
	cfg := exampleConfig(t, func(s string) string {
		return strings.Replace(s, "max_error_rate: 0.01", "max_error_rate: 0.4", 1)
	})
	// A dry run reads the threshold from the config and connects nowhere.
	code, out, errOut := runCLI(t, "", "--config", cfg, "-o", "json", "ingest", "airbnb", "--dry-run", "--city", "paris", fixture)
	var rep struct {
		MaxErrorRate float64 `json:"max_error_rate"`
		DryRun       bool    `json:"dry_run"`
		Rejected     int
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.MaxErrorRate != 0.4 || !rep.DryRun || rep.Rejected != 8 {
		t.Fatalf("exit %d %+v\n%s\n%s", code, rep, out, errOut)
	}
	// A real load resolves mongodb.auth's password before connecting.
	t.Setenv("CITADEL_MONGO_PASSWORD", "")
	code, _, errOut = runCLI(t, "", "--config", cfg, "ingest", "airbnb", "--city", "paris", fixture)
	if code != 1 || !strings.Contains(errOut, "CITADEL_MONGO_PASSWORD") {
		t.Fatalf("missing password: exit %d %s", code, errOut)
	}
	// Without a config and without --uri there is nowhere to write.
	code, _, errOut = runCLI(t, "", "--config", filepath.Join(t.TempDir(), "none.yaml"), "ingest", "airbnb", "--city", "paris", fixture)
	if code != 1 || !strings.Contains(errOut, "--config") {
		t.Fatalf("no config: exit %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "ingest", "airbnb", "--max-error-rate", "3", "--dry-run", "--city", "paris", fixture)
	if code != 2 || !strings.Contains(errOut, "fraction") {
		t.Fatalf("bad threshold: exit %d %s", code, errOut)
	}
}

// TestIngestAuditTrail: a load (here a dry run) appends its record to the
// config's audit.path: action, target, the city, the outcome.
func TestIngestAuditTrail(t *testing.T) {
	fixture := filepath.Join("..", "..", "ingest", "airbnb", "testdata", "listings-paris-2024.csv")
	trail := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := exampleConfig(t, func(s string) string {
		return strings.Replace(s, "# audit:\n#   path: /var/log/citadel/audit.jsonl", "audit:\n  path: "+trail, 1)
	})
	code, out, errOut := runCLI(t, "", "--config", cfg, "ingest", "airbnb", "--dry-run", "--max-error-rate", "0.5", "--city", "paris", fixture)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	var r audit.Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("audit file %q: %v", data, err)
	}
	if r.Action != "ingest.load" || r.Target != "opendata/airbnb" || r.Outcome != audit.DryRun || r.Parameters["city"] != "paris" {
		t.Fatalf("audit record %+v", r)
	}
}
