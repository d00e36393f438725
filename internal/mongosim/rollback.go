package mongosim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/noscites/citadel/internal/mongosim/oplog"
	"github.com/noscites/citadel/internal/mongosim/replset"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type docKey struct {
	ns string
	id bson.RawValue
}

// rollback undoes this member's entries that its sync source does not
// have: it finds the common point, refetches every document those entries
// touched from the source (or deletes it when the source has none), saves
// the local versions under rollback/ as mongod does, and truncates its
// oplog to the common point. Replication then resumes from there.
func (m *Member) rollback(ctx context.Context, src *Member) error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	m.set.mu.Lock()
	if m.node().State == replset.Primary {
		m.set.mu.Unlock()
		return nil
	}
	m.set.rs.SetState(m.host, replset.Rollback)
	m.set.notifyLocked()
	common := m.log.Len() - 1
	for common >= 0 && !src.log.Contains(m.log.At(common).OpTime) {
		common--
	}
	var divergent []*oplog.Entry
	for i := common + 1; i < m.log.Len(); i++ {
		divergent = append(divergent, m.log.At(i))
	}
	m.set.mu.Unlock()
	m.lg.Info("rolling back", "source", src.host, "entries", len(divergent))
	if err := m.undo(ctx, src, divergent); err != nil {
		m.set.mu.Lock()
		m.set.rs.SetState(m.host, replset.Recovering)
		m.set.mu.Unlock()
		return err
	}
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	m.log.TruncateAfter(common)
	last := m.log.LastEntry()
	if last != nil {
		m.set.rs.SetApplied(m.host, last.OpTime, last.Wall)
	} else {
		m.set.rs.SetApplied(m.host, replset.OpTime{}, m.set.now())
	}
	m.rebuildSessionsLocked()
	m.set.rs.SetState(m.host, replset.Secondary)
	m.set.notifyLocked()
	return nil
}

func (m *Member) undo(ctx context.Context, src *Member, divergent []*oplog.Entry) error {
	seen := map[string]bool{}
	var keys []docKey
	var colls []string
	for _, e := range divergent {
		switch e.Op {
		case 'i', 'u', 'd':
			k := e.NS + "\x00" + string(e.ID.Value)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, docKey{ns: e.NS, id: e.ID})
			}
		case 'c':
			colls = append(colls, e.NS)
		}
	}
	var removed []bson.Raw
	for _, k := range keys {
		db, coll := splitNS(k.ns)
		local, err := m.findDocs(ctx, db, coll, byID(k.id), nil, 1)
		if err != nil {
			return err
		}
		removed = append(removed, local...)
		theirs, err := src.findDocs(ctx, db, coll, byID(k.id), nil, 1)
		if err != nil {
			return err
		}
		if len(theirs) == 1 {
			err = m.replaceDocs(ctx, db, coll, theirs)
		} else {
			_, err = m.run(ctx, db, bson.D{{Key: "delete", Value: coll}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: byID(k.id)}, {Key: "limit", Value: 1}}}}})
		}
		if err != nil {
			return err
		}
	}
	if len(colls) > 0 {
		m.lg.Warn("rollback of collection commands is not modelled; catalog left as is", "commands", len(colls))
	}
	return m.saveRollbackFile(removed)
}

// saveRollbackFile writes the rolled-back documents as BSON under
// rollback/, like mongod's rollback files.
func (m *Member) saveRollbackFile(docs []bson.Raw) error {
	if len(docs) == 0 {
		return nil
	}
	dir := filepath.Join(m.dir, "rollback")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("save rollback file: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("removed.%d.bson", m.set.now().UnixNano())))
	if err != nil {
		return fmt.Errorf("save rollback file: %w", err)
	}
	defer f.Close()
	for _, d := range docs {
		if _, err := f.Write(d); err != nil {
			return fmt.Errorf("save rollback file: %w", err)
		}
	}
	return nil
}
