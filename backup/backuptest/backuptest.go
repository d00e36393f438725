// Package backuptest writes real backups for tests and benchmarks that need
// one to read, verify or restore, without a replica set: it dumps a plain
// server (an embedded FerretDB) through the same snapshot and archive code
// as `citadel backup run`, with an empty oplog slice.
package backuptest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/snapshot"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// Options shape the backup; the zero value is a plain, unencrypted backup
// of replica set "main".
type Options struct {
	ReplicaSet  string          // default "main"
	Recipients  []age.Recipient // encrypt for these when set
	Parallelism int             // collections dumped at once, default 2
}

// Dump backs up every user collection of c into st, commits the manifest
// and returns it; any failure fails the test.
func Dump(t testing.TB, c *mongo.Client, st storage.Storage, o Options) *manifest.Manifest {
	t.Helper()
	ctx := context.Background()
	if o.ReplicaSet == "" {
		o.ReplicaSet = "main"
	}
	if o.Parallelism == 0 {
		o.Parallelism = 2
	}
	var names []string
	for _, r := range o.Recipients {
		if x, ok := r.(*age.X25519Recipient); ok {
			names = append(names, x.String())
		}
	}
	w := archive.NewWriter(archive.Destination{Storage: st, Codec: stream.Codec{Recipients: o.Recipients}, Recipients: names}, o.ReplicaSet, layout.NewID(time.Now()))
	started := time.Now()
	colls, err := snapshot.Dump(ctx, c, w, snapshot.Options{Parallelism: o.Parallelism}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	m := &manifest.Manifest{Tool: "test", Collections: colls, Started: started, Finished: time.Now()}
	if m.Oplog, err = w.Oplog(ctx, func(archive.Emit) error { return nil }); err != nil {
		t.Fatalf("write empty oplog: %v", err)
	}
	if err := w.Commit(ctx, m); err != nil {
		t.Fatalf("commit backup: %v", err)
	}
	return m
}
