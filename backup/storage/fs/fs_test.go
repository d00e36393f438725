package fs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/backup/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, storagetest.Options{LargeSize: 20 << 20})
}

// TestKilledPutLeftovers: a put killed before its rename leaves a
// temporary file, and a killed run an empty directory; no listing shows
// them, Leftovers names them (the temporary file by the key it was
// writing) and RemoveLeftover removes them with the directories they
// leave empty.
func TestKilledPutLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rs", "20260101T000000Z-dead", "app"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rs", "20260102T000000Z-dead"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rs", "20260101T000000Z-dead", "app", ".c.bson.zst.citadel-tmp-1a2b3c4d5678"), []byte("{partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err := storage.Collect(ctx, s, "")
	if err != nil || len(infos) != 0 {
		t.Fatalf("listing shows %v (%v)", infos, err)
	}
	var got []storage.Leftover
	for l, err := range s.Leftovers(ctx, "rs/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	if len(got) != 2 || got[0].Key != "rs/20260101T000000Z-dead/app/c.bson.zst" || got[0].Size != 8 ||
		got[1].Key != "rs/20260102T000000Z-dead/" || got[1].Size != 0 || got[1].Modified.IsZero() {
		t.Fatalf("leftovers %+v", got)
	}
	for _, l := range got {
		if err := s.RemoveLeftover(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("after removing the leftovers the root holds %v (%v)", entries, err)
	}
	if err := s.RemoveLeftover(ctx, storage.Leftover{Key: "rs/x", Ref: "rs/x"}); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("RemoveLeftover of an object's file: %v, want ErrInvalidKey", err)
	}
}
