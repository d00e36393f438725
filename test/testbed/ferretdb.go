package testbed

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

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

// Connect opens a driver client on uri for one test (or benchmark) and
// disconnects it at cleanup.
func Connect(t testing.TB, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("connect %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}
