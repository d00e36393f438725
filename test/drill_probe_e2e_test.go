package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/ingest/fixtureset"
)

// drillProbeReport is the probe part of a drill's -o json output.
type drillProbeReport struct {
	drillReport
	Probes []struct {
		Dataset, Database string
		Compared          int
		Changed           []string
		NotCompared       string `json:"not_compared"`
	}
}

// TestDrillProbesE2E: a backup of the five datasets' fixtures records
// every dataset's probe answers in its manifest (the added backup time is
// measured); a drill of it asks the restored copy the same questions and
// finds every answer as recorded; a backup of altered data (one listing
// deleted) stored under the old manifest's answers fails its drill (exit
// 3) naming the probe, the answer expected and the one got; and when the
// PITR replay writes a dataset after the backup, that dataset is not
// compared (the report says why) and the drill passes.
func TestDrillProbesE2E(t *testing.T) {
	w := bkStart(t, bkOptions{slice: "10s", drills: "drills:\n  - {name: weekly, backup: nightly, schedule: \"0 5 * * 0\", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 10m}\n"})
	ctx := context.Background()
	src := w.set(t, "main")
	loadStart := time.Now()
	fixtureset.Load(t, src.Database("data", options.Database().SetWriteConcern(writeconcern.Majority())), t.TempDir())
	t.Logf("five datasets' fixtures loaded in %s", time.Since(loadStart).Round(time.Millisecond))

	first, took := probeBackup(t, w)
	if len(first.Probes) != len(fixtureset.Datasets) {
		t.Fatalf("manifest probes: %+v, want one entry per dataset", first.Probes)
	}
	var cost time.Duration
	for _, p := range first.Probes {
		if p.Skipped != "" || len(p.Answers) == 0 || p.Database != "data" {
			t.Errorf("%s: %d answers, skipped %q", p.Dataset, len(p.Answers), p.Skipped)
		}
		cost += p.Duration
		t.Logf("MEASURED probes of %s at backup time: %d answers in %s", p.Dataset, len(p.Answers), p.Duration)
	}
	t.Logf("MEASURED backup of the five fixtures: %s, of which the probes %s", took.Round(time.Millisecond), cost)

	ok := probeDrill(t, w, 0, "--backup", first.ID)
	for _, p := range ok.Probes {
		if p.Compared == 0 || len(p.Changed) > 0 || p.NotCompared != "" {
			t.Errorf("drill of the untouched backup: %+v", p)
		}
	}
	if !ok.Passed || len(ok.Probes) != len(fixtureset.Datasets) {
		t.Fatalf("drill of the untouched backup: passed %v, probes %+v", ok.Passed, ok.Probes)
	}

	// Altered data backed up under the old manifest's answers.
	if _, err := src.Database("data", options.Database().SetWriteConcern(writeconcern.Majority())).Collection("listings").DeleteOne(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	second, _ := probeBackup(t, w)
	second.Probes = first.Probes
	b, err := second.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.PutBytes(ctx, w.lyon, layout.ManifestKey("main", second.ID), b, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := probeDrill(t, w, 3, "--backup", second.ID)
	why := strings.Join(bad.Reasons, "\n")
	t.Logf("drill of altered data under the old answers: reasons:\n%s", why)
	if bad.Passed || !strings.Contains(why, "probe airbnb/") || !strings.Contains(why, "the answer changed: expected") || !strings.Contains(why, ", got ") {
		t.Errorf("drill of altered data under the old answers: reasons %q", bad.Reasons)
	}
	for _, p := range bad.Probes {
		if (p.Dataset == "airbnb") != (len(p.Changed) > 0) {
			t.Errorf("changed answers of %s: %v", p.Dataset, p.Changed)
		}
	}

	// The replay writes the listings after the backup: not compared.
	w.bkStartCitadel(t, "backup", "pitr", "--rs", "main")
	bkInsert(t, src, "data", "listings", "late", 1)
	drillWaitArchived(t, w, drillOplogWall(t, src, "late-000"))
	replayed := probeDrill(t, w, 0)
	t.Logf("drill after a replay writing the listings: probes %+v", replayed.Probes)
	for _, p := range replayed.Probes {
		if p.Dataset == "airbnb" && !strings.Contains(p.NotCompared, "data.listings") {
			t.Errorf("airbnb after a replay writing the listings: %+v", p)
		}
		if p.Dataset != "airbnb" && (p.Compared == 0 || p.NotCompared != "") {
			t.Errorf("%s after the replay: %+v", p.Dataset, p)
		}
	}
	if replayed.Slices == 0 {
		t.Errorf("the last drill replayed no slice: %+v", replayed.drillReport)
	}
}

// probeBackup runs `citadel backup run` and returns the newest manifest in
// Lyon and how long the command took.
func probeBackup(t *testing.T, w *bkWorld) (*manifest.Manifest, time.Duration) {
	t.Helper()
	start := time.Now()
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	took := time.Since(start)
	m, err := catalog.Find(context.Background(), w.lyon, "main", "latest")
	if err != nil {
		t.Fatal(err)
	}
	return m, took
}

// probeDrill runs the weekly drill with -o json and checks its exit code.
func probeDrill(t *testing.T, w *bkWorld, want int, args ...string) drillProbeReport {
	t.Helper()
	code, out, _ := w.citadel(t, append([]string{"-o", "json", "drill", "run", "weekly"}, args...)...)
	if code != want {
		t.Fatalf("drill run %s: exit %d, want %d", strings.Join(args, " "), code, want)
	}
	var rep drillProbeReport
	bkJSON(t, out, &rep)
	return rep
}
