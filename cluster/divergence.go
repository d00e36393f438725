package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxRollbackScan bounds the oplog entries read backwards on a returning
// member while looking for the point it shares with the primary.
const maxRollbackScan = 10000

// idsPerQuery bounds the _ids of one batched read of a collection.
const idsPerQuery = 1000

// examination is what rejoin learned about one returning member: its
// rollback report, and per namespace the documents it will roll back.
type examination struct {
	report    RollbackReport
	divergent []OplogEntry          // newest first
	docs      map[string][]bson.Raw // namespace → the documents, as the member holds them
	from      string                // where they were read: "collections" or "oplog"
}

func (x *examination) saved() int {
	n := 0
	for _, d := range x.docs {
		n += len(d)
	}
	return n
}

// unexamined marks what the member will roll back as not known in full.
func (x *examination) unexamined(why string) {
	x.report.Unexamined = true
	if x.report.Why != "" {
		why = x.report.Why + "; " + why
	}
	x.report.Why = why
}

// examineAll examines each member desired adds back; with readDocs it also
// reads the documents their divergent writes leave: of every member, or,
// unless evenUnexamined (--accept-unexamined: save what can be saved),
// only of those examined in full.
func (m *Manager) examineAll(ctx context.Context, st *State, desired *Config, readDocs, evenUnexamined bool) []*examination {
	var out []*examination
	for _, mc := range desired.Members {
		if st.Config.Member(mc.Host) != nil {
			continue
		}
		x := m.examine(ctx, mc.Host, st.Primary)
		if readDocs && (evenUnexamined || !x.report.Unexamined) {
			m.readLost(ctx, x)
		}
		out = append(out, x)
	}
	return out
}

// examine walks host's oplog backwards until an entry the primary holds.
func (m *Manager) examine(ctx context.Context, host, primary string) *examination {
	w, err := m.walk(ctx, host, primary)
	x := &examination{report: SummarizeRollback(host, w.divergent, w.common, w.truncated), divergent: w.divergent}
	switch {
	case err != nil:
		m.log.Warn("read the returning member's oplog", "host", host, "err", err)
		x.unexamined("its oplog could not be read: " + shortError(err))
	case w.truncated:
		x.unexamined(fmt.Sprintf("more than %d of its oplog entries are not on the primary", maxRollbackScan))
	case !w.found:
		x.unexamined("the point it shares with the primary is not found: " + w.why + "; mongod cannot roll it back and will resync it, dropping its data")
	}
	return x
}

// walked is the result of walking one member's oplog backwards.
type walked struct {
	divergent []OplogEntry // newest first
	common    OpTime
	found     bool // the common point was found, or the oplog is empty
	truncated bool
	why       string // why no common point was found
}

