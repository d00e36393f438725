package probes

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/oplog"
)

// Record asks, over the member the backup read (client, connected
// directly to it), the probes of every dataset the backup holds, and sets
// m.Probes. It runs after the dump and the oplog capture, right before the
// manifest is written, so the member's state is the backup's end plus the
// writes made since; the member's oplog after m.End then says whether
// any write could have changed a dataset's answers before they were all
// read. If one did, the dataset's answers are not tied to the backup's
// end and are not recorded: Skipped says so. A probe that fails skips its
// dataset too. Record never fails the backup: what it could not record is
// in Skipped and in the log. With digestsOnly (an encrypted backup: the
// manifest is not encrypted) only each answer's SHA-256 is kept, never its
// table.
func Record(ctx context.Context, client *mongo.Client, m *manifest.Manifest, digestsOnly bool, log *slog.Logger) {
	matches := Find(m)
	if len(matches) == 0 {
		return
	}
	recs := make([]manifest.DatasetProbes, len(matches))
	for i, mt := range matches {
		start := time.Now()
		recs[i] = manifest.DatasetProbes{Dataset: mt.Dataset.Name, Database: mt.Database}
		answers, err := Ask(ctx, client.Database(mt.Database), mt.Dataset)
		recs[i].Duration = Took(start)
		if err != nil {
			recs[i].Skipped = "a probe failed: " + err.Error()
			continue
		}
		if digestsOnly {
			for j := range answers {
				answers[j].Rows = nil
			}
		}
		recs[i].Answers = answers
	}
	written, err := writtenAfter(ctx, client, m.End.TS, matches)
	for i := range recs {
		why := written[i]
		if err != nil {
			why = "the source's oplog after the backup's end could not be read to tie the answers to it: " + err.Error()
		}
		if why != "" && recs[i].Skipped == "" {
			recs[i].Answers, recs[i].Skipped = nil, why
		}
	}
	for _, r := range recs {
		log.Info("dataset probes recorded in the manifest", "dataset", r.Dataset, "database", r.Database,
			"answers", len(r.Answers), "took", r.Duration, "skipped", r.Skipped)
	}
	m.Probes = recs
}

// writtenAfter scans the member's oplog after end and says, for each
// match, the first entry that may have changed its answers ("" when none).
func writtenAfter(ctx context.Context, client *mongo.Client, end manifest.Timestamp, matches []Match) ([]string, error) {
	out := make([]string, len(matches))
	opts := options.Find().SetProjection(bson.D{{Key: "ts", Value: 1}, {Key: "op", Value: 1}, {Key: "ns", Value: 1}, {Key: "o", Value: 1}})
	cur, err := oplog.Collection(client).Find(ctx, bson.D{{Key: "ts", Value: bson.D{{Key: "$gt", Value: end.BSON()}}}}, opts)
	if err != nil {
		return out, fmt.Errorf("read the oplog after %s: %w", end, err)
	}
	defer cur.Close(ctx)
	for left := len(matches); left > 0 && cur.Next(ctx); {
		e, err := oplog.Parse(cur.Current)
		if err != nil {
			return out, err
		}
		for i, mt := range matches {
			if out[i] == "" && mt.Touches(e.Op, e.NS, O(e.Raw)) {
				out[i] = fmt.Sprintf("%s was written (op %s at %s) while the probes ran after the backup's end %s: the answers could not be tied to the backup's point",
					e.NS, e.Op, e.TS, end)
				left--
			}
		}
	}
	if err := cur.Err(); err != nil {
		return out, fmt.Errorf("read the oplog after %s: %w", end, err)
	}
	return out, nil
}

// O is an oplog entry's o document (nil when absent).
func O(raw bson.Raw) bson.Raw {
	o, _ := raw.Lookup("o").DocumentOK()
	return o
}
