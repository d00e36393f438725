package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/internal/fault"
)

func splitNS(ns string) (string, string) {
	db, c, _ := strings.Cut(ns, ".")
	return db, c
}

func archiveMetadata(ctx context.Context, opts Options, c manifest.Collection) (*metadata.Metadata, error) {
	return archive.ReadMetadata(ctx, opts.Storage, opts.Manifest, c, opts.Identities)
}

func (r *restorer) coll(t *target) *mongo.Collection {
	return r.opts.Target.Database(t.db).Collection(t.to)
}

// prepare refuses existing data (or drops it with Drop) and creates the
// collections with their options.
func (r *restorer) prepare(ctx context.Context, targets []*target) error {
	for _, t := range targets {
		names, err := r.opts.Target.Database(t.db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: t.to}})
		if err != nil {
			return fmt.Errorf("check target %s.%s: %w", t.db, t.to, err)
		}
		if len(names) == 0 {
			continue
		}
		if r.opts.Drop {
			if err := r.coll(t).Drop(ctx); err != nil {
				return fmt.Errorf("drop target %s.%s: %w", t.db, t.to, err)
			}
			continue
		}
		if n, err := r.coll(t).EstimatedDocumentCount(ctx); err != nil || n > 0 || t.c.Type == "view" {
			return fault.Refused(fmt.Sprintf("target %s.%s already exists (%d documents): restore with --drop to replace it, or map it elsewhere with --ns-from/--ns-to", t.db, t.to, n))
		}
	}
	for _, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		cmd := append(bson.D{{Key: "create", Value: t.to}}, t.md.Options...)
		err := r.opts.Target.Database(t.db).RunCommand(ctx, cmd).Err()
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // NamespaceExists: an empty one was kept
			return fmt.Errorf("create %s.%s: %w", t.db, t.to, err)
		}
	}
	return nil
}

func hasValidator(md *metadata.Metadata) bool {
	for _, e := range md.Options {
		if e.Key == "validator" {
			return true
		}
	}
	return false
}
