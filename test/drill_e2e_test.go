package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/storage"
)

// drillYAML declares the drills of the test: a generous one, one whose
// max_rto no restore meets, and one pointed at a production member.
const drillYAML = `drills:
  - {name: weekly, backup: nightly, schedule: "0 5 * * 0", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 10m}
  - {name: tight, backup: nightly, schedule: "0 5 * * 0", target: {replica_set: scratch}, max_rto: 1ms, max_rpo: 10m}
  - {name: prod, backup: nightly, schedule: "0 5 * * 0", target: {uri_env: DRILL_PROD_URI}, max_rto: 10m, max_rpo: 10m}
  - {name: cross, backup: nightly, schedule: "0 5 * * 0", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 10m, from_storage: minio-paris}
`

// drillReport is the part of a drill's -o json output the test reads.
type drillReport struct {
	ID, Drill, Storage, Backup, Key, Location string
	CrossSite                                 bool `json:"cross_site"`
	Passed                                    bool
	Slices                                    int
	RTO                                       time.Duration `json:"rto_ns"`
	RPO                                       time.Duration `json:"rpo_ns"`
	Indexes                                   int           `json:"indexes_checked"`
	Documents                                 int64
	Reasons, Dropped                          []string
	Restore                                   struct {
		Collections []struct {
			Source string
			Final  int64 `json:"final_documents"`
		}
	}
}

// TestDrillE2E: on the two-site set with PITR, a drill restores the
// newest backup and the archived slices into the scratch set, verified,
// records RTO and RPO, stores its report in the bucket and lists it; a
// max_rto below the measured RTO fails by a stated amount (exit 3); the
// copy in Paris restores too (cross-site, by the flag and by the drill's
// from_storage setting); a production target is
// refused (exit 4); a missing PITR slice and a corrupted object fail the
// drill naming them (exit 3).
func TestDrillE2E(t *testing.T) {
	w := bkStart(t, bkOptions{slice: "10s", drills: drillYAML})
	w.env = append(w.env, "DRILL_PROD_URI=mongodb://"+w.host["p1"]+"/?directConnection=true")
	ctx := context.Background()
	src := w.set(t, "main")
	drillData(t, src)
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	w.bkStartCitadel(t, "backup", "pitr", "--rs", "main")
	bkInsert(t, src, "drill", "base", "after", 20) // after the backup: only the PITR slices have them
	drillWaitArchived(t, w, drillOplogWall(t, src, "after-019"))

	rep := drillRun(t, w, 0, "weekly")
	if !rep.Passed || rep.Slices == 0 || rep.RTO <= 0 || rep.RPO <= 0 || rep.Indexes < 4 || rep.CrossSite {
		t.Fatalf("healthy drill: %+v", rep)
	}
	if got := drillFinal(rep, "drill.base"); got != 70 {
		t.Errorf("drill.base holds %d documents after the replay, want 50 + the 20 written after the backup", got)
	}
	t.Logf("healthy drill: RTO %s, RPO %s, %d slices, %d documents, %d indexes", rep.RTO, rep.RPO, rep.Slices, rep.Documents, rep.Indexes)
	if _, err := w.lyon.Stat(ctx, rep.Key); err != nil || rep.Key != layout.DrillKey("main", rep.ID) {
		t.Errorf("report %s not in the Lyon bucket: %v", rep.Key, err)
	}
	drillScratchEmpty(t, w, rep)
	var list struct{ Drills []struct{ ID string } }
	code, out, _ := w.citadel(t, "-o", "json", "drill", "list")
	bkJSON(t, out, &list)
	if code != 0 || !slices.ContainsFunc(list.Drills, func(d struct{ ID string }) bool { return d.ID == rep.ID }) {
		t.Errorf("drill list (exit %d) lacks %s", code, rep.ID)
	}
	if code, out, _ := w.citadel(t, "drill", "show", rep.ID); code != 0 || !strings.Contains(out, "drill weekly PASSED") {
		t.Errorf("drill show exit %d", code)
	}

	code, out, errOut := w.citadel(t, "drill", "run", "tight")
	if code != 3 || !strings.Contains(out, "exceeds max_rto 1ms by") || !strings.Contains(errOut, "exceeds max_rto 1ms by") {
		t.Errorf("tight drill: exit %d, want 3 saying by how much the RTO exceeds max_rto", code)
	}

	paris := drillRun(t, w, 0, "weekly", "--from-storage", "minio-paris")
	if !paris.Passed || !paris.CrossSite || paris.Storage != "minio-paris" || !strings.Contains(paris.Location, "backups-paris") || paris.Backup != rep.Backup {
		t.Errorf("cross-site drill: %+v", paris)
	}

	cross := drillRun(t, w, 0, "cross") // the from_storage setting
	if !cross.Passed || !cross.CrossSite || cross.Storage != "minio-paris" || cross.Backup != rep.Backup {
		t.Errorf("drill with from_storage: minio-paris: %+v", cross)
	}

	if code, _, errOut := w.citadel(t, "drill", "run", "prod"); code != 4 || !strings.Contains(errOut, "production") {
		t.Errorf("drill into a production member: exit %d, want 4", code)
	}

	bkInsert(t, src, "drill", "base", "late", 5) // into a second slice
	drillWaitArchived(t, w, drillOplogWall(t, src, "late-004"))
	gone := drillRemoveFirstSlice(t, w)
	holed := drillRun(t, w, 3, "weekly")
	if why := strings.Join(holed.Reasons, "\n"); holed.Passed || !strings.Contains(why, "hole") || !strings.Contains(why, "missing slice") {
		t.Errorf("drill over an archive without %s: reasons %q", gone, holed.Reasons)
	}

	key := drillCorrupt(t, w)
	bad := drillRun(t, w, 3, "weekly")
	if bad.Passed || !strings.Contains(strings.Join(bad.Reasons, "\n"), key) {
		t.Errorf("drill over a corrupted object: reasons %q do not name %s", bad.Reasons, key)
	}
	drillScratchEmpty(t, w, bad)
	if code, out, _ := w.citadel(t, "drill", "list"); code != 0 || strings.Count(out, "\n") != 7 || strings.Count(out, "minio-paris (copy)") != 2 {
		t.Errorf("drill list: exit %d, want a header and six reports, the two Paris ones marked as copies", code)
	}
}

