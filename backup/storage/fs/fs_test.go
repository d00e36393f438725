package fs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// TestTempFilesInvisible: a put killed before its rename leaves only a
// temporary file, which no listing shows.
func TestTempFilesInvisible(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rs"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rs", ".manifest.json.citadel-tmp-1234"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err := storage.Collect(context.Background(), s, "")
	if err != nil || len(infos) != 0 {
		t.Fatalf("listing shows %v (%v)", infos, err)
	}
	tmp, err := s.TempFiles(context.Background())
	if err != nil || len(tmp) != 1 || !strings.HasSuffix(tmp[0], "citadel-tmp-1234") {
		t.Fatalf("temp files %v (%v)", tmp, err)
	}
}
