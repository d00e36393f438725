package jobs

import (
	"context"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/drill/probes"
)

// withProbes returns the snapshot's BeforeCommit: the datasets' probe
// answers are asked over the source member and put in the manifest, then
// commit (the caller's own BeforeCommit, the coordinator's fence) runs, last,
// so the fence's deadline bounds only the manifest write. A backup job
// with skip_probes records none.
// An encrypted backup keeps only the answers' digests: the manifest is
// written in clear.
func withProbes(b *config.Backup, encrypted bool, client *mongo.Client, log *slog.Logger, commit func(context.Context, *manifest.Manifest) (time.Time, error)) func(context.Context, *manifest.Manifest) (time.Time, error) {
	if b.SkipProbes {
		return commit
	}
	return func(ctx context.Context, m *manifest.Manifest) (time.Time, error) {
		probes.Record(ctx, client, m, encrypted, log)
		if commit == nil {
			return time.Time{}, nil
		}
		return commit(ctx, m)
	}
}
