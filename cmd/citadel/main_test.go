package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
)

// runCLI runs citadel in-process and returns the exit code and outputs.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"citadel"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExamplePipesIntoValidate(t *testing.T) {
	code, example, _ := runCLI(t, "", "config", "example")
	if code != 0 {
		t.Fatalf("example exit %d", code)
	}
	code, out, errOut := runCLI(t, example, "config", "validate", "-")
	if code != 0 || !strings.HasPrefix(out, "<stdin>: valid") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

func TestValidateThreeMistakes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "citadel.yaml")
	bad := strings.Replace(string(config.Example()), "site: lyon\n        priority: 0.5", "site: lyom\n        priority: 0.5", 1)
	bad = strings.Replace(bad, `schedule: "0 2 * * *"`, `schedule: "0 25 * * *"`, 1)
	bad = strings.Replace(bad, "password_env: CITADEL_MONGO_PASSWORD", "password_env: \"correct horse battery\"", 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "config", "validate", file)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	lines := 0
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "error: "+file+":") {
			lines++
		}
	}
	if lines != 3 {
		t.Fatalf("want 3 located errors, got %d:\n%s", lines, errOut)
	}
	for _, want := range []string{`unknown site "lyom"`, "does not parse", "looks like a secret written in clear"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "horse battery") {
		t.Errorf("a secret written in clear was echoed back:\n%s", errOut)
	}

	code, out, _ := runCLI(t, "", "-o", "json", "config", "validate", file)
	var rep validateReport
	if code != 2 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Problems) != 3 || rep.Valid {
		t.Fatalf("json: exit %d, %s", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"version"}, 0},
		{[]string{"--output", "xml", "version"}, 2},
		{[]string{"version", "--nope"}, 2},
		{[]string{"config", "validate", "/nonexistent/citadel.yaml"}, 1},
		{[]string{"config", "validate", "a", "b"}, 2},
		{[]string{"nosuchcommand"}, 2},
		{[]string{"config", "nosuchcommand"}, 2},
	}
	for _, tc := range cases {
		code, _, errOut := runCLI(t, "", tc.args...)
		if code != tc.want {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.want, errOut)
		}
	}
}

// TestFlagsAfterArguments: every command accepts flags after its
// positional arguments, as cli.md writes them.
func TestFlagsAfterArguments(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "none.yaml")
	code, out, errOut := runCLI(t, "", "--config", cfg, "ingest", "dvf",
		"../../ingest/dvf/testdata/valeursfoncieres-2022.txt", "../../ingest/dvf/testdata/valeursfoncieres-2022.txt", "--dry-run", "--max-error-rate", "1")
	if code != 0 || !strings.Contains(out, "valeursfoncieres-2022.txt") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "--config", cfg, "ingest", "dvf", "x.txt", "--no-such-flag")
	if code != 2 || !strings.Contains(errOut, "unknown flag --no-such-flag") {
		t.Fatalf("unknown flag after args: exit %d %s", code, errOut)
	}
}
