package drill

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/oplog"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/drill/probes"
)

// ProbeCheck is one dataset's recorded answers compared with the restored
// copy's.
type ProbeCheck struct {
	Dataset  string `json:"dataset"`
	Database string `json:"database"`
	// Compared answers, of which Changed differ (their probe names).
	Compared int      `json:"compared"`
	Changed  []string `json:"changed,omitempty"`
	// NotCompared says why the answers were not compared (none recorded,
	// or the replayed oplog wrote the dataset after the backup).
	NotCompared string `json:"not_compared,omitempty"`
}

// checkProbes asks the restored target the probes the manifest recorded
// and compares; a changed answer is a reason naming the probe, what was
// expected and what was got. Answers hold at the backup's end: when the
// replay went further and wrote one of the dataset's collections, the
// dataset is not compared (a changed answer is then expected), and the
// report says why.
func (r *run) checkProbes(ctx context.Context, res *restore.Report) error {
	matches := probes.Find(r.manifest)
	if len(matches) == 0 {
		return nil
	}
	written, err := r.replayedWrites(ctx, matches, r.manifest.End.TS, res.ReachedTS)
	if err != nil {
		return err
	}
	for i, mt := range matches {
		pc := ProbeCheck{Dataset: mt.Dataset.Name, Database: mt.Database}
		rec := r.manifest.ProbesOf(mt.Dataset.Name, mt.Database)
		db, restored := targetDB(res.Collections, mt.Database)
		switch {
		case rec == nil:
			pc.NotCompared = "the backup recorded no answers (taken with skip_probes, or before citadel recorded them)"
		case rec.Skipped != "":
			pc.NotCompared = "not recorded at backup time: " + rec.Skipped
		case written[i] != "":
			pc.NotCompared = written[i]
		case !restored:
			pc.NotCompared = "the database was not restored"
		default:
			got, err := probes.Ask(ctx, r.client.Database(db), mt.Dataset)
			if err != nil {
				r.rep.Reasons = append(r.rep.Reasons, fmt.Sprintf("dataset %s over %s: answered at backup time, not on the restored copy: %v", mt.Dataset.Name, db, err))
				break
			}
			pc.Compared = len(rec.Answers)
			reasons := probes.Compare(mt.Dataset.Name, db, rec.Answers, got, !r.manifest.Encrypted())
			for _, a := range rec.Answers {
				for _, why := range reasons {
					if strings.HasPrefix(why, "probe "+mt.Dataset.Name+"/"+a.Name+" ") {
						pc.Changed = append(pc.Changed, a.Name)
						break
					}
				}
			}
			r.rep.Reasons = append(r.rep.Reasons, reasons...)
		}
		r.rep.Probes = append(r.rep.Probes, pc)
	}
	return nil
}

// targetDB is the database the restore wrote db's collections into.
func targetDB(colls []restore.Collection, db string) (string, bool) {
	for _, c := range colls {
		if src, _, _ := strings.Cut(c.Source, "."); src == db {
			to, _, _ := strings.Cut(c.Target, ".")
			return to, true
		}
	}
	return "", false
}

// replayedWrites reads the PITR slices the restore replayed after the
// backup's end (from, to] and says, for each match, the first entry that
// may have changed its answers ("" when none). Nothing is read when the
// restore stopped at the backup's end.
func (r *run) replayedWrites(ctx context.Context, matches []Match, from, to manifest.Timestamp) ([]string, error) {
	out := make([]string, len(matches))
	if !from.Before(to) {
		return out, nil
	}
	st, rs := r.loc.Storage, r.manifest.ReplicaSet
	all, _, err := catalog.Slices(ctx, st, rs)
	if err != nil {
		return out, fmt.Errorf("list the PITR slices to compare the probes: %w", err)
	}
	ids, err := backup.Identities(r.req.Identity, r.loc.Backup)
	if err != nil {
		return out, err
	}
	chain, _ := chainFrom(from, all)
	left := len(matches)
	for _, se := range chain {
		if left == 0 || !se.After.Before(to) {
			break
		}
		s, err := catalog.LoadSlice(ctx, st, se.Record)
		if err != nil {
			return out, fmt.Errorf("read PITR slice %s: %w", se.Record, err)
		}
		key := layout.PITRPrefix(rs) + s.Object.Key
		sr, err := stream.Open(ctx, st, key, stream.Encoding{Compressed: s.Object.Compressed, Encrypted: s.Object.Encrypted}, ids,
			stream.Expect{Size: s.Object.Size, SHA256: s.Object.SHA256})
		if err != nil {
			return out, fmt.Errorf("read PITR slice %s: %w", key, err)
		}
		left, err = scanSlice(stream.NewDocReader(sr), matches, from, to, out, left)
		sr.Close()
		if err != nil {
			return out, fmt.Errorf("read PITR slice %s: %w", key, err)
		}
	}
	return out, nil
}

// Match is probes.Match (a dataset's database in the backup).
type Match = probes.Match

// scanSlice marks in out the matches an entry in (from, to] touches and
// returns how many are left unmarked.
func scanSlice(docs *stream.DocReader, matches []Match, from, to manifest.Timestamp, out []string, left int) (int, error) {
	for left > 0 {
		doc, err := docs.Next()
		if err == io.EOF {
			return left, nil
		}
		if err != nil {
			return left, err
		}
		e, err := oplog.Parse(doc)
		if err != nil {
			return left, err
		}
		if !from.Before(e.TS) {
			continue
		}
		if to.Before(e.TS) {
			return left, nil
		}
		for i, mt := range matches {
			if out[i] == "" && mt.Touches(e.Op, e.NS, probes.O(e.Raw)) {
				out[i] = fmt.Sprintf("the oplog replayed after the backup's end writes %s (op %s at %s), so the answers recorded at the backup's end no longer hold",
					e.NS, e.Op, e.TS)
				left--
			}
		}
	}
	return left, nil
}
