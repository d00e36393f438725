//go:build linux

package test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/internal/audit"
)

// spDrills is the drill of the status page test: generous limits.
const spDrills = `drills:
  - {name: weekly, backup: nightly, schedule: "0 5 * * 0", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 10m}
`

// TestStatusPageE2E: one `citadel server` (built binary) over the
// four-member two-site set and a real MinIO. /metrics is scraped before
// and after a load (its audit record sent to the coordinator as a CLI's
// audit trail does), a backup run and a drill run triggered through the
// coordinator: the loader, backup and drill series appear with the
// values of those runs, and every citadel_ series has a help text. Then
// headless Chromium opens the status page with the token once: its DOM
// shows the members of both sites, the last backup with its copy and the
// last drill with its RTO and RPO against the limits; a screenshot (and a
// phone-sized one) goes to test/artifacts/.
func TestStatusPageE2E(t *testing.T) {
	w := plStart(t, bkOptions{drills: spDrills})
	c1 := w.nodes["c1"]
	w.start(t, c1)
	w.waitLeader(t, "c1")
	client := w.client(t, "c1", coToken)
	src := w.set(t, "main")
	bkInsert(t, src, "app", "orders", "sp", 30)

	before := spScrape(t, c1.http)
	for _, s := range []string{`citadel_backup_last_success_age_seconds{replica_set="main"}`, `citadel_drill_last_success{drill="weekly"}`,
		`citadel_backup_last_size_bytes{replica_set="main",storage="minio-lyon"}`, `citadel_loader_last_documents{target="opendata/dvf"}`} {
		if _, ok := before.get(s); ok {
			t.Errorf("%s before any run", s)
		}
	}
	if n := before.count("citadel_member_state", `site="paris"`) + before.count("citadel_member_state", `site="lyon"`); n != 5 {
		t.Errorf("citadel_member_state: %d series, want the 4 members of main and the scratch member", n)
	}
	if v, _ := before.get(`citadel_member_state{member="` + w.host["p1"] + `",replica_set="main",site="paris",state="PRIMARY"}`); v != 1 {
		t.Errorf("p1 not exported as the PRIMARY of main in Paris")
	}

	spLoad(t, w)
	ctx := context.Background()
	bk := spTrigger(t, client, "backup-nightly")
	afterBackup := spScrape(t, c1.http)
	age, ok := afterBackup.get(`citadel_backup_last_success_age_seconds{replica_set="main"}`)
	lyon, _ := afterBackup.get(`citadel_backup_last_size_bytes{replica_set="main",storage="minio-lyon"}`)
	paris, _ := afterBackup.get(`citadel_backup_last_size_bytes{replica_set="main",storage="minio-paris"}`)
	dur, _ := afterBackup.get(`citadel_backup_last_duration_seconds{job="backup-nightly"}`)
	runs, _ := afterBackup.get(`citadel_job_runs_total{job="backup-nightly",outcome="succeeded"}`)
	if !ok || age < 0 || age > 120 || lyon <= 0 || paris != lyon || dur <= 0 || runs != 1 {
		t.Errorf("after the backup: age %v (%v), size lyon %v paris %v, duration %v, runs %v", age, ok, lyon, paris, dur, runs)
	}
	docs, _ := afterBackup.get(`citadel_loader_last_documents{target="opendata/dvf"}`)
	rej, _ := afterBackup.get(`citadel_loader_last_rejects{target="opendata/dvf"}`)
	if docs != 21 || rej != 5 {
		t.Errorf("loader metrics of the dvf load: documents %v, rejects %v, want 21 and 5", docs, rej)
	}
	t.Logf("backup %s: %v bytes, %.2fs; metrics age %.1fs", bk.ID, lyon, dur, age)

	dr := spTrigger(t, client, "drill-weekly")
	afterDrill := spScrape(t, c1.http)
	pass, _ := afterDrill.get(`citadel_drill_last_success{drill="weekly"}`)
	rto, _ := afterDrill.get(`citadel_drill_rto_seconds{drill="weekly"}`)
	rpo, ok := afterDrill.get(`citadel_drill_rpo_seconds{drill="weekly"}`)
	if pass != 1 || rto <= 0 || !ok {
		t.Errorf("after the drill: passed %v, RTO %v, RPO %v (%v)", pass, rto, rpo, ok)
	}
	t.Logf("drill %s: RTO %.2fs, RPO %.2fs", dr.ID, rto, rpo)
	if v, _ := afterDrill.get(`citadel_job_runs_total{job="drill-weekly",outcome="succeeded"}`); v != 1 {
		t.Errorf("drill runs: %v, want 1", v)
	}
	for name := range afterDrill.value {
		base, _, _ := strings.Cut(name, "{")
		if strings.HasPrefix(base, "citadel_") && !afterDrill.hasHelp(base) {
			t.Errorf("%s has no help text", base)
		}
	}

	// A second backup: the values already there change.
	spTrigger(t, client, "backup-nightly")
	again := spScrape(t, c1.http)
	n1, _ := afterDrill.get(`citadel_backup_count{replica_set="main",storage="minio-paris"}`)
	n2, _ := again.get(`citadel_backup_count{replica_set="main",storage="minio-paris"}`)
	r1, _ := afterDrill.get(`citadel_job_runs_total{job="backup-nightly",outcome="succeeded"}`)
	r2, _ := again.get(`citadel_job_runs_total{job="backup-nightly",outcome="succeeded"}`)
	if n1 != 1 || n2 != 2 || r1 != 1 || r2 != 2 {
		t.Errorf("second backup: backups in Paris %v then %v, successful runs %v then %v", n1, n2, r1, r2)
	}

	drills, err := client.Drills(ctx, "weekly", 1)
	if err != nil || len(drills) != 1 {
		t.Fatalf("drill history: %v %v", drills, err)
	}
	backups, err := client.Backups(ctx, "main", "minio-lyon") // newest first
	if err != nil || len(backups) != 2 {
		t.Fatalf("catalog: %v %v", backups, err)
	}
	spPage(t, w, backups[0], drills[0])
}

