package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/backup/catalog"
)

// bkInsert writes n acknowledged (w:majority) documents into db.coll.
func bkInsert(t *testing.T, c *mongo.Client, db, coll, tag string, n int) {
	t.Helper()
	col := c.Database(db, options.Database().SetWriteConcern(writeconcern.Majority())).Collection(coll)
	for i := range n {
		if _, err := col.InsertOne(context.Background(), bson.D{{Key: "_id", Value: fmt.Sprintf("%s-%03d", tag, i)}, {Key: "tag", Value: tag}}); err != nil {
			t.Fatalf("insert %s %d: %v", tag, i, err)
		}
	}
}

// bkStartCitadel starts a long-running citadel command (the archiver).
func (w *bkWorld) bkStartCitadel(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(citadelBin(t), append([]string{"--config", w.cfg}, args...)...)
	cmd.Env = append(os.Environ(), w.env...)
	log := filepath.Join(t.TempDir(), "citadel.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		b, _ := os.ReadFile(log)
		t.Logf("$ citadel %s (background) output:\n%s", strings.Join(args, " "), bkTrim(string(b)))
	})
	return cmd
}

// TestBackupE2EUntil: restore --until T reproduces exactly the writes
// acknowledged up to T and none after, through the archived oplog slices.
func TestBackupE2EUntil(t *testing.T) {
	w := bkStart(t, bkOptions{slice: "10s"})
	ctx := context.Background()
	src := w.set(t, "main")
	bkInsert(t, src, "pitr", "base", "base", 50)
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	w.bkStartCitadel(t, "backup", "pitr", "--rs", "main")

	bkInsert(t, src, "pitr", "a", "before", 30)
	until := time.Now()
	time.Sleep(1500 * time.Millisecond)
	bkInsert(t, src, "pitr", "b", "after", 30)
	_, err := src.Database("pitr").Collection("a").UpdateMany(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "changed", Value: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	lastWrite := time.Now()

	// Wait for the archive to pass the last write.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if sl, _, err := catalog.Slices(ctx, w.lyon, "main"); err == nil && len(sl) > 0 {
			if s, err := catalog.LoadSlice(ctx, w.lyon, sl[len(sl)-1].Record); err == nil && s.Last.Wall.After(lastWrite.Add(-time.Second)) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the archiver did not archive the writes within 90s")
		}
		time.Sleep(time.Second)
	}
	code, out, _ := w.citadel(t, "-o", "json", "restore", "latest", "--until", until.Format(time.RFC3339Nano), "--to-rs", "scratch")
	if code != 0 {
		t.Fatalf("restore --until exit %d", code)
	}
	var rep struct{ Slices int }
	bkJSON(t, out, &rep)
	if rep.Slices == 0 {
		t.Fatalf("the restore used no PITR slice: %s", out)
	}
	dst := w.set(t, "scratch").Database("pitr")
	for coll, want := range map[string]int64{"base": 50, "a": 30, "b": 0} {
		if n, _ := dst.Collection(coll).CountDocuments(ctx, bson.D{}); n != want {
			t.Errorf("pitr.%s: %d documents after restore --until, want %d", coll, n, want)
		}
	}
	if n, _ := dst.Collection("a").CountDocuments(ctx, bson.D{{Key: "changed", Value: true}}); n != 0 {
		t.Errorf("%d documents carry an update acknowledged after --until", n)
	}
	// Later than the archive reaches: refused, saying how far it goes.
	if code, _, errOut := w.citadel(t, "restore", "latest", "--until", time.Now().Add(time.Hour).Format(time.RFC3339), "--to-uri", "mongodb://"+w.scratch+"/?directConnection=true"); code == 0 || !strings.Contains(errOut, "reaches") {
		t.Fatalf("restore beyond the archive: exit %d", code)
	}
}

