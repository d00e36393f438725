package main

import (
	"strings"
	"testing"
)

// TestDrillMistakes: the drill commands refuse bad input before touching
// any server: exit 2 for usage, 4 for a production target, each message
// naming what to fix.
func TestDrillMistakes(t *testing.T) {
	cfg := exampleConfig(t, func(s string) string { return s })
	cases := []struct {
		name string
		env  string // CITADEL_DRILL_URI
		args []string
		code int
		says string
	}{
		{"unknown drill", "", []string{"drill", "run", "monthly"}, 2, `no drill named "monthly"`},
		{"two names", "", []string{"drill", "run", "weekly", "monthly"}, 2, "usage: citadel drill run [NAME]"},
		{"bad backup id", "", []string{"drill", "run", "--backup", "yesterday"}, 2, `--backup "yesterday"`},
		{"until with a named backup", "", []string{"drill", "run", "--backup", "20260102T030405Z-1a2b", "--until", "2026-01-02T04:00:00Z"}, 2, "leave out --backup"},
		{"bad until", "", []string{"drill", "run", "--until", "noon"}, 2, "--until"},
		{"uri not set", "", []string{"drill", "run", "weekly"}, 2, "set CITADEL_DRILL_URI"},
		{"production member", "mongodb://drill:secret@mongo-lyon-backup.noscites.internal:27017/?directConnection=true", []string{"drill", "run"}, 4,
			`a member of production replica set "main"`},
		{"production set by name", "mongodb://elsewhere:27017/?replicaSet=main", []string{"drill", "run"}, 4, `replica set "main"`},
		{"unknown from-storage", "mongodb://scratch.noscites.internal:27017/", []string{"drill", "run", "--from-storage", "nas"}, 2, `"nas"`},
		{"show needs an id", "", []string{"drill", "show"}, 2, "usage: citadel drill show ID"},
		{"show a bad id", "", []string{"drill", "show", "last"}, 2, "not a drill run id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CITADEL_DRILL_URI", c.env)
			code, out, errOut := runCLI(t, "", append([]string{"-c", cfg}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s%s", code, c.code, c.says, out, errOut)
			}
			if strings.Contains(out+errOut, "secret") {
				t.Errorf("the password shows:\n%s", errOut)
			}
		})
	}
}
