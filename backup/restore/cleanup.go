package restore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A restore that fails after it started writing (a damaged object read
// with --skip-precheck, a lost target, a verification mismatch, an
// interrupt) removes what it created and says what it left:
//
//   - every namespace it wrote into that did not exist before it started
//     is dropped: the planned targets (known from the survey) and those
//     only the oplog replay touched (checked when the replay first maps
//     them, before it writes there);
//   - a namespace that existed before is never dropped, even one that
//     --drop emptied and the restore partly refilled: it is named, with
//     its document count, in the error.

// track records the target namespaces the oplog replay writes into; a
// namespace not seen before is checked for existence before its first
// write. It wraps Namespaces.Map for the replay.
func (r *restorer) track(ctx context.Context) func(string) (string, bool) {
	return func(ns string) (string, bool) {
		to, ok := r.opts.Namespaces.Map(ns)
		if !ok {
			return to, ok
		}
		if _, seen := r.known[to]; !seen {
			db, coll := splitNS(to)
			names, err := r.opts.Target.Database(db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: coll}})
			// When the check fails, count it as existing: never drop what may not be ours.
			r.known[to] = err != nil || len(names) > 0
			r.replayed = append(r.replayed, to)
		}
		return to, ok
	}
}

// cleanup runs after a failure once writing started: it drops what the
// restore created and returns cause with an account of what it dropped
// and what it left. It runs even when ctx was cancelled (an interrupt).
func (r *restorer) cleanup(ctx context.Context, targets []*target, cause error) error {
	if !r.writing {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var written []string
	for _, t := range targets {
		written = append(written, t.report.Target)
	}
	written = append(written, r.replayed...)
	var dropped, left, failed []string
	seen := map[string]bool{}
	for _, ns := range written {
		if seen[ns] {
			continue
		}
		seen[ns] = true
		db, coll := splitNS(ns)
		c := r.opts.Target.Database(db).Collection(coll)
		if r.known[ns] {
			n, err := Count(ctx, c)
			if err != nil {
				left = append(left, ns+" (count unknown)")
			} else {
				left = append(left, fmt.Sprintf("%s (%d documents)", ns, n))
			}
			continue
		}
		if names, err := c.Database().ListCollectionNames(ctx, bson.D{{Key: "name", Value: coll}}); err == nil && len(names) == 0 {
			continue // never created
		}
		if err := c.Drop(ctx); err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", ns, err))
			continue
		}
		dropped = append(dropped, ns)
	}
	var parts []string
	if len(dropped) > 0 {
		parts = append(parts, "dropped what it had created: "+strings.Join(sorted(dropped), ", "))
	}
	if len(failed) > 0 {
		parts = append(parts, "could NOT drop what it had created, drop it by hand: "+strings.Join(sorted(failed), ", "))
	}
	if len(left) > 0 {
		parts = append(parts, "left in place because they existed before the restore (check them): "+strings.Join(sorted(left), ", "))
	}
	if len(parts) == 0 {
		return cause
	}
	r.log.Warn("restore failed; cleaned up", "dropped", dropped, "left", left, "failed", failed)
	return fmt.Errorf("%w; the restore %s", cause, strings.Join(parts, "; "))
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
