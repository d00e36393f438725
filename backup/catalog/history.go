package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/storage"
)

// HistoryResult says what CopyHistory did.
type HistoryResult struct {
	Slices        int   `json:"slices"`         // slices copied now
	SlicesPresent int   `json:"slices_present"` // slices the target already had
	Gaps          int   `json:"gaps"`           // gap records copied now
	Bytes         int64 `json:"bytes"`
}

// CopyHistory copies a replica set's PITR history — the committed oplog
// slices and the gap records — that the target lacks, incrementally: a
// slice already committed there is skipped. Each slice object is copied
// and checked on arrival against its record's size and SHA-256, then its
// record is written, last, as when it was archived; so losing the source's
// site loses no point-in-time history the copy had reached.
func CopyHistory(ctx context.Context, src storage.Storage, to archive.Destination, rs string, opts CopyOptions) (HistoryResult, error) {
	var res HistoryResult
	have, _, err := Slices(ctx, to.Storage, rs)
	if err != nil {
		return res, fmt.Errorf("list the oplog slices in %s: %w", to.Storage, err)
	}
	present := map[string]bool{}
	for _, s := range have {
		present[strings.TrimPrefix(s.Record, layout.PITRPrefix(rs))] = true
	}
	all, _, err := Slices(ctx, src, rs)
	if err != nil {
		return res, err
	}
	for _, se := range all {
		name := layout.SliceRecordName(se.After, se.Upper)
		if present[name] {
			res.SlicesPresent++
			continue
		}
		if err := copySlice(ctx, src, to, se, opts); err != nil {
			return res, fmt.Errorf("copy oplog slice %s of %s to %s: %w", name, rs, to.Storage, err)
		}
		res.Slices++
		for _, o := range se.Objects {
			res.Bytes += o.Size
		}
	}
	n, err := copyGaps(ctx, src, to, rs)
	res.Gaps = n
	return res, err
}

// copySlice copies one slice: its data object, checked, then its record.
func copySlice(ctx context.Context, src storage.Storage, to archive.Destination, se SliceEntry, opts CopyOptions) error {
	s, err := LoadSlice(ctx, src, se.Record)
	if err != nil {
		return err
	}
	key := layout.PITRPrefix(s.ReplicaSet) + s.Object.Key
	if err := copyObject(ctx, src, to, key, s.Object); err != nil {
		return err
	}
	b, err := storage.ReadAll(ctx, src, se.Record)
	if err != nil {
		return err
	}
	if _, err := storage.PutBytes(ctx, to.Storage, se.Record, b, to.Put()); err != nil {
		return fmt.Errorf("write slice record: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(key, s.Object.Size)
	}
	return nil
}

// copyGaps copies the gap records the target lacks: a copy that holds a
// chain must also say where it breaks.
func copyGaps(ctx context.Context, src storage.Storage, to archive.Destination, rs string) (int, error) {
	gaps, err := Gaps(ctx, src, rs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gaps {
		if _, err := to.Storage.Stat(ctx, g.Key); err == nil {
			continue
		}
		b, err := g.Gap.Marshal()
		if err != nil {
			return n, err
		}
		if _, err := storage.PutBytes(ctx, to.Storage, g.Key, b, to.Put()); err != nil {
			return n, fmt.Errorf("copy gap record %s: %w", g.Key, err)
		}
		n++
	}
	return n, nil
}
