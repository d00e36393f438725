package testbed

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingServiceFailsInCI runs a test needing MinIO with a binary that
// does not exist: it must fail under CI=true and skip otherwise.
func TestMissingServiceFailsInCI(t *testing.T) {
	if os.Getenv("TESTBED_HELPER") == "1" {
		StartMinIOT(t)
		return
	}
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingServiceFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTBED_HELPER=1", "CI="+ci, "CITADEL_MINIO_BIN=/nonexistent/minio")
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "true" && (err == nil || !strings.Contains(string(out), "CI=true: a missing service fails")):
			t.Errorf("CI=true: want a failure, got err=%v\n%s", err, out)
		case ci == "" && (err != nil || !strings.Contains(string(out), "SKIP")):
			t.Errorf("outside CI: want a skip, got err=%v\n%s", err, out)
		}
	}
}
