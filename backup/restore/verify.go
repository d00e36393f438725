package restore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/internal/fault"
)

// verify checks every restored collection against the manifest once the
// load is done:
//
//   - the documents the target acknowledged (unordered inserts with
//     w:majority, each document's bytes exactly as read from the backup)
//     have the manifest's count and content digest: none was lost,
//     skipped, repeated or altered between the stored object and the
//     target;
//   - the target's own count (its collection statistics, not a scan)
//     is the manifest's: the target holds those documents and no others;
//   - with ReadBack, the digest of a full scan of the target is the
//     manifest's too: the target stores and returns every document byte
//     for byte.
func (r *restorer) verify(ctx context.Context, targets []*target) error {
	r.opts.Progress.SetPhase("verify")
	var bad []string
	for _, t := range targets {
		if t.c.Type != "collection" {
			continue
		}
		n, err := Count(ctx, r.coll(t))
		if err != nil {
			return fmt.Errorf("verify restored data: %w", err)
		}
		if msg := t.mismatch(n); msg != "" {
			bad = append(bad, msg)
			continue
		}
		t.report.Verified = true
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fault.Verification("restored data does not match the backup: " + strings.Join(bad, "; "))
	}
	return nil
}

// mismatch describes how t differs from the manifest given the target's
// count, or is empty.
func (t *target) mismatch(count int64) string {
	want := func(d digest.Digest) bool { return d.Count() == t.c.Documents && d.String() == t.c.Digest }
	var why []string
	if !want(t.acked) {
		why = append(why, fmt.Sprintf("acknowledged %d documents with digest %s", t.acked.Count(), t.acked))
	}
	if count != t.c.Documents {
		why = append(why, fmt.Sprintf("counts %d documents", count))
	}
	if t.readBack != nil && !want(*t.readBack) {
		why = append(why, fmt.Sprintf("reads back %d documents with digest %s", t.readBack.Count(), t.readBack))
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("%s.%s %s; the backup's %s has %d with %s",
		t.db, t.to, strings.Join(why, " and "), t.c.Namespace(), t.c.Documents, t.c.Digest)
}

// Count returns a collection's document count from the server's
// collection statistics ($collStats count, mongod's fast count), without
// scanning the collection; a sharded collection sums its shards' counts.
func Count(ctx context.Context, c *mongo.Collection) (int64, error) {
	stage := bson.D{{Key: "$collStats", Value: bson.D{{Key: "count", Value: bson.D{}}}}}
	cur, err := c.Aggregate(ctx, mongo.Pipeline{stage})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", c.Name(), err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var n int64
	for cur.Next(ctx) {
		v, err := cur.Current.LookupErr("count")
		if err != nil || !v.IsNumber() {
			return 0, fmt.Errorf("count %s: $collStats gave no count: %s", c.Name(), cur.Current)
		}
		n += v.AsInt64()
	}
	if err := cur.Err(); err != nil {
		return 0, fmt.Errorf("count %s: %w", c.Name(), err)
	}
	return n, nil
}

// Digest scans a collection and returns its content digest.
func Digest(ctx context.Context, c *mongo.Collection) (digest.Digest, error) {
	var d digest.Digest
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return d, fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		d.Add(cur.Current)
	}
	if err := cur.Err(); err != nil {
		return d, fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	return d, nil
}
