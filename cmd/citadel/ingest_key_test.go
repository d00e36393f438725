package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestPseudonymKeyFromConfig: the key comes from the config's
// ingest.pseudonym_key_file when no flag names a variable.
func TestPseudonymKeyFromConfig(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("k3y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "citadel.yaml")
	cfg := "sites: [{name: paris}]\nreplica_sets:\n  - name: main\n    members: [{host: \"a:1\", site: paris}]\n" +
		"ingest: {replica_set: main, database: opendata, pseudonym_key_file: " + keyFile + "}\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("config", cfgFile, "")
	fs.String("uri", "", "")
	fs.String("pseudonym-key-env", "", "")
	fs.Bool("keep-personal-data", false, "")
	key, _, err := pseudonymKey(cli.NewContext(cli.NewApp(), fs, nil))
	if err != nil || key != "k3y" {
		t.Fatalf("key %q, err %v", key, err)
	}
}