// TestBackupE2EKill9: a backup killed with SIGKILL leaves nothing that
// looks complete; the next run succeeds; prune keeps the remains of a
// possibly running backup and never the only complete one.
func TestBackupE2EKill9(t *testing.T) {
	w := bkStart(t, bkOptions{})
	ctx := context.Background()
	src := w.set(t, "main")
	var docs []any
	for i := range 20000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("k", 200)}})
	}
	if _, err := src.Database("big").Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	bkInsert(t, src, "small", "c", "s", 10)
	cmd := w.bkStartCitadel(t, "backup", "run")
	deadline := time.Now().Add(60 * time.Second)
	for {
		entries, _ := catalog.List(ctx, w.lyon, "main")
		if len(entries) > 0 && len(entries[0].Objects) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the backup wrote nothing within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	entries, err := catalog.List(ctx, w.lyon, "main")
	if err != nil || len(entries) != 1 || entries[0].Complete {
		t.Fatalf("after kill -9: %+v %v", entries, err)
	}
	code, out, _ := w.citadel(t, "-o", "json", "backup", "list")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("backup list after kill -9: exit %d %s", code, out)
	}
	if code, _, _ := w.citadel(t, "restore", "latest", "--to-rs", "scratch"); code == 0 {
		t.Fatal("restored from a killed backup")
	}
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("the run after kill -9: exit %d", code)
	}
	if code, out, _ = w.citadel(t, "-o", "json", "backup", "prune", "--dry-run"); code != 0 {
		t.Fatalf("prune --dry-run: exit %d", code)
	}
	var plans []struct {
		Storage string
		Plan    struct {
			Backups []struct {
				ID       string
				Complete bool
				Keep     bool
			}
		}
	}
	bkJSON(t, out, &plans)
	for _, p := range plans {
		for _, b := range p.Plan.Backups {
			if !b.Keep {
				t.Errorf("%s: prune would remove %s (complete %v)", p.Storage, b.ID, b.Complete)
			}
		}
	}
	if code, _, _ := w.citadel(t, "restore", "latest", "--to-rs", "scratch"); code != 0 {
		t.Fatalf("restore of the run after kill -9: exit %d", code)
	}
}

// TestBackupE2EEncrypted: an encrypted backup cannot be restored without
// the identity file, nor with another key.
func TestBackupE2EEncrypted(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	recipients, identity, wrong := filepath.Join(dir, "recipients.txt"), filepath.Join(dir, "identity.txt"), filepath.Join(dir, "wrong.txt")
	os.WriteFile(recipients, []byte(id.Recipient().String()+"\n"), 0o600)
	os.WriteFile(identity, []byte(id.String()+"\n"), 0o600)
	os.WriteFile(wrong, []byte(other.String()+"\n"), 0o600)
	w := bkStart(t, bkOptions{encryption: fmt.Sprintf("    encryption: {recipients_file: %q}\n", recipients)})
	bkInsert(t, w.set(t, "main"), "secret", "c", "s", 20)
	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	if code, _, errOut := w.citadel(t, "restore", "latest", "--to-rs", "scratch"); code != 2 || !strings.Contains(errOut, "identity") {
		t.Fatalf("restore without identity: exit %d, want 2", code)
	}
	if code, _, _ := w.citadel(t, "backup", "verify", "latest", "--read-data"); code != 2 {
		t.Fatalf("verify --read-data without identity: exit %d, want 2", code)
	}
	if code, _, _ := w.citadel(t, "restore", "latest", "--to-rs", "scratch", "--identity", wrong); code == 0 {
		t.Fatal("restored with the wrong identity")
	}
	if n, _ := w.set(t, "scratch").Database("secret").Collection("c").CountDocuments(context.Background(), bson.D{}); n != 0 {
		t.Fatalf("a refused restore wrote %d documents", n)
	}
	if code, _, _ := w.citadel(t, "backup", "verify", "latest", "--read-data", "--identity", identity); code != 0 {
		t.Fatalf("verify --read-data with the identity: exit %d", code)
	}
	if code, _, _ := w.citadel(t, "restore", "latest", "--to-rs", "scratch", "--identity", identity); code != 0 {
		t.Fatalf("restore with the identity: exit %d", code)
	}
}
