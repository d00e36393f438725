package archive

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// Destination is where and how backup objects are written: the storage,
// the codec with the text of its age recipients (for the records), and
// the object-lock policy. Built once per storage and passed everywhere an
// object is written: snapshots, PITR slices, gap records, copies.
type Destination struct {
	Storage    storage.Storage
	Codec      stream.Codec
	Recipients []string // text of Codec.Recipients, recorded in manifests and slice records
	// LockDays, when positive, locks each object for that many days from
	// its own put: a long-running archiver locks its slices from when they
	// are written, not from when it started.
	LockDays int
	// Now is the clock of the lock dates; nil is time.Now.
	Now func() time.Time
}

// Put returns the put options of an object written now.
func (d Destination) Put() storage.PutOptions {
	if d.LockDays <= 0 {
		return storage.PutOptions{}
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return storage.PutOptions{RetainUntil: now().AddDate(0, 0, d.LockDays).Truncate(time.Second)}
}

// String names the storage.
func (d Destination) String() string { return d.Storage.String() }

func (d Destination) encryption() *manifest.Encryption {
	if !d.Codec.Encrypted() {
		return nil
	}
	return &manifest.Encryption{Scheme: "age", Recipients: d.Recipients}
}

// upload streams an object encoded with the codec; threads > 1 lets the
// compressor use that many goroutines.
func (d Destination) upload(ctx context.Context, key string, compressible bool, threads int, fill func(io.Writer) error) (manifest.Object, error) {
	c := d.Codec
	c.Threads = threads
	stats, err := stream.Upload(ctx, d.Storage, key, c, compressible, d.Put(), fill)
	if err != nil {
		return manifest.Object{}, err
	}
	return manifest.Object{Size: stats.StoredBytes, SHA256: stats.SHA256,
		Compressed: compressible && d.Codec.Compressed(), Encrypted: d.Codec.Encrypted()}, nil
}

// SliceObject writes the data object of a PITR slice of rs whose name is
// fixed by after and upper (the bounds known before reading): fill writes
// the entries as concatenated BSON. Its record is written by CommitSlice.
func (d Destination) SliceObject(ctx context.Context, rs string, after, upper manifest.Timestamp, fill func(io.Writer) error) (manifest.Object, error) {
	name := layout.SliceObjectName(after, upper, d.Codec.Suffix(true))
	obj, err := d.upload(ctx, layout.PITRPrefix(rs)+name, true, 1, fill)
	if err != nil {
		return obj, fmt.Errorf("write oplog slice %s: %w", name, err)
	}
	obj.Key = name
	return obj, nil
}

// DeleteSliceObject removes a slice object that will not be committed.
func (d Destination) DeleteSliceObject(ctx context.Context, rs string, obj manifest.Object) error {
	return d.Storage.Delete(ctx, layout.PITRPrefix(rs)+obj.Key)
}

// CommitSlice completes a slice record (format, encryption, written time)
// and writes it: from then on the slice exists.
func (d Destination) CommitSlice(ctx context.Context, s *manifest.Slice) error {
	s.Format, s.Encryption = manifest.Format, d.encryption()
	if s.Written.IsZero() {
		s.Written = time.Now().UTC()
	}
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	key := layout.PITRPrefix(s.ReplicaSet) + layout.SliceRecordName(s.After, s.Upper)
	if _, err := storage.PutBytes(ctx, d.Storage, key, b, d.Put()); err != nil {
		return fmt.Errorf("commit oplog slice %s: %w", key, err)
	}
	return nil
}

// RecordGap writes the record of a hole in the archive.
func (d Destination) RecordGap(ctx context.Context, g *manifest.Gap) error {
	b, err := g.Marshal()
	if err != nil {
		return err
	}
	key := layout.GapKey(g.ReplicaSet, g.After, g.Before)
	if _, err := storage.PutBytes(ctx, d.Storage, key, b, d.Put()); err != nil {
		return fmt.Errorf("record oplog gap %s: %w", key, err)
	}
	return nil
}
