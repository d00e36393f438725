//go:build linux

package test

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// TestDrillScheduledE2E: a one-node coordinator (`citadel server`, the
// built binary) over the two-site set with PITR archived by its leader
// runs a drill scheduled every minute; a scheduled run passes on a healthy
// backup with replayed PITR slices and records RTO and RPO; its report is
// in the Lyon bucket, in `citadel drill list` and in the coordinator's
// drill history (and /metrics); after the server process is restarted,
// the history, the bucket and `drill list` still hold it.
func TestDrillScheduledE2E(t *testing.T) {
	w := plStart(t, bkOptions{slice: "10s", drills: schedDrillYAML})
	ctx := t.Context()
	drillData(t, w.set(t, "main"))
	if code, _, _ := w.bkWorld.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	w.start(t, w.nodes["c1"])
	w.waitLeader(t, "c1")
	w.firstSlice(t) // writes after the backup, archived by the leader
	sliced := time.Now()

	c := w.client(t, "c1", coToken)
	d := schedWaitDrill(t, c, "minutely", 150*time.Second, func(d schedDrill) bool {
		return d.Record.Start.After(sliced) && d.Record.Passed && d.Report.Slices > 0
	})
	rep := d.Report
	t.Logf("MEASURED scheduled drill %s: RTO %s, RPO %s, %d slice(s) replayed, %d document(s)", rep.ID, rep.RTO, rep.RPO, rep.Slices, rep.Documents)
	if d.Record.RTO <= 0 || d.Record.RPO <= 0 || d.Record.RTO != rep.RTO || d.Record.RPO != rep.RPO || len(rep.Reasons) != 0 {
		t.Errorf("history record %+v, report RTO %s RPO %s reasons %q", d.Record, rep.RTO, rep.RPO, rep.Reasons)
	}
	run, ok := schedRunOf(t, c, "drill-minutely", rep.ID)
	if !ok || run.Trigger != store.TriggerSchedule || run.Token == 0 || run.FencedAt.IsZero() {
		t.Errorf("the drill's run: %+v (found %v), want a scheduled run that passed its fence", run, ok)
	}
	check := func(when string) {
		t.Helper()
		if _, err := w.lyon.Stat(ctx, layout.DrillKey("main", rep.ID)); err != nil || rep.Key != layout.DrillKey("main", rep.ID) {
			t.Errorf("%s: report %s not in the Lyon bucket: %v", when, rep.Key, err)
		}
		if !w.schedListed(t, rep.ID) {
			t.Errorf("%s: citadel drill list lacks %s", when, rep.ID)
		}
		if rec, ok := schedInHistory(t, c, "minutely", rep.ID); !ok || !rec.Passed || rec.RTO != rep.RTO {
			t.Errorf("%s: coordinator history: %+v (found %v)", when, rec, ok)
		}
	}
	check("before the restart")
	if m := schedMetrics(t, w); !strings.Contains(m, `citadel_drill_last_success{drill="minutely"}`) {
		t.Error("/metrics has no citadel_drill_last_success for the drill")
	}

	w.nodes["c1"].stop(syscall.SIGTERM)
	w.start(t, w.nodes["c1"])
	w.waitLeader(t, "c1")
	c = w.client(t, "c1", coToken)
	check("after the restart")
}

func schedMetrics(t *testing.T, w *coWorld) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+w.nodes["c1"].http+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
