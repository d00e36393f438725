package catalog_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage/fs"
)

// writeSlice archives n fake oplog entries after `after` as one slice.
func writeSlice(t *testing.T, d archive.Destination, rs string, after manifest.Timestamp, n int) manifest.Timestamp {
	t.Helper()
	ctx := context.Background()
	upper := manifest.Timestamp{T: after.T + uint32(n), I: 1}
	s := &manifest.Slice{ReplicaSet: rs, After: after, Upper: upper, Entries: int64(n)}
	obj, err := d.SliceObject(ctx, rs, after, upper, func(w io.Writer) error {
		for i := 1; i <= n; i++ {
			ts := bson.Timestamp{T: after.T + uint32(i), I: 1}
			doc, _ := bson.Marshal(bson.D{{Key: "ts", Value: ts}, {Key: "op", Value: "n"}, {Key: "o", Value: bson.D{}}})
			if _, err := w.Write(doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.First = manifest.OpTime{TS: manifest.Timestamp{T: after.T + 1, I: 1}, Wall: time.Now()}
	s.Last = manifest.OpTime{TS: upper, Wall: time.Now()}
	s.Object = obj
	if err := d.CommitSlice(ctx, s); err != nil {
		t.Fatal(err)
	}
	return upper
}

// Copies carry the PITR history: slices and gap records, incrementally,
// each slice checked on arrival (issue 10, defect 2).
func TestCopyHistoryIncremental(t *testing.T) {
	ctx := context.Background()
	srcDir, dstDir := t.TempDir(), t.TempDir()
	src, _ := fs.Create(srcDir)
	dst, _ := fs.Create(dstDir)
	from, to := archive.Destination{Storage: src}, archive.Destination{Storage: dst}
	pos := manifest.Timestamp{T: 1000, I: 1}
	for range 3 {
		pos = writeSlice(t, from, "main", pos, 5)
	}
	gap := &manifest.Gap{ReplicaSet: "main", After: pos, Before: manifest.Timestamp{T: pos.T + 100, I: 1}, Detected: time.Now().UTC(), Reason: "rolled over"}
	if err := from.RecordGap(ctx, gap); err != nil {
		t.Fatal(err)
	}
	res, err := catalog.CopyHistory(ctx, src, to, "main", catalog.CopyOptions{})
	if err != nil || res.Slices != 3 || res.SlicesPresent != 0 || res.Gaps != 1 {
		t.Fatalf("first copy: %+v, %v", res, err)
	}
	got, _, _ := catalog.Slices(ctx, dst, "main")
	gaps, _ := catalog.Gaps(ctx, dst, "main")
	if len(got) != 3 || len(gaps) != 1 || gaps[0].Gap.Before != gap.Before {
		t.Fatalf("target holds %d slices and gaps %+v", len(got), gaps)
	}
	writeSlice(t, from, "main", gap.Before, 2)
	res, err = catalog.CopyHistory(ctx, src, to, "main", catalog.CopyOptions{})
	if err != nil || res.Slices != 1 || res.SlicesPresent != 3 || res.Gaps != 0 {
		t.Fatalf("catch-up copy: %+v, %v (want only the new slice)", res, err)
	}

	// A damaged source slice is refused, and its record never lands.
	pos = writeSlice(t, from, "main", manifest.Timestamp{T: 5000, I: 1}, 3)
	sl, _, _ := catalog.Slices(ctx, src, "main")
	var victim string
	for _, se := range sl {
		if se.Upper == pos {
			for _, o := range se.Objects {
				if !strings.HasSuffix(o.Key, ".json") {
					victim = o.Key
				}
			}
		}
	}
	p := filepath.Join(srcDir, filepath.FromSlash(victim))
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0x01 // same size, one bit flipped
	os.WriteFile(p, b, 0o600)
	if _, err := catalog.CopyHistory(ctx, src, to, "main", catalog.CopyOptions{}); err == nil {
		t.Fatal("a damaged slice was copied")
	}
	if _, err := dst.Stat(ctx, layout.PITRPrefix("main")+layout.SliceRecordName(manifest.Timestamp{T: 5000, I: 1}, pos)); err == nil {
		t.Fatal("the damaged slice's record reached the target")
	}
}
