package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/internal/audit"
)

// TestBackupAuditTrail (issue 10, audit trail): backup copy, backup prune
// (dry run and real) and restore --drop each append one JSON line to the
// file the config's audit.path names, with who, the target, the
// parameters (--drop marked) and the outcome; read-only commands append
// nothing.
func TestBackupAuditTrail(t *testing.T) {
	w := rsStart(t)
	trail := filepath.Join(t.TempDir(), "audit", "citadel.jsonl")
	other := t.TempDir()
	cfg, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "backups:\n",
		fmt.Sprintf("  - name: other\n    site: lyon\n    filesystem: {path: %q}\n", other)+"backups:\n", 1)
	text += fmt.Sprintf("audit: {path: %q}\n", trail)
	if err := os.WriteFile(w.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	rsFill(t, w.client(t).Database("opendata").Collection("listings"), "a", 10)
	id := w.backup(t)

	steps := []struct {
		args   []string
		action string
		target string
		param  string // a parameter the record must carry
		value  any
		out    string
	}{
		{[]string{"backup", "copy", id, "--to", "other"}, "backup.copy", "other", "backup", id, audit.OK},
		{[]string{"backup", "prune", "--dry-run"}, "backup.prune", "local", "dry_run", true, audit.DryRun},
		{[]string{"backup", "prune"}, "backup.prune", "local", "dry_run", false, audit.OK},
		{[]string{"restore", id, "--to-rs", "rs1", "--drop", "--yes"}, "restore", "rs1", "drop", true, audit.OK},
	}
	for i, s := range steps {
		if code, _, _ := w.citadel(t, s.args...); code != 0 {
			t.Fatalf("citadel %s: exit %d", strings.Join(s.args, " "), code)
		}
		recs := readTrail(t, trail)
		if len(recs) != i+1 {
			t.Fatalf("after citadel %s the trail holds %d records, want %d", strings.Join(s.args, " "), len(recs), i+1)
		}
		r := recs[i]
		if r.Action != s.action || r.Target != s.target || r.Outcome != s.out || r.Who == "" || r.Time.IsZero() {
			t.Errorf("citadel %s recorded %+v, want action %s, target %s, outcome %s, who and time set",
				strings.Join(s.args, " "), r, s.action, s.target, s.out)
		}
		if got := r.Parameters[s.param]; got != s.value {
			t.Errorf("citadel %s: parameter %s = %v, want %v", strings.Join(s.args, " "), s.param, got, s.value)
		}
	}
	for _, args := range [][]string{{"backup", "list"}, {"backup", "verify", id}, {"backup", "show", id}} {
		if code, _, _ := w.citadel(t, args...); code != 0 {
			t.Fatalf("citadel %s: exit %d", strings.Join(args, " "), code)
		}
	}
	if n := len(readTrail(t, trail)); n != len(steps) {
		t.Errorf("read-only commands added to the trail: %d records, want %d", n, len(steps))
	}
}

// readTrail decodes the audit file, one JSON record per line.
func readTrail(t *testing.T, path string) []audit.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the audit trail: %v", err)
	}
	var recs []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q is not one JSON record: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}
