package ingest

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/internal/mongoconn"
)

// writeDocs is the upsert-free reload of one batch (DESIGN.md):
//  1. unordered InsertMany of the whole batch: new keys are inserted;
//  2. the duplicate-key errors (11000) name the keys that already exist;
//  3. one find {_id: {$in: keys}} projected on _h and _run reads their hashes;
//  4. same hash: unchanged; written by this very load: a duplicate key in
//     the input, rejected; otherwise the document is replaced (updated).
//
// Documents whose key exists wait in a per-collection buffer of at most
// PendingLimit documents, resolved with one find each time it fills (and at
// Close): on FerretDB every find and replace scans the whole collection, so
// resolving in large groups keeps a reload to a few scans, while memory
// stays bounded by the buffer, not by the file.
//
// A transient failure (a lost connection, an election) is retried under
// the one retry policy (mongoconn.DefaultRetry), on top of the driver's
// own retryable write; on a retry, the duplicate keys that this load wrote
// with the same content are the unanswered attempt's inserts
// (claimRetried).
func (s *Sink) writeDocs(ctx context.Context, coll string, batch []pending) error {
	if err := s.indexFirst(ctx, coll); err != nil {
		return err
	}
	c := s.collection(coll)
	docs := make([]any, len(batch))
	for i := range batch {
		docs[i] = batch[i].doc
	}
	var dup map[int]bool
	var other []mongo.BulkWriteError
	retried := false
	err := retry(ctx, func(attempt int) error {
		_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		d, o, fatal := splitWriteErrors(err)
		if fatal == nil {
			dup, other, retried = d, o, attempt > 0
		}
		return fatal
	})
	if err != nil {
		// No answer (network, write concern, timeout) after the retries:
		// the server may hold any part of the batch. Counted apart, never
		// as inserted.
		s.st.update(coll, func(cs *CollStats) { cs.Unacknowledged += int64(len(batch)) })
		return fmt.Errorf("insert into %s: %w", coll, err)
	}
	if retried && len(dup) > 0 {
		if err := s.claimRetried(ctx, c, batch, dup); err != nil {
			return fmt.Errorf("read hashes of %s: %w", coll, err)
		}
	}
	refused := map[int]bool{}
	for _, we := range other {
		refused[we.Index] = true
		if we.Index >= 0 && we.Index < len(batch) {
			if err := s.rejectWritten(ctx, coll, batch[we.Index], "refused by the server", we.Message); err != nil {
				return err
			}
		}
	}
	inserted := int64(len(batch) - len(dup) - len(refused))
	s.st.update(coll, func(cs *CollStats) { cs.Inserted += inserted })
	if len(dup) == 0 {
		return nil
	}
	return s.addPending(ctx, coll, batch, dup)
}

// claimRetried resolves the duplicate keys of an insert that succeeded
// on a retry: some may be documents that the attempt left unanswered did
// write. A key whose stored document has this load's run and this very
// content hash was written by it (inserted), for the first record of the
// batch with that key; the other duplicates stay duplicates (existing
// documents, or keys repeated in the input).
func (s *Sink) claimRetried(ctx context.Context, c *mongo.Collection, batch []pending, dup map[int]bool) error {
	refs := make([]pendRef, 0, len(dup))
	for i := range batch {
		if dup[i] {
			refs = append(refs, pendRef{id: batch[i].id, hash: batch[i].hash})
		}
	}
	var have map[string]stored
	err := retry(ctx, func(int) error {
		var err error
		have, err = storedHashes(ctx, c, refs)
		return err
	})
	if err != nil {
		return err
	}
	claimWritten(batch, dup, have, s.opt.RunID)
	return nil
}

// claimWritten removes from dup the records that the stored documents
// show this load (run) wrote with their content: the first record of each
// such key in the batch.
func claimWritten(batch []pending, dup map[int]bool, have map[string]stored, run string) {
	claimed := map[string]bool{}
	for i := range batch {
		if !dup[i] {
			continue
		}
		k := keyOf(batch[i].id)
		if st, ok := have[k]; ok && st.run == run && st.hash == batch[i].hash && !claimed[k] {
			claimed[k] = true
			delete(dup, i)
		}
	}
}

// addPending spills the existing-key documents of a batch into the
// collection's pending group and resolves the group when it is full.
func (s *Sink) addPending(ctx context.Context, coll string, batch []pending, dup map[int]bool) error {
	s.pmu.Lock()
	g := s.pend[coll]
	if g == nil {
		g = &pendGroup{}
		s.pend[coll] = g
	}
	for i := range batch { // in input order: the first record of a key wins
		if dup[i] {
			if err := g.add(batch[i]); err != nil {
				s.pmu.Unlock()
				return err
			}
		}
	}
	full := len(g.refs) >= s.opt.PendingLimit
	if full {
		delete(s.pend, coll)
	}
	s.pmu.Unlock()
	if !full {
		return nil
	}
	defer g.close()
	return s.reconcile(ctx, s.collection(coll), coll, g)
}

// DefaultPendingLimit is how many existing-key documents wait before one
// find reads their stored hashes (the $in array stays well under 16 MB).
const DefaultPendingLimit = 100000

