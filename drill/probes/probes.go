// Package probes records the datasets' canned answers (the probes of
// `citadel report`) in a backup's manifest and compares them with the
// answers of a restored copy. A backup job calls Record over the member it
// read, before the manifest is written; a drill calls Ask over the scratch
// target and Compare. ../DESIGN.md says at which point the recorded
// answers hold and when a drill cannot compare them.
package probes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/catalog"
)

// KeepRows is the largest answer (its canonical JSON, in bytes) whose
// table is kept in the manifest; a larger one keeps only its SHA-256, so a
// drill can say that it changed but not show it.
const KeepRows = 16 << 10

// Match is a database of the backup that holds a dataset's collections.
type Match struct {
	Dataset  catalog.Dataset
	Database string
	// Collections are the dataset's collections the backup holds there.
	Collections []string
}

// Find lists the (dataset, database) pairs of a backup: every database
// holding at least one of a dataset's collections (as `citadel report`
// requires), system databases left out.
func Find(m *manifest.Manifest) []Match {
	var out []Match
	for _, ds := range catalog.All() {
		byDB := map[string][]string{}
		var dbs []string
		for _, c := range m.Collections {
			if c.Type != "collection" || system(c.DB) || !slices.Contains(ds.Collections, c.Name) {
				continue
			}
			if _, ok := byDB[c.DB]; !ok {
				dbs = append(dbs, c.DB)
			}
			byDB[c.DB] = append(byDB[c.DB], c.Name)
		}
		slices.Sort(dbs)
		for _, db := range dbs {
			out = append(out, Match{Dataset: ds, Database: db, Collections: byDB[db]})
		}
	}
	return out
}

func system(db string) bool { return db == "admin" || db == "local" || db == "config" }

// Touches reports whether an oplog entry (its op, ns and o) may change
// the match's answers: a write to one of its collections, or a command
// on its database that creates, drops, renames or alters one of them, or
// drops the database. A command it cannot read the target of (applyOps,
// a transaction's commit) counts as touching: unsure is not unchanged.
func (m Match) Touches(op, ns string, o bson.Raw) bool {
	db, coll, _ := strings.Cut(ns, ".")
	if db != m.Database {
		return false
	}
	switch op {
	case "n":
		return false
	case "c":
		return m.commandTouches(o)
	}
	return slices.Contains(m.Collections, coll)
}

func (m Match) commandTouches(o bson.Raw) bool {
	elems, err := o.Elements()
	if err != nil || len(elems) == 0 {
		return true
	}
	ours := func(v bson.RawValue, full bool) bool {
		s, ok := v.StringValueOK()
		if !ok {
			return true
		}
		if full {
			db, c, _ := strings.Cut(s, ".")
			return db == m.Database && slices.Contains(m.Collections, c)
		}
		return slices.Contains(m.Collections, s)
	}
	switch elems[0].Key() {
	case "create", "drop", "collMod", "createIndexes", "dropIndexes", "deleteIndexes":
		return ours(elems[0].Value(), false)
	case "renameCollection":
		return ours(elems[0].Value(), true) || ours(o.Lookup("to"), true)
	}
	return true
}

// Ask answers the dataset's probes, with their default arguments, over db
// as a manifest records them.
func Ask(ctx context.Context, db *mongo.Database, ds catalog.Dataset) ([]manifest.ProbeAnswer, error) {
	args, err := ingest.ArgsFor(ctx, ds.Probes, ingest.ProbeArgs{})
	if err != nil {
		return nil, fmt.Errorf("probes of %s: %w", ds.Name, err)
	}
	answers, err := ingest.Ask(ctx, db, ds.Probes, args)
	if err != nil {
		return nil, fmt.Errorf("probe %s/%w", ds.Name, err)
	}
	out := make([]manifest.ProbeAnswer, 0, len(answers))
	for _, a := range answers {
		pa, err := record(a)
		if err != nil {
			return nil, err
		}
		out = append(out, pa)
	}
	return out, nil
}

// record turns one answer into what the manifest keeps.
func record(a ingest.Answer) (manifest.ProbeAnswer, error) {
	var cols []string
	var rows [][]any
	if a.Table != nil {
		cols, rows = a.Columns, a.Rows
	}
	canon, err := manifest.CanonicalTable(cols, rows)
	if err != nil {
		return manifest.ProbeAnswer{}, fmt.Errorf("probe %s: %w", a.Name, err)
	}
	sum := sha256.Sum256(canon)
	pa := manifest.ProbeAnswer{Name: a.Name, Columns: cols, SHA256: hex.EncodeToString(sum[:])}
	if cols == nil {
		pa.Columns = []string{}
	}
	if len(canon) <= KeepRows {
		pa.Rows = rows
	}
	return pa, nil
}

// Compare names every probe whose answer differs from the one recorded:
// its name, the answer expected and the one got (each shortened; only
// their digests without reveal: a reason lands in the drill's report,
// which is not encrypted), or that it is missing on one side.
func Compare(dataset, database string, want, got []manifest.ProbeAnswer, reveal bool) []string {
	var out []string
	for _, w := range want {
		i := slices.IndexFunc(got, func(g manifest.ProbeAnswer) bool { return g.Name == w.Name })
		if i < 0 {
			out = append(out, fmt.Sprintf("probe %s/%s over %s: recorded at backup time, not answered by this citadel", dataset, w.Name, database))
			continue
		}
		g := got[i]
		if g.SHA256 == w.SHA256 {
			continue
		}
		if !reveal {
			w.Rows, g.Rows = nil, nil
		}
		out = append(out, fmt.Sprintf("probe %s/%s over %s: the answer changed: expected %s, got %s", dataset, w.Name, database, show(w), show(g)))
	}
	return out
}

// show prints an answer for a reason, at most 300 characters.
func show(a manifest.ProbeAnswer) string {
	if a.Rows == nil && len(a.Columns) > 0 {
		return "a table of sha256 " + a.SHA256[:12] + "… (not shown: too large to keep, or the backup is encrypted)"
	}
	b, err := manifest.CanonicalTable(a.Columns, a.Rows)
	if err != nil {
		return "sha256 " + a.SHA256[:12] + "…"
	}
	if s := string(b); len(s) > 300 {
		return s[:300] + "…"
	}
	return string(b)
}

// Took rounds a probe pass's duration for the manifest.
func Took(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }
