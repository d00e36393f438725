package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
)

// TestBackupPITRInterrupt: Ctrl-C stops `backup pitr` after the slice in
// flight with exit 130, and -o json prints one JSON line per slice, as
// streams do (issue 10, defect 5).
func TestBackupPITRInterrupt(t *testing.T) {
	w := bkStart(t, bkOptions{slice: "10s"})
	main := w.set(t, "main")
	cmd := exec.Command(citadelBin(t), "--config", w.cfg, "-o", "json", "backup", "pitr")
	cmd.Env = append(os.Environ(), w.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx := t.Context()
	deadline := time.Now().Add(2 * time.Minute)
	for n := 0; ; n++ {
		bkInsert(t, main, "app", "pitr", fmt.Sprint("w", n), 3)
		sl, _, err := catalog.Slices(ctx, w.lyon, "main")
		if err == nil && len(sl) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two slices in 2 minutes\n%s%s", stdout.String(), stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("backup pitr ended by itself: %v\n%s%s", err, stdout.String(), stderr.String())
		case <-time.After(time.Second):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("backup pitr still running 2 minutes after Ctrl-C\n%s", stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130\n%s", code, stderr.String())
	}
	lines := 0
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var s manifest.Slice
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil || s.Entries == 0 {
			t.Fatalf("stdout line %q is not one slice as JSON: %v", sc.Text(), err)
		}
		lines++
	}
	sl, _, _ := catalog.Slices(ctx, w.lyon, "main")
	if lines < 2 || lines != len(sl) {
		t.Fatalf("%d JSON lines for %d committed slices\n%s", lines, len(sl), stdout.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say interrupted: %s", stderr.String())
	}
}