func (m *Manager) walk(ctx context.Context, host, primary string) (walked, error) {
	var w walked
	c, err := m.dial.Member(host)
	if err != nil {
		return w, err
	}
	// Below the primary's oldest entry nothing can be found there.
	oldest, err := m.dial.oplogEnd(ctx, primary, false)
	if err != nil {
		return w, fmt.Errorf("read the oplog of the primary %s: %w", primary, err)
	}
	opts := options.Find().SetSort(bson.D{{Key: "$natural", Value: -1}}).SetBatchSize(500)
	cur, err := c.Database("local").Collection("oplog.rs").Find(ctx, bson.D{}, opts)
	if err != nil {
		return w, fmt.Errorf("read oplog of %s: %w", host, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	read := 0
	for ; cur.Next(ctx); read++ {
		var raw rawEntry
		if err := cur.Decode(&raw); err != nil {
			return w, fmt.Errorf("decode oplog entry of %s: %w", host, err)
		}
		if raw.TS.Before(oldest.TS.TS) {
			w.why = "the primary's oplog no longer reaches back to the point they share"
			return w, nil
		}
		has, err := m.primaryHas(ctx, primary, OpTime{TS: raw.TS, Term: raw.T})
		if err != nil {
			return w, err
		}
		if has {
			w.common, w.found = OpTime{TS: raw.TS, Term: raw.T}, true
			return w, nil
		}
		if w.divergent = append(w.divergent, raw.writes()...); len(w.divergent) >= maxRollbackScan {
			w.truncated = true
			return w, nil
		}
	}
	// An empty oplog (a member wiped and restarted) holds nothing to roll back.
	w.found, w.why = read == 0, "its own oplog no longer reaches back to the point they share"
	return w, cur.Err()
}

func (m *Manager) primaryHas(ctx context.Context, primary string, at OpTime) (bool, error) {
	c, err := m.dial.Member(primary)
	if err != nil {
		return false, err
	}
	err = c.Database("local").Collection("oplog.rs").FindOne(ctx, bson.D{{Key: "ts", Value: at.TS}, {Key: "t", Value: at.Term}}).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	}
	return false, fmt.Errorf("look up %v in the oplog of %s: %w", at.TS, primary, err)
}

// readLost reads the documents the member's divergent writes leave, per
// collection in one batched query by _id (chunks of idsPerQuery): the
// versions the member holds, which mongod takes back. A member that
// refuses reads outside the local database (mongod's REMOVED, RECOVERING,
// …: NotPrimaryOrSecondary) is read from its own oplog instead: an insert
// and an update logged as a replacement hold the whole document; an
// update logged as a diff does not, and leaves the member unexamined.
func (m *Manager) readLost(ctx context.Context, x *examination) {
	host := x.report.Host
	lost := lostDocuments(x.divergent)
	x.docs, x.from = map[string][]bson.Raw{}, "collections"
	for _, ns := range slices.Sorted(maps.Keys(lost)) {
		docs := held(lost[ns])
		if len(docs) == 0 {
			continue
		}
		got, err := m.readByID(ctx, host, ns, docs)
		switch {
		case err == nil:
			x.docs[ns] = got
		case notReadable(err):
			x.from = "oplog"
			var unknown int
			for _, d := range docs {
				if d.image == nil {
					unknown++
					continue
				}
				x.docs[ns] = append(x.docs[ns], d.image)
			}
			if unknown > 0 {
				x.unexamined(fmt.Sprintf("%d updated document(s) of %s: the member refuses reads outside local (%s) and its oplog holds only their changes", unknown, ns, shortError(err)))
			}
		default:
			x.unexamined(fmt.Sprintf("read %s: %s", ns, shortError(err)))
		}
	}
}

// readByID reads the documents of ns with the _ids of docs from host, in
// the order of docs; documents it no longer holds are left out.
func (m *Manager) readByID(ctx context.Context, host, ns string, docs []lostDoc) ([]bson.Raw, error) {
	db, coll, ok := strings.Cut(ns, ".")
	if !ok {
		return nil, fmt.Errorf("namespace %q has no collection", ns)
	}
	c, err := m.dial.Member(host)
	if err != nil {
		return nil, err
	}
	found := map[string]bson.Raw{}
	for chunk := range slices.Chunk(docs, idsPerQuery) {
		ids := make(bson.A, len(chunk))
		for i, d := range chunk {
			ids[i] = d.id
		}
		cur, err := c.Database(db).Collection(coll).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
		if err != nil {
			return nil, fmt.Errorf("read %s on %s: %w", ns, host, err)
		}
		for cur.Next(ctx) {
			found[idKey(cur.Current.Lookup("_id"))] = clone(cur.Current)
		}
		err = cur.Err()
		cur.Close(context.WithoutCancel(ctx))
		if err != nil {
			return nil, fmt.Errorf("read %s on %s: %w", ns, host, err)
		}
	}
	var out []bson.Raw
	for _, d := range docs {
		if doc, ok := found[idKey(d.id)]; ok {
			out = append(out, doc)
		}
	}
	return out, nil
}

// notReadable reports the refusal of a member that serves only the local
// database in its state.
func notReadable(err error) bool {
	return hasCode(err, 13436) || hasCode(err, 13435)
}
