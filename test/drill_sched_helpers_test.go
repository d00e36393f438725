//go:build linux

package test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// schedDrillYAML is a drill of the nightly backup that the coordinator
// runs every minute into the scratch set.
const schedDrillYAML = `drills:
  - {name: minutely, backup: nightly, schedule: "* * * * *", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 10m}
`

// schedDrill is a drill in the coordinator's history with its report.
type schedDrill struct {
	Record store.DrillRecord
	Report drillReport
}

// schedWaitDrill polls the coordinator's drill history until a record
// satisfies ok, for at most within.
func schedWaitDrill(t *testing.T, c *api.Client, drill string, within time.Duration, ok func(schedDrill) bool) schedDrill {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		recs, err := c.Drills(t.Context(), drill, 50)
		for _, rec := range recs {
			d := schedDrill{Record: rec}
			if json.Unmarshal(rec.Report, &d.Report) == nil && ok(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, r := range recs {
				seen = append(seen, r.ID)
			}
			t.Fatalf("no drill %s in the coordinator's history as wanted within %s (history %v, err %v)", drill, within, seen, err)
		}
		time.Sleep(time.Second)
	}
}

// schedInHistory says whether the coordinator's drill history holds id.
func schedInHistory(t *testing.T, c *api.Client, drill, id string) (store.DrillRecord, bool) {
	t.Helper()
	recs, err := c.Drills(t.Context(), drill, 500)
	if err != nil {
		t.Fatalf("drill history: %v", err)
	}
	i := slices.IndexFunc(recs, func(r store.DrillRecord) bool { return r.ID == id })
	if i < 0 {
		return store.DrillRecord{}, false
	}
	return recs[i], true
}

// schedRunOf is the run of the drill's job whose result is report id.
func schedRunOf(t *testing.T, c *api.Client, job, id string) (store.Run, bool) {
	t.Helper()
	runs, err := c.Runs(t.Context(), job, 50)
	if err != nil {
		t.Fatalf("runs of %s: %v", job, err)
	}
	for _, r := range runs {
		var res struct{ ID string }
		if json.Unmarshal(r.Result, &res) == nil && res.ID == id {
			return r, true
		}
	}
	return store.Run{}, false
}

// schedListed says whether `citadel drill list -o json` (the CLI, reading
// the storages) lists id.
func (w *coWorld) schedListed(t *testing.T, id string) bool {
	t.Helper()
	code, out, errOut := citadel(t, w.env, "--config", w.cfg, "-o", "json", "drill", "list")
	if code != 0 {
		t.Fatalf("drill list: exit %d: %s", code, errOut)
	}
	var list struct{ Drills []struct{ ID string } }
	bkJSON(t, out, &list)
	return slices.ContainsFunc(list.Drills, func(d struct{ ID string }) bool { return d.ID == id })
}
