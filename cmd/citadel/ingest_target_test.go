package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
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

func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		"mongodb://user:secret@h1,h2/?replicaSet=rs": "mongodb://user:***@h1,h2/?replicaSet=rs",
		"mongodb://127.0.0.1:27017/":                 "mongodb://127.0.0.1:27017/",
	} {
		if got := redactURI(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}