// resolvePending reconciles what is left in the groups (at Close).
func (s *Sink) resolvePending(ctx context.Context) error {
	s.pmu.Lock()
	pend := s.pend
	s.pend = map[string]*pendGroup{}
	s.pmu.Unlock()
	var err error
	for coll, g := range pend {
		if err == nil && len(g.refs) > 0 {
			err = s.reconcile(ctx, s.collection(coll), coll, g)
		}
		g.close()
	}
	return err
}

type stored struct {
	hash, run string
}

// reconcile compares the batch's documents whose key already exists with
// their stored hashes and rewrites the changed ones.
func (s *Sink) reconcile(ctx context.Context, c *mongo.Collection, coll string, g *pendGroup) error {
	var have map[string]stored
	err := retry(ctx, func(int) error {
		var err error
		have, err = storedHashes(ctx, c, g.refs)
		return err
	})
	if err != nil {
		return fmt.Errorf("read hashes of %s: %w", coll, err)
	}
	var unchanged, updated, inserted int64
	for _, ref := range g.refs {
		k := keyOf(ref.id)
		st, ok := have[k]
		// A later record of this group with the same key is a duplicate.
		have[k] = stored{hash: ref.hash, run: s.opt.RunID}
		if ok && st.run != s.opt.RunID && st.hash == ref.hash {
			unchanged++
			continue
		}
		d, err := g.load(ref)
		if err != nil {
			return err
		}
		switch {
		case !ok: // deleted since the insert failed: insert again
			if err := retry(ctx, func(attempt int) error {
				_, err := c.InsertOne(ctx, d.doc)
				if attempt > 0 && mongo.IsDuplicateKeyError(err) {
					return nil // the attempt left unanswered wrote it
				}
				return err
			}); err != nil {
				return fmt.Errorf("insert %v into %s: %w", d.id, coll, err)
			}
			inserted++
		case st.run == s.opt.RunID:
			if err := s.rejectWritten(ctx, coll, d, "duplicate key",
				fmt.Sprintf("key %v appears more than once in this load; the first record was kept", d.id)); err != nil {
				return err
			}
		default:
			if err := retry(ctx, func(int) error { // a replace by _id can be repeated
				_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.id}}, d.doc)
				return err
			}); err != nil {
				return fmt.Errorf("replace %v in %s: %w", d.id, coll, err)
			}
			updated++
		}
	}
	s.st.update(coll, func(cs *CollStats) {
		cs.Unchanged += unchanged
		cs.Updated += updated
		cs.Inserted += inserted
	})
	return nil
}

// storedHashes reads _h and _run of the documents' stored versions in one
// pass: a find by {_id: {$in: keys}} (index lookups on MongoDB), or, when
// the keys are a large part of the collection, one scan of the whole
// collection projected on _id, _h and _run. FerretDB compares every
// document with every element of an $in array (5,000 keys over 20,000
// documents: 12 s, where a scan takes 3 s), so reloads take the scan.
func storedHashes(ctx context.Context, c *mongo.Collection, docs []pendRef) (map[string]stored, error) {
	want := make(map[string]bool, len(docs))
	ids := make(bson.A, len(docs))
	for i, d := range docs {
		ids[i] = d.id
		want[keyOf(d.id)] = true
	}
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	if n, err := c.EstimatedDocumentCount(ctx); err == nil && int64(len(docs))*4 >= n {
		filter = bson.D{}
	}
	cur, err := c.Find(ctx, filter,
		options.Find().SetProjection(bson.D{{Key: HashField, Value: 1}, {Key: RunField, Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	have := make(map[string]stored, len(docs))
	for cur.Next(ctx) {
		raw := cur.Current
		id := raw.Lookup("_id")
		k := string(rune(id.Type)) + string(id.Value)
		if !want[k] {
			continue
		}
		h, _ := raw.Lookup(HashField).StringValueOK()
		r, _ := raw.Lookup(RunField).StringValueOK()
		have[k] = stored{hash: h, run: r}
	}
	return have, cur.Err()
}

// retry runs a MongoDB operation under citadel's one retry policy
// (mongoconn.DefaultRetry: transient errors only, backoff with jitter).
func retry(ctx context.Context, op func(attempt int) error) error {
	return mongoconn.DefaultRetry().Do(ctx, op)
}

// keyOf is the map key of an _id value: its BSON type and bytes.
func keyOf(id any) string {
	t, b, err := bson.MarshalValue(id)
	if err != nil {
		return fmt.Sprint(id)
	}
	return string(rune(t)) + string(b)
}

// rejectWritten rejects a document the server refused or a duplicate key:
// counted as rejected instead of as a document, and recorded at once.
func (s *Sink) rejectWritten(ctx context.Context, coll string, d pending, reason, detail string) error {
	s.st.update(coll, func(cs *CollStats) { cs.Docs-- })
	r := Reject{Loc: d.src, Reason: reason, Detail: detail}
	s.st.reject(coll, r)
	return s.writeRejects(ctx, coll, []bson.D{s.rejectDoc(coll, r)})
}
