package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGlobalFlagsAfterEveryCommand (defect 9 of issue 10): --output/-o,
// --config/-c and --log-level work after every command of the tree, groups
// included, as kubectl and restic accept them.
func TestGlobalFlagsAfterEveryCommand(t *testing.T) {
	app := newApp(nil, io.Discard, io.Discard)
	paths := commandPaths(app.Commands, nil)
	if len(paths) < 20 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, p := range paths {
		name := strings.Join(p, " ")
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{"citadel"}, p...), "-o", "json", "-c", "/x/citadel.yaml", "--log-level=debug")
			want := append([]string{"citadel", "-o", "json", "-c", "/x/citadel.yaml", "--log-level=debug"}, p...)
			if got := hoistGlobalFlags(app, args); !slices.Equal(got, want) {
				t.Errorf("hoist %q = %q, want %q", args, got, want)
			}
			// Parsed as the global flag: its own check answers, not
			// "flag provided but not defined".
			for _, bad := range [][]string{{"--output", "xml"}, {"-o=xml"}, {"--log-level", "loud"}} {
				code, _, errOut := runCLI(t, "", append(append([]string{}, p...), bad...)...)
				if code != 2 || !strings.Contains(errOut, "use table or json") && !strings.Contains(errOut, "use debug, info") {
					t.Errorf("citadel %s %s: exit %d, stderr %q", name, strings.Join(bad, " "), code, errOut)
				}
			}
		})
	}
}

// TestGlobalFlagsAfterCommandRun: the lines of issue 10's defect 9 run, and
// command flags, flag values and "--" keep their meaning.
func TestGlobalFlagsAfterCommandRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "citadel.yaml")
	if err := os.WriteFile(file, []byte(downConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "config", "validate", file, "-o", "json")
	var rep validateReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Valid {
		t.Fatalf("config validate FILE -o json: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "cluster", "status", "--rs", "main", "-o", "json", "--config", file)
	if code != 1 || !strings.Contains(out, `"initiated": null`) {
		t.Fatalf("cluster status --rs main -o json --config FILE: exit %d\n%s\n%s", code, out, errOut)
	}
	dvf := filepath.Join("..", "..", "ingest", "dvf", "testdata", "valeursfoncieres-2022.txt")
	code, out, errOut = runCLI(t, "", "ingest", "dvf", dvf, "--dry-run", "--max-error-rate", "1", "-o", "json", "-c", filepath.Join(dir, "none.yaml"))
	if code != 0 || !json.Valid([]byte(out)) {
		t.Fatalf("ingest dvf FILE --dry-run -o json: exit %d\n%s\n%s", code, out, errOut)
	}

	app := newApp(nil, io.Discard, io.Discard)
	for _, tc := range []struct{ in, want []string }{
		// A command flag's value is never a flag, even when it looks like one.
		{[]string{"cluster", "switchover", "--rs", "-o", "--to-site", "lyon", "-o", "json"},
			[]string{"-o", "json", "cluster", "switchover", "--rs", "-o", "--to-site", "lyon"}},
		// Booleans take no value; the positional after them stays.
		{[]string{"backup", "verify", "--read-data", "latest", "--output", "json"},
			[]string{"--output", "json", "backup", "verify", "--read-data", "latest"}},
		// Written before and after: both kept, the last wins.
		{[]string{"-o", "table", "backup", "list", "-o", "json"},
			[]string{"-o", "table", "-o", "json", "backup", "list"}},
		// A global flag without its value stays for urfave/cli to refuse.
		{[]string{"backup", "list", "-o"}, []string{"backup", "list", "-o"}},
		// A command word after a positional argument is an argument.
		{[]string{"config", "validate", "cluster", "-c", "f"}, []string{"-c", "f", "config", "validate", "cluster"}},
		// After "--" nothing is moved.
		{[]string{"restore", "latest", "--to-uri", "mongodb://h/", "--", "-o", "json"},
			[]string{"restore", "latest", "--to-uri", "mongodb://h/", "--", "-o", "json"}},
	} {
		got := hoistGlobalFlags(app, append([]string{"citadel"}, tc.in...))
		if want := append([]string{"citadel"}, tc.want...); !slices.Equal(got, want) {
			t.Errorf("hoist %q = %q, want %q", tc.in, got, want)
		}
	}
}
