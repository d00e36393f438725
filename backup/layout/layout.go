// Package layout names everything citadel stores, mirroring mongodump's
// directory layout under each backup:
//
//	<replica-set>/<backup-id>/manifest.json                 written last: the commit marker
//	<replica-set>/<backup-id>/<db>/<coll>.bson[.zst][.age]   documents, concatenated BSON
//	<replica-set>/<backup-id>/<db>/<coll>.metadata.json[.age] indexes and options (mongodump's shape)
//	<replica-set>/<backup-id>/oplog.bson[.zst][.age]         oplog entries between start and end
//	<replica-set>/pitr/<after>-<upper>.oplog.bson[.zst][.age] oplog entries with after < ts ≤ upper
//	<replica-set>/pitr/<after>-<upper>.json                   commits the slice
//	<replica-set>/pitr-gaps/<after>-<before>.json              a hole in the archive
//	<replica-set>/drills/<drill-run-id>.json                   a restore drill's report
//	<replica-set>/rollback/<time>/...                          what a rejoin rolled back (cluster)
//
// Keys are relative to the storage's own prefix.
package layout

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/manifest"
)

// Names of fixed files.
const (
	ManifestName = "manifest.json"
	OplogBase    = "oplog.bson"
	PITRDir      = "pitr"
	GapsDir      = "pitr-gaps"
	DrillsDir    = "drills"
	RollbackDir  = "rollback"
	idTime       = "20060102T150405Z"
)

// NewID returns a backup id: the UTC start time and 4 random hex digits,
// so ids sort by time and two runs in the same second do not collide.
func NewID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format(idTime) + "-" + hex.EncodeToString(b[:])
}

// IDTime is the start time encoded in an id.
func IDTime(id string) (time.Time, error) {
	if !manifest.ValidID(id) {
		return time.Time{}, fmt.Errorf("%q is not a backup id (like 20260102T030405Z-1a2b)", id)
	}
	return time.Parse(idTime, id[:len(idTime)])
}

// Dir is a backup's directory, with a trailing slash.
func Dir(rs, id string) string { return rs + "/" + id + "/" }

// ManifestKey is the key of a backup's manifest.
func ManifestKey(rs, id string) string { return Dir(rs, id) + ManifestName }

// Escape makes a database or collection name a single key segment the way
// mongodump names files: '%' and '/' are percent-encoded, and so are the
// dots of the names "." and "..".
func Escape(name string) string {
	name = strings.ReplaceAll(name, "%", "%25")
	name = strings.ReplaceAll(name, "/", "%2F")
	if name == "." || name == ".." {
		name = strings.ReplaceAll(name, ".", "%2E")
	}
	return name
}

// CollectionBase is "<db>/<collection>", escaped, relative to the backup dir.
func CollectionBase(db, coll string) string { return Escape(db) + "/" + Escape(coll) }

// DataKey is the relative key of a collection's documents.
func DataKey(db, coll, suffix string) string { return CollectionBase(db, coll) + ".bson" + suffix }

// MetadataKey is the relative key of a collection's metadata.
func MetadataKey(db, coll, suffix string) string {
	return CollectionBase(db, coll) + ".metadata.json" + suffix
}

// PITRPrefix is where a replica set's oplog slices live.
func PITRPrefix(rs string) string { return rs + "/" + PITRDir + "/" }

// SliceBase names a slice by the bounds of the timestamps it covers:
// after (exclusive) and upper (inclusive), both known before it is read.
func SliceBase(after, upper manifest.Timestamp) string { return after.String() + "-" + upper.String() }

// SliceObjectName is the slice's data file name (relative to PITRPrefix).
func SliceObjectName(after, upper manifest.Timestamp, suffix string) string {
	return SliceBase(after, upper) + ".oplog.bson" + suffix
}

// SliceRecordName is the slice's commit record name (relative to PITRPrefix).
func SliceRecordName(after, upper manifest.Timestamp) string {
	return SliceBase(after, upper) + ".json"
}

// ParseSliceRecordName reads the bounds from a record name; ok is false for
// any other file.
func ParseSliceRecordName(name string) (after, upper manifest.Timestamp, ok bool) {
	base, found := strings.CutSuffix(name, ".json")
	if !found {
		return after, upper, false
	}
	a, b, found := strings.Cut(base, "-")
	if !found {
		return after, upper, false
	}
	after, err1 := manifest.ParseTimestamp(a)
	upper, err2 := manifest.ParseTimestamp(b)
	if err1 != nil || err2 != nil || !after.Before(upper) {
		return manifest.Timestamp{}, manifest.Timestamp{}, false
	}
	return after, upper, true
}

// GapsPrefix is where a replica set's gap records live.
func GapsPrefix(rs string) string { return rs + "/" + GapsDir + "/" }

// GapKey is the key of the record of a gap between after and before.
func GapKey(rs string, after, before manifest.Timestamp) string {
	return GapsPrefix(rs) + SliceBase(after, before) + ".json"
}

// DrillsPrefix is where the reports of drills that restored a replica
// set's backups live: under the set, so the top level holds only replica
// sets (catalog.ReplicaSets) and the evidence sits next to the backups.
func DrillsPrefix(rs string) string { return rs + "/" + DrillsDir + "/" }

// DrillKey is the key of one drill run's report (ids shaped like backup ids).
func DrillKey(rs, id string) string { return DrillsPrefix(rs) + id + ".json" }

// RollbackPrefix is the directory of the documents one rejoin at the
// given time saved before the returning members rolled them back.
func RollbackPrefix(rs string, at time.Time) string {
	return rs + "/" + RollbackDir + "/" + at.UTC().Format(idTime) + "/"
}

// Skipped reports whether a namespace is left out of backups (and of
// replay) unless system collections are asked for: the local and config
// databases, admin's system collections, and system.profile /
// system.views anywhere (views are kept through their own metadata).
func Skipped(db, coll string, includeSystem bool) bool {
	if coll == "system.profile" || coll == "system.views" || strings.HasPrefix(coll, "system.buckets.") {
		return true
	}
	if includeSystem {
		return db == "local" // a member's own state: never restorable elsewhere
	}
	return db == "local" || db == "config" || db == "admin" && strings.HasPrefix(coll, "system.")
}

// Split reads "<rs>/<id>/<rest>" or "<rs>/pitr/<name>" from a key.
func Split(key string) (rs, dir, rest string, ok bool) {
	rs, after, ok1 := strings.Cut(key, "/")
	dir, rest, ok2 := strings.Cut(after, "/")
	if !ok1 || !ok2 || rs == "" || dir == "" || rest == "" {
		return "", "", "", false
	}
	return rs, dir, rest, true
}