// spLoad loads the DVF fixtures into main, its audit record sent through
// the coordinator's API (coordinator.ClientAuditSink), as the CLI's audit
// trail does when it talks to a coordinator.
func spLoad(t *testing.T, w *coWorld) {
	t.Helper()
	ctx := context.Background()
	tgt, err := ingest.OpenTarget(ctx, nil, ingest.TargetOptions{Connect: true,
		URI: fmt.Sprintf("mongodb://%s,%s,%s/?replicaSet=main", w.host["p1"], w.host["p2"], w.host["l1"])})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close(ctx)
	trail := audit.New(slog.New(slog.DiscardHandler), "e2e", coordinator.ClientAuditSink(w.client(t, "c1", coToken)))
	l := dvf.New(fixture(t, "ingest/dvf/testdata/valeursfoncieres-2022.txt"), fixture(t, "ingest/dvf/testdata/valeursfoncieres-2019-latin1.txt"))
	rep, err := ingest.Load(ctx, tgt, l, ingest.Options{MaxErrorRate: 0.5, Audit: trail})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dvf load: %d read, %d inserted, %d rejected", rep.Read, rep.Inserted, rep.Rejected)
}

// spTrigger runs a job now through the coordinator and waits until the
// run succeeded.
func spTrigger(t *testing.T, client *api.Client, job string) store.Run {
	t.Helper()
	run, err := client.Trigger(context.Background(), job)
	if err != nil {
		t.Fatalf("trigger %s: %v", job, err)
	}
	done := waitRun(t, client, job, func(r store.Run) bool { return r.ID == run.ID && r.Finished() }, "run of "+job, 60*time.Second)
	if done.State != store.RunSucceeded {
		t.Fatalf("%s run %s: %s %s", job, done.ID, done.State, done.Error)
	}
	return done
}

// spPage checks the status page: the token is needed; Chromium, given
// it once in the URL, follows the redirect with the cookie and renders
// the members of both sites, the backup and the drill.
func spPage(t *testing.T, w *coWorld, b store.CatalogEntry, d store.DrillRecord) {
	t.Helper()
	base := "http://" + w.nodes["c1"].http
	if code, body := spGet(t, base+"/", ""); code != 401 || !strings.Contains(body, `name="token"`) {
		t.Errorf("the page without the token: %d, want 401 with the token form", code)
	}
	code, body := spGet(t, base+"/status", "Bearer "+coToken)
	if code != 200 || !strings.Contains(body, `http-equiv="refresh"`) || strings.Contains(body, coToken) {
		t.Errorf("the page with the token: %d, want 200, refreshing itself, never showing the token", code)
	}
	dom := spChromium(t, base+"/?token="+url.QueryEscape(coToken), "--dump-dom")
	want := []string{"site paris", "site lyon", b.ID, "minio-lyon, minio-paris", d.ID, "passed", "/ 10m0s",
		"primary " + w.host["p1"] + " (paris)", "losing paris:", "losing lyon:", "oplog window", "backup-nightly", "drill-weekly"}
	for _, h := range []string{"p1", "p2", "l1", "lb"} {
		want = append(want, w.host[h])
	}
	for _, s := range want {
		if !strings.Contains(dom, s) {
			t.Errorf("the status page's DOM lacks %q", s)
		}
	}
	if strings.Contains(dom, coToken) {
		t.Error("the status page's DOM shows the token")
	}
	dir := spArtifacts(t)
	for _, shot := range []struct{ name, size string }{{"statuspage.png", "1200,2200"}, {"statuspage-phone.png", "390,2400"}} {
		png := filepath.Join(dir, shot.name)
		spChromium(t, base+"/?token="+url.QueryEscape(coToken), "--window-size="+shot.size, "--hide-scrollbars", "--screenshot="+png)
		if st, err := os.Stat(png); err != nil || st.Size() < 5000 {
			t.Errorf("screenshot %s: %v", png, err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
