package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/config"
)

// RollbackFormat is the version of the rollback index this code writes.
const RollbackFormat = 1

// RollbackIndexName is the file, written last, that describes one
// rejoin's saved documents (like a backup's manifest).
const RollbackIndexName = "index.json"

// RollbackIndex describes the documents one rejoin saved under
// <rs>/rollback/<time>/: per returning member, per collection, a BSON file
// of concatenated documents encoded like a backup's collection objects
// (zstd, then age when the backup is encrypted).
type RollbackIndex struct {
	Format      int                  `json:"format"`
	ReplicaSet  string               `json:"replica_set"`
	Site        string               `json:"site"`
	Primary     string               `json:"primary"`
	Saved       time.Time            `json:"saved"`
	Compression manifest.Compression `json:"compression"`
	Encryption  *manifest.Encryption `json:"encryption,omitempty"`
	Members     []RollbackMember     `json:"members"`
}

// RollbackMember is what was saved of one returning member.
type RollbackMember struct {
	Host        string `json:"host"`
	CommonPoint OpTime `json:"common_point"`
	// ReadFrom says where the documents were read: "collections" (by _id
	// from the member) or "oplog" (the whole documents its oplog entries
	// hold, when the member refuses other reads, as a REMOVED one does).
	ReadFrom    string               `json:"read_from"`
	Unexamined  string               `json:"unexamined,omitempty"`
	Collections []RollbackCollection `json:"collections"`
}

// RollbackCollection is one saved collection of one member.
type RollbackCollection struct {
	DB        string          `json:"db"`
	Name      string          `json:"name"`
	Documents int             `json:"documents"`
	Data      manifest.Object `json:"data"` // key relative to the rollback directory
}

// RollbackDir is the directory of one rejoin's saved documents.
func RollbackDir(rs string, at time.Time) string { return layout.RollbackPrefix(rs, at) }

// RollbackStore is where rejoin keeps the documents returning members will
// roll back, in the backup's own format: the destination of the set's
// backup configuration (its storage, codec and object lock), falling back
// to a directory on this machine (same codec) when that storage cannot be
// written.
type RollbackStore struct {
	backup         *config.Backup  // nil: no backup of the set (zstd, no encryption)
	primary, local *config.Storage // nil: none
	log            *slog.Logger
	now            func() time.Time
}

// RollbackStoreFor is where rejoin saves rs's rolled-back documents: the
// storage of the set's first backups[] entry with that backup's codec,
// else the file's first storage (zstd), with dir as the fallback ("" none).
func RollbackStoreFor(cfg *config.Config, rs, dir string, log *slog.Logger) *RollbackStore {
	s := &RollbackStore{log: log, now: time.Now}
	for i := range cfg.Backups {
		if cfg.Backups[i].ReplicaSet == rs {
			s.backup = &cfg.Backups[i]
			break
		}
	}
	s.primary = siteStorage(cfg, "")
	if s.backup != nil {
		s.primary = cfg.Storage(s.backup.Storage)
	}
	if dir != "" {
		s.local = &config.Storage{Name: "--save-dir", Filesystem: &config.Filesystem{Path: dir}}
	}
	return s
}

func (s *RollbackStore) open(sc *config.Storage) (archive.Destination, error) {
	d, err := backup.Destination(s.backup, sc)
	if err != nil {
		return d, fmt.Errorf("storage %s: %w", sc.Name, err)
	}
	if s.backup == nil {
		d.Codec = stream.Codec{Compression: stream.Zstd}
	}
	return d, nil
}

// save writes the examined members' documents and the index into the
// first storage that takes them; it returns where ("" when there was
// nothing to save).
func (s *RollbackStore) save(ctx context.Context, rep *RejoinReport, exams []*examination) (string, error) {
	n := 0
	for _, x := range exams {
		n += x.saved()
	}
	if n == 0 {
		return "", nil
	}
	if s == nil || s.primary == nil && s.local == nil {
		return "", errors.New("no storage is configured for them")
	}
	dir := RollbackDir(rep.Set, s.now())
	var errs []error
	for i, sc := range []*config.Storage{s.primary, s.local} {
		if sc == nil {
			continue
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if i == 0 && s.local != nil { // a disaster must not wait for a bucket
			wctx, cancel = context.WithTimeout(ctx, time.Duration(n/1000+1)*storageTimeout)
		}
		d, err := s.open(sc)
		where := ""
		if err == nil {
			where, err = s.write(wctx, d, dir, rep, exams)
		}
		cancel()
		if err == nil {
			return where, nil
		}
		s.log.Warn("saving the rolled-back documents failed", "storage", sc.Name, "err", err)
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// write stores each collection's documents, then the index (the commit
// marker: a directory without it is an interrupted save).
func (s *RollbackStore) write(ctx context.Context, d archive.Destination, dir string, rep *RejoinReport, exams []*examination) (string, error) {
	idx := RollbackIndex{Format: RollbackFormat, ReplicaSet: rep.Set, Site: rep.Site, Primary: rep.Primary, Saved: s.now().UTC(),
		Compression: manifest.Compression{Algorithm: d.Codec.Compression, Level: d.Codec.Level}}
	if d.Codec.Encrypted() {
		idx.Encryption = &manifest.Encryption{Scheme: "age", Recipients: d.Recipients}
	}
	for _, x := range exams {
		rm := RollbackMember{Host: x.report.Host, CommonPoint: x.report.CommonTS, ReadFrom: x.from, Unexamined: x.report.Why, Collections: []RollbackCollection{}}
		for _, ns := range slices.Sorted(maps.Keys(x.docs)) {
			rc, err := writeDocs(ctx, d, dir, x.report.Host, ns, x.docs[ns])
			if err != nil {
				return "", err
			}
			rm.Collections = append(rm.Collections, rc)
		}
		idx.Members = append(idx.Members, rm)
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode rollback index: %w", err)
	}
	if _, err := storage.PutBytes(ctx, d.Storage, dir+RollbackIndexName, append(b, '\n'), d.Put()); err != nil {
		return "", fmt.Errorf("write rollback index: %w", err)
	}
	return storage.Where(d.Storage, dir), nil
}

// writeDocs stores one collection's documents as a backup stores a
// collection: concatenated BSON, compressed, encrypted when the backup is.
func writeDocs(ctx context.Context, d archive.Destination, dir, host, ns string, docs []bson.Raw) (RollbackCollection, error) {
	db, coll, _ := strings.Cut(ns, ".")
	key := layout.Escape(host) + "/" + layout.DataKey(db, coll, d.Codec.Suffix(true))
	stats, err := stream.Upload(ctx, d.Storage, dir+key, d.Codec, true, d.Put(), func(w io.Writer) error {
		for _, doc := range docs {
			if _, err := w.Write(doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RollbackCollection{}, fmt.Errorf("save the rolled-back documents of %s from %s: %w", ns, host, err)
	}
	return RollbackCollection{DB: db, Name: coll, Documents: len(docs), Data: manifest.Object{Key: key, Size: stats.StoredBytes,
		SHA256: stats.SHA256, Compressed: d.Codec.Compressed(), Encrypted: d.Codec.Encrypted()}}, nil
}
