package catalog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/retention"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// TestPruneDrillReports: on both backends, retention.drill_reports keeps
// the newest reports of the set and removes the others (a dry run only
// lists them), leaves what is not a report and every backup alone, and
// on an object-locked bucket keeps a locked report.
func TestPruneDrillReports(t *testing.T) {
	for name, open := range bothBackends(t) {
		t.Run(name, func(t *testing.T) { testPruneDrillReports(t, open(t)) })
	}
}

func testPruneDrillReports(t *testing.T, st storage.Storage) {
	now := time.Now()
	backup := makeBackup(t, st, "main", now.Add(-time.Hour), stream.Codec{})
	ids := []string{"20261125T050000Z-0001", "20261126T050000Z-0002", "20261127T050000Z-0003", "20261128T050000Z-0004", "20261129T050000Z-0005"}
	locked := st.Capabilities().ObjectLock
	for i, id := range ids {
		opts := storage.PutOptions{}
		if locked && i == 0 { // the oldest, locked: prune must leave it
			opts.RetainUntil = now.Add(72 * time.Hour)
		}
		storage.PutBytes(ctx, st, "main/drills/"+id+".json", []byte(`{"format":"citadel-drill/1"}`), opts)
	}
	storage.PutBytes(ctx, st, "main/drills/README.txt", []byte("an operator's note"), storage.PutOptions{})
	want := []string{"main/drills/" + ids[2] + ".json", "main/drills/" + ids[1] + ".json"}
	if !locked {
		want = append(want, "main/drills/"+ids[0]+".json")
	}
	pol := retention.Policy{Daily: 7, DrillReports: 2}

	res, err := catalog.Prune(ctx, st, "main", catalog.PruneOptions{Policy: pol, Now: now, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.DrillReports, want) || len(reportKeys(t, st)) != 6 {
		t.Fatalf("dry run: would remove %v (want %v); %d objects under drills/", res.DrillReports, want, len(reportKeys(t, st)))
	}
	if res, err = catalog.Prune(ctx, st, "main", catalog.PruneOptions{Policy: pol, Now: now}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.DrillReports, want) {
		t.Fatalf("removed %v, want %v", res.DrillReports, want)
	}
	left := []string{"main/drills/README.txt", "main/drills/" + ids[3] + ".json", "main/drills/" + ids[4] + ".json"}
	if locked {
		left = append(left, "main/drills/"+ids[0]+".json")
	}
	slices.Sort(left)
	if got := reportKeys(t, st); !slices.Equal(got, left) {
		t.Fatalf("left under drills/: %v, want %v", got, left)
	}
	entries, err := catalog.List(ctx, st, "main")
	if err != nil || len(entries) != 1 || entries[0].ID != backup.ID || !entries[0].Complete {
		t.Fatalf("the backup after prune: %+v, %v", entries, err)
	}
	pol.DrillReports = 0
	if res, err = catalog.Prune(ctx, st, "main", catalog.PruneOptions{Policy: pol, Now: now}); err != nil || len(res.DrillReports) != 0 {
		t.Fatalf("drill_reports 0 removed %v (%v): it keeps them all", res.DrillReports, err)
	}
}

func reportKeys(t *testing.T, st storage.Storage) []string {
	t.Helper()
	var keys []string
	for info, err := range st.List(ctx, "main/drills/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	slices.Sort(keys)
	return keys
}
