package testbed

import (
	"context"
	"testing"

	"github.com/noscites/citadel/internal/ferret"
)

// StartFerretDBT starts an embedded FerretDB (SQLite in a temp dir) on a
// free loopback port for one test and stops it at cleanup.
func StartFerretDBT(t testing.TB) *ferret.Server {
	t.Helper()
	s, err := ferret.Start(context.Background(), ferret.Options{Addr: "127.0.0.1:0", Dir: t.TempDir()})
	if err != nil {
		Unavailable(t, "FerretDB", err)
	}
	t.Logf("testbed: FerretDB started at %s", s.URI())
	t.Cleanup(s.Close)
	return s
}
