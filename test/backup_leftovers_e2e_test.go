package test

import (
	"context"
	"crypto/rand"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestBackupLeftoversAfterKill: `backup run` killed with SIGKILL while it
// writes leaves temporary files in the backup's directory of a filesystem
// storage. `backup list --all` shows that backup as incomplete with all
// it occupies; prune keeps it while it may still be running and, once it
// is older than a day, removes everything under it — temporary files and
// empty directories too, as it does a directory a run left empty.
func TestBackupLeftoversAfterKill(t *testing.T) {
	w := rsStart(t)
	coll := w.client(t).Database("big").Collection("c")
	docs := make([]any, 0, 1000)
	for i := range 20000 {
		pad := make([]byte, 150) // barely compressible: the dump writes data soon
		rand.Read(pad)
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: pad}})
		if len(docs) == cap(docs) {
			if _, err := coll.InsertMany(context.Background(), docs); err != nil {
				t.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	rsDir := filepath.Join(w.dir, "rs1")
	// Killed as soon as it has created its first temporary file (empty),
	// then, in a second run, once one holds data.
	w.killBackup(t, func(sizes []int64) bool { return len(sizes) > 0 })
	w.killBackup(t, func(sizes []int64) bool { return slices.ContainsFunc(sizes, func(n int64) bool { return n > 0 }) })
	// What a run interrupted before its first write used to leave.
	if err := os.MkdirAll(filepath.Join(rsDir, "20260101T000000Z-0000", "app"), 0o750); err != nil {
		t.Fatal(err)
	}

	code, out, _ := w.citadel(t, "-o", "json", "backup", "list", "--all")
	var list []struct {
		ID          string
		Complete    bool
		StoredBytes int64 `json:"stored_bytes"`
	}
	if code == 0 {
		bkJSON(t, out, &list)
	}
	if len(list) != 3 || list[0].ID != "20260101T000000Z-0000" {
		t.Errorf("backup list --all: exit %d, shows %+v; want the three incomplete backups", code, list)
	}
	var total int64
	for _, b := range list {
		if want := dirBytes(t, filepath.Join(rsDir, b.ID)); b.Complete || b.StoredBytes != want {
			t.Errorf("backup list --all shows %+v; its directory holds %d bytes", b, want)
		}
		total += b.StoredBytes
	}
	if total == 0 && len(list) > 0 {
		t.Errorf("the backup killed while writing data shows no bytes")
	}
	if code, out, _ = w.citadel(t, "-o", "json", "backup", "list"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("backup list without --all: exit %d, %s; want no backup", code, out)
	}

	before := tree(t, rsDir)
	if code, _, _ = w.citadel(t, "backup", "prune"); code != 0 {
		t.Fatalf("backup prune: exit %d", code)
	}
	if left := tree(t, rsDir); len(left) != len(before) {
		t.Fatalf("prune removed parts of backups that may still be running: %v left of %v", left, before)
	}

	ageTree(t, w.dir, 25*time.Hour)
	if code, _, _ = w.citadel(t, "backup", "prune"); code != 0 {
		t.Fatalf("backup prune a day later: exit %d", code)
	}
	if left := tree(t, w.dir); len(left) != 0 {
		t.Errorf("after prune the storage still holds %v", left)
	}
	if code, out, _ = w.citadel(t, "-o", "json", "backup", "list", "--all"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("backup list --all after prune: exit %d, %s; want nothing", code, out)
	}
}

// killBackup starts `backup run` and kills it with SIGKILL as soon as the
// sizes of the temporary files in the storage satisfy ready.
func (w *rsWorld) killBackup(t *testing.T, ready func(sizes []int64) bool) {
	t.Helper()
	before := tempFiles(t, w.dir)
	cmd := w.start(t, "backup", "run")
	deadline := time.Now().Add(time.Minute)
	for {
		var sizes []int64
		for _, p := range tempFiles(t, w.dir) {
			if slices.Contains(before, p) {
				continue
			}
			if st, err := os.Stat(filepath.Join(w.dir, p)); err == nil {
				sizes = append(sizes, st.Size())
			}
		}
		if ready(sizes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("backup run did not reach the point to kill it within a minute")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("after kill -9: %v", tree(t, w.dir))
}

// start runs a citadel command in the background; the test kills it.
func (w *rsWorld) start(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(citadelBin(t), append([]string{"--config", w.cfg}, args...)...)
	log, err := os.Create(filepath.Join(t.TempDir(), "citadel.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		b, _ := os.ReadFile(log.Name())
		t.Logf("$ citadel %s (background):\n%s", strings.Join(args, " "), bkTrim(string(b)))
	})
	return cmd
}

// tree lists every file and directory under root.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tempFiles(t *testing.T, root string) []string {
	var out []string
	for _, p := range tree(t, root) {
		if strings.Contains(p, ".citadel-tmp-") {
			out = append(out, p)
		}
	}
	return out
}

// dirBytes sums the sizes of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	for _, p := range tree(t, dir) {
		if st, err := os.Stat(filepath.Join(dir, p)); err == nil && !st.IsDir() {
			n += st.Size()
		}
	}
	return n
}

// ageTree sets back the times of everything under root.
func ageTree(t *testing.T, root string, by time.Duration) {
	then := time.Now().Add(-by)
	for _, p := range tree(t, root) {
		if err := os.Chtimes(filepath.Join(root, p), then, then); err != nil {
			t.Fatal(err)
		}
	}
}