// drillData writes two collections with secondary indexes into main.
func drillData(t *testing.T, src *mongo.Client) {
	t.Helper()
	ctx := context.Background()
	bkInsert(t, src, "drill", "base", "base", 50)
	var docs []any
	for i := range 30 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 1000 + i}, {Key: "city", Value: fmt.Sprintf("c%d", i%3)}})
	}
	if _, err := src.Database("drill").Collection("keyed").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	models := []mongo.IndexModel{{Keys: bson.D{{Key: "n", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "city", Value: 1}, {Key: "n", Value: -1}}}}
	if _, err := src.Database("drill").Collection("keyed").Indexes().CreateMany(ctx, models); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Database("drill").Collection("base").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "tag", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
}

// drillOplogWall is the wall time of the oplog entry that inserted the
// document with that _id.
func drillOplogWall(t *testing.T, src *mongo.Client, id string) time.Time {
	t.Helper()
	var e struct {
		Wall time.Time `bson:"wall"`
	}
	if err := src.Database("local").Collection("oplog.rs").FindOne(context.Background(), bson.D{{Key: "o._id", Value: id}}).Decode(&e); err != nil {
		t.Fatalf("oplog entry of %s: %v", id, err)
	}
	return e.Wall
}

// drillWaitArchived waits until a PITR slice in Lyon holds the oplog
// entry written at wall.
func drillWaitArchived(t *testing.T, w *bkWorld, wall time.Time) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if sl, _, err := catalog.Slices(ctx, w.lyon, "main"); err == nil && len(sl) > 0 {
			if s, err := catalog.LoadSlice(ctx, w.lyon, sl[len(sl)-1].Record); err == nil && !s.Last.Wall.Before(wall) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the archiver did not archive the writes within 60s")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// drillRun runs a drill with -o json and checks its exit code.
func drillRun(t *testing.T, w *bkWorld, want int, args ...string) drillReport {
	t.Helper()
	code, out, _ := w.citadel(t, append([]string{"-o", "json", "drill", "run"}, args...)...)
	if code != want {
		t.Fatalf("drill run %s: exit %d, want %d", strings.Join(args, " "), code, want)
	}
	var rep drillReport
	bkJSON(t, out, &rep)
	return rep
}

func drillFinal(rep drillReport, ns string) int64 {
	for _, c := range rep.Restore.Collections {
		if c.Source == ns {
			return c.Final
		}
	}
	return -1
}

// drillScratchEmpty checks that the drill dropped what it restored.
func drillScratchEmpty(t *testing.T, w *bkWorld, rep drillReport) {
	t.Helper()
	names, err := w.set(t, "scratch").ListDatabaseNames(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, "drill") || !slices.Contains(rep.Dropped, "drill") {
		t.Errorf("scratch databases after the drill: %v (dropped %v)", names, rep.Dropped)
	}
}

// drillRemoveFirstSlice deletes the oldest PITR slice in Lyon (record
// and data) and returns its record's key.
func drillRemoveFirstSlice(t *testing.T, w *bkWorld) string {
	t.Helper()
	ctx := context.Background()
	sl, _, err := catalog.Slices(ctx, w.lyon, "main")
	if err != nil || len(sl) < 2 {
		t.Fatalf("want two slices in Lyon, have %d (%v)", len(sl), err)
	}
	for _, o := range sl[0].Objects {
		if err := w.lyon.Delete(ctx, o.Key); err != nil {
			t.Fatal(err)
		}
	}
	return sl[0].Record
}

// drillCorrupt overwrites the data object of drill.base in the newest
// Lyon backup and returns its key.
func drillCorrupt(t *testing.T, w *bkWorld) string {
	t.Helper()
	ctx := context.Background()
	m, err := catalog.Find(ctx, w.lyon, "main", "latest")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Collections {
		if c.Namespace() == "drill.base" && c.Data != nil {
			key := layout.Dir("main", m.ID) + c.Data.Key
			if _, err := storage.PutBytes(ctx, w.lyon, key, []byte("not a zstd stream"), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			return key
		}
	}
	t.Fatal("no drill.base in the backup")
	return ""
}

// TestDrillSwitchoverE2E: the switchover rehearsal moves the primary of
// the two-site set to Lyon and back under 1,000 w:majority probe writes,
// reports both write-unavailability windows, reads every acknowledged
// write back from every member (none lost), drops its probe collection
// and stores its report next to the backups.
func TestDrillSwitchoverE2E(t *testing.T) {
	w := bkStart(t, bkOptions{})
	ctx := context.Background()
	code, out, _ := w.citadel(t, "-o", "json", "drill", "switchover", "--rs", "main", "--writes", "1000", "--interval", "20ms", "--catch-up", "5s")
	var rep struct {
		ID, Key   string
		Passed    bool
		Attempted int `json:"writes_attempted"`
		Acked     int `json:"writes_acknowledged"`
		Lost      int `json:"writes_lost"`
		Legs      []struct {
			From        string        `json:"from_site"`
			To          string        `json:"to_site"`
			Unavailable time.Duration `json:"write_unavailable_ns"`
		}
		Members []struct {
			Host    string
			Found   int
			Missing []int64
		}
	}
	bkJSON(t, out, &rep)
	if code != 0 || !rep.Passed || rep.Attempted < 1000 || rep.Acked == 0 || rep.Lost != 0 || len(rep.Legs) != 2 || len(rep.Members) != 4 {
		t.Fatalf("switchover drill: exit %d, %+v", code, rep)
	}
	if rep.Legs[0].From != "paris" || rep.Legs[0].To != "lyon" || rep.Legs[1].To != "paris" || rep.Legs[0].Unavailable <= 0 || rep.Legs[1].Unavailable <= 0 {
		t.Errorf("legs: %+v", rep.Legs)
	}
	for _, m := range rep.Members {
		if m.Found != rep.Acked || len(m.Missing) > 0 {
			t.Errorf("%s holds %d of %d acknowledged writes", m.Host, m.Found, rep.Acked)
		}
	}
	t.Logf("MEASURED switchover drill: %d writes attempted, %d acknowledged, %d lost; unavailable %s (paris → lyon), %s (lyon → paris)",
		rep.Attempted, rep.Acked, rep.Lost, rep.Legs[0].Unavailable, rep.Legs[1].Unavailable)
	if _, err := w.lyon.Stat(ctx, rep.Key); err != nil {
		t.Errorf("report %s not in the Lyon bucket: %v", rep.Key, err)
	}
	names, err := w.set(t, "main").Database("citadel_drill").ListCollectionNames(ctx, bson.D{})
	if err != nil || len(names) != 0 {
		t.Errorf("probe collections left: %v (%v)", names, err)
	}
	if code, out, _ := w.citadel(t, "drill", "show", rep.ID); code != 0 || !strings.Contains(out, "drill switchover of main PASSED") {
		t.Errorf("drill show of the rehearsal: exit %d", code)
	}
}
