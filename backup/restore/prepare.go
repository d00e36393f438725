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

// Existing is a target namespace that exists before the restore writes:
// what --drop would drop.
type Existing struct {
	Namespace string `json:"namespace"`
	Type      string `json:"type"` // "collection" or "view"
	Documents int64  `json:"documents"`
}

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

// survey finds the targets that already exist, without writing: without
// Drop a non-empty one (or a view) is refused; with Drop, ConfirmDrop is
// asked with the list of what will be dropped. It records every target's
// prior existence for the cleanup of a failed restore.
func (r *restorer) survey(ctx context.Context, targets []*target) error {
	var existing []Existing
	var refused []string
	for _, t := range targets {
		specs, err := r.opts.Target.Database(t.db).ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: t.to}})
		if err != nil {
			return fmt.Errorf("check target %s.%s: %w", t.db, t.to, err)
		}
		r.known[t.report.Target] = len(specs) > 0
		if len(specs) == 0 {
			continue
		}
		t.existed = true
		ex := Existing{Namespace: t.report.Target, Type: specs[0].Type}
		if ex.Type != "view" {
			if ex.Documents, err = r.coll(t).EstimatedDocumentCount(ctx); err != nil {
				return fmt.Errorf("count target %s.%s: %w", t.db, t.to, err)
			}
		}
		existing = append(existing, ex)
		if !r.opts.Drop && (ex.Documents > 0 || ex.Type == "view" || t.c.Type == "view") {
			refused = append(refused, fmt.Sprintf("%s (%s, %d documents)", ex.Namespace, ex.Type, ex.Documents))
		}
	}
	if len(refused) > 0 {
		return fault.Refused(fmt.Sprintf("the target already holds %s: restore with --drop to replace it, or map it elsewhere with --ns-from/--ns-to; nothing was written", strings.Join(refused, ", ")))
	}
	if r.opts.Drop && len(existing) > 0 && r.opts.ConfirmDrop != nil {
		if err := r.opts.ConfirmDrop(ctx, existing); err != nil {
			return fmt.Errorf("drop before restore: %w; nothing was written", err)
		}
	}
	return nil
}

// prepare drops the existing targets (with Drop; surveyed and confirmed)
// and creates the collections with their options. From here on a failure
// cleans up (see cleanup.go).
func (r *restorer) prepare(ctx context.Context, targets []*target) error {
	r.writing = true
	for _, t := range targets {
		if !t.existed || !r.opts.Drop {
			continue
		}
		if err := r.coll(t).Drop(ctx); err != nil {
			return fmt.Errorf("drop target %s.%s: %w", t.db, t.to, err)
		}
		r.log.Info("dropped before restore", "namespace", t.report.Target)
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
