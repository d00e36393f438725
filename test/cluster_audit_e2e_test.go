package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Must show (issue 10, audit trail): cluster apply on a simulated set
// writes one JSON line {time, who, action, target, parameters, outcome} to
// the file the config's audit.path names; so do a refused failover and a
// switchover (rejoin's record: TestClusterRejoinRefusesUnexamined).
func TestClusterApplyWritesOneAuditRecord(t *testing.T) {
	w := startWorld(t)
	path := filepath.Join(t.TempDir(), "log", "audit.jsonl")
	w.extra = fmt.Sprintf("audit: {path: %q}\n", path)
	cfg := w.layoutA(t)
	start := time.Now().UTC().Add(-time.Second)
	if code, _, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	data, err := os.ReadFile(path)
	must(t, err)
	t.Logf("MEASURED audit file after cluster apply:\n%s", data)
	if n := bytes.Count(data, []byte("\n")); n != 1 {
		t.Fatalf("%d audit lines, want 1", n)
	}
	var r struct {
		Time       time.Time `json:"time"`
		Who        string    `json:"who"`
		Action     string    `json:"action"`
		Target     string    `json:"target"`
		Parameters struct {
			Steps         []string `json:"steps"`
			Done          int      `json:"done"`
			VersionBefore int      `json:"version_before"`
			VersionAfter  int      `json:"version_after"`
		} `json:"parameters"`
		Outcome string  `json:"outcome"`
		Error   *string `json:"error"`
	}
	must(t, json.Unmarshal(data, &r))
	p := r.Parameters
	if r.Time.Before(start) || r.Time.After(time.Now().Add(time.Second)) || r.Who == "" || r.Action != "cluster.apply" || r.Target != "main" ||
		r.Outcome != "ok" || r.Error != nil || len(p.Steps) != 1 || p.Done != 1 || p.VersionBefore != 0 || p.VersionAfter != 1 {
		t.Errorf("audit record %+v", r)
	}
	// Nothing left to do: nothing changes, nothing is recorded.
	if code, out, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 || !bytes.Contains([]byte(out), []byte("nothing to do")) {
		t.Fatalf("second apply exit %d:\n%s", code, out)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Errorf("an apply with nothing to do wrote to the audit file:\n%s", again)
	}

	// A refused failover (a primary exists) and a switchover: one line
	// each, the refusal recorded as such.
	if code, _, _ := run(t, cfg, "cluster", "failover", "--rs", "main", "--to-site", "lyon", "--force", "--yes", "--save-dir", t.TempDir()); code != 4 {
		t.Fatalf("failover with a primary: exit %d, want 4", code)
	}
	switchover(t, cfg, "lyon", "5s")
	data, err = os.ReadFile(path)
	must(t, err)
	t.Logf("MEASURED audit file after a refused failover and a switchover:\n%s", data)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d audit lines, want 3 (apply, failover, switchover)", len(lines))
	}
	for i, want := range []struct{ action, outcome string }{{"cluster.failover", "refused"}, {"cluster.switchover", "ok"}} {
		var r struct {
			Who, Action, Target, Outcome, Error string
			Parameters                          map[string]any
		}
		must(t, json.Unmarshal(lines[i+1], &r))
		if r.Who == "" || r.Action != want.action || r.Target != "main" || r.Outcome != want.outcome || r.Parameters["to_site"] != "lyon" ||
			(want.outcome == "refused") != (r.Error != "") {
			t.Errorf("line %d: %+v, want %s %s", i+2, r, want.action, want.outcome)
		}
	}
}
