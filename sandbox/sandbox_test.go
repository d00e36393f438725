package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedStepIsNamed: a step that fails stops the sandbox before the
// summary, with an error naming the step, after its progress line.
func TestFailedStepIsNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	called := false
	err := Run(context.Background(), Options{Dir: filepath.Join(file, "sub"), Progress: &progress}, func(*Summary) { called = true })
	if !errors.Is(err, ErrStep) || !strings.Contains(err.Error(), "create the sandbox directory") {
		t.Fatalf("error %v, want ErrStep naming the directory step", err)
	}
	if called {
		t.Error("the summary was given after a failed step")
	}
	if !strings.Contains(progress.String(), "[ 1/12] create the sandbox directory ...") {
		t.Errorf("no progress line for the step:\n%s", progress.String())
	}
}

// TestInterruptedBeforeTheSummary: a context already done stops at the
// first step with the context's error (the command's exit 130), no summary.
func TestInterruptedBeforeTheSummary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := Run(ctx, Options{Dir: dir}, func(*Summary) { t.Error("summary after an interrupt") })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
