package runner

import (
	"log/slog"

	"github.com/noscites/citadel/internal/failpoint"
)

// failpoints reads the test-only pauses (internal/failpoint) once, when
// the runner is made. Set, they are logged at every start: a node must
// never run them unnoticed. A bad value is logged and ignored.
func failpoints(log *slog.Logger) failpoint.Set {
	fp, err := failpoint.FromEnv()
	if err != nil {
		log.Error("failpoints ignored", "err", err)
	}
	for name, d := range fp {
		log.Warn("TEST-ONLY failpoint set: runs will pause", "failpoint", name, "sleep", d)
	}
	return fp
}
