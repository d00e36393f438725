package test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Must show: an uninitiated 4-member set → cluster apply → a healthy set
// with a Paris primary and the Lyon hidden member not electable; then
// desired-state changes (add a Lyon member, remove a Paris member, change
// priorities, hide a member): plan lists safe steps, apply converges.
func TestClusterApplyInitiateAndConverge(t *testing.T) {
	w := startWorld(t)
	cfgA := w.layoutA(t)
	if code, _, _ := run(t, cfgA, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	st := status(t, cfgA)
	if st.Primary != w.host["p1"] || st.member(w.host["p1"]).Site != "paris" {
		t.Fatalf("primary %q, want p1 in Paris", st.Primary)
	}
	lb := st.member(w.host["lb"])
	if !lb.Hidden || lb.Priority != 0 || lb.Votes != 0 || lb.State != "SECONDARY" || !lb.Health {
		t.Fatalf("lb: %+v, want a healthy hidden secondary with priority 0", lb)
	}
	run(t, cfgA, "cluster", "status")

	// The new shape: l2 added in Lyon, p2 removed, p1 and l1 priorities
	// changed, l1 made hidden (it keeps its vote).
	cfgB := w.config(t,
		member{name: "p1", extra: ", priority: 3"},
		member{name: "l1", extra: ", hidden: true, priority: 0"},
		member{name: "lb", extra: ", hidden: true, priority: 0, votes: 0"},
		member{name: "l2", extra: ", priority: 1"})
	code, out, _ := run(t, cfgB, "-o", "json", "cluster", "plan")
	if code != 0 {
		t.Fatalf("plan exit %d", code)
	}
	var plan struct {
		Sets []struct {
			Steps []struct {
				Summary     string `json:"summary"`
				VoterChange bool   `json:"voter_change"`
			} `json:"steps"`
		} `json:"replica_sets"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	steps := plan.Sets[0].Steps
	var sums []string
	for _, s := range steps {
		sums = append(sums, s.Summary)
	}
	joined := strings.Join(sums, "\n")
	for _, want := range []string{"add " + w.host["l2"], "remove " + w.host["p2"], "change " + w.host["p1"], "change " + w.host["l1"]} {
		if !strings.Contains(joined, want) {
			t.Errorf("plan misses %q:\n%s", want, joined)
		}
	}
	run(t, cfgB, "cluster", "plan")
	if code, _, _ := run(t, cfgB, "cluster", "apply", "--yes"); code != 0 {
		t.Fatalf("apply B exit %d", code)
	}
	code, out, _ = run(t, cfgB, "cluster", "plan")
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("after apply the plan should be empty: exit %d\n%s", code, out)
	}
	// mongosim does not model newlyAdded (FIDELITY.md), so apply does not
	// wait, as it does on mongod, for the new member to leave its initial
	// sync: wait for it here.
	w.waitState(t, cfgB, 10*time.Second, "SECONDARY", "l2")
	st = status(t, cfgB)
	if st.Primary != w.host["p1"] || st.member(w.host["p2"]).InConfig || !st.member(w.host["l1"]).Hidden || st.member(w.host["l2"]).State != "SECONDARY" {
		t.Fatalf("not converged: %+v", st)
	}
	run(t, cfgB, "cluster", "status")
}
