package test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestClusterUnreachableIsNotUninitiated: members that do not answer make
// the set's state unknown, never "not initiated". Status names them and
// exits 1; plan and apply refuse (exit 4) and initiate nothing, on a
// four-member two-site set first uninitiated with one member down, then
// initiated with all four stopped.
func TestClusterUnreachableIsNotUninitiated(t *testing.T) {
	w := startWorld(t)
	cfg := w.layoutA(t)
	four := []string{"p1", "p2", "l1", "lb"}

	must(t, w.sim.Stop(w.host["p1"]))
	w.checkUnknown(t, cfg, []string{"p1"}, "the members of main that answer")
	must(t, w.sim.Start(w.host["p1"]))

	if code, _, _ := run(t, cfg, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	w.waitState(t, cfg, 20*time.Second, "PRIMARY", "p1")
	before := status(t, cfg).ConfigVersion

	for _, n := range four {
		must(t, w.sim.Stop(w.host[n]))
	}
	w.checkUnknown(t, cfg, four, "no member of main answers")

	// Back up, the set is as it was: nothing was initiated or reconfigured
	// while it could not be seen.
	for _, n := range four {
		must(t, w.sim.Start(w.host[n]))
	}
	w.waitState(t, cfg, 20*time.Second, "PRIMARY", "p1")
	if after := status(t, cfg).ConfigVersion; after != before {
		t.Fatalf("config version %d → %d while the members were down", before, after)
	}
}

// checkUnknown runs status, plan and apply while the named members are down.
func (w *world) checkUnknown(t *testing.T, cfg string, down []string, why string) {
	t.Helper()
	var hosts []string
	for _, n := range down {
		hosts = append(hosts, w.host[n])
	}
	named := "could not reach " + strings.Join(hosts, ", ")
	code, out, errOut := run(t, cfg, "cluster", "status")
	if code != 1 || !strings.Contains(errOut, named) || !strings.Contains(errOut, why) ||
		strings.Contains(out+errOut, "not initiated") || !strings.Contains(out, "STATE UNKNOWN") {
		t.Fatalf("status with %v down: exit %d\n%s%s", down, code, out, errOut)
	}
	code, out, _ = run(t, cfg, "-o", "json", "cluster", "status")
	var doc struct {
		Sets []struct {
			Initiated   *bool    `json:"initiated"`
			Unreachable []string `json:"unreachable"`
		} `json:"replica_sets"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 1 || len(doc.Sets) != 1 ||
		doc.Sets[0].Initiated != nil || len(doc.Sets[0].Unreachable) != len(down) {
		t.Fatalf("status -o json with %v down: exit %d, %v\n%s", down, code, err, out)
	}
	for _, args := range [][]string{{"cluster", "plan"}, {"cluster", "apply", "--yes"}} {
		code, out, errOut := run(t, cfg, args...)
		if code != 4 || !strings.Contains(errOut, named) || !strings.Contains(errOut, "cannot tell whether the set is initiated") ||
			strings.Contains(out, "initiate main") {
			t.Fatalf("%v with %v down: exit %d\n%s%s", args, down, code, out, errOut)
		}
	}
}
