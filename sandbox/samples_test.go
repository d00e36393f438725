package sandbox

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// fixtureOf maps a sample to the fixture it copies.
var fixtureOf = map[string]string{
	"airbnb":  "../ingest/airbnb/testdata",
	"dvf":     "../ingest/dvf/testdata",
	"edstats": "../ingest/edstats/testdata/edstats",
	"weather": "../ingest/weather/testdata",
}

// TestSamplesMatchFixtures keeps the embedded samples byte-identical to
// the loaders' committed fixtures they copy.
func TestSamplesMatchFixtures(t *testing.T) {
	n := 0
	err := fs.WalkDir(samples, "samples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel("samples", filepath.FromSlash(path))
		ds, name := filepath.Dir(rel), filepath.Base(rel)
		dir, ok := fixtureOf[ds]
		if !ok {
			t.Errorf("%s: no fixture directory known for %s", path, ds)
			return nil
		}
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		got, _ := samples.ReadFile(path)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s: copy the fixture again", path, filepath.Join(dir, name))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d embedded samples", n)
	}
}

// TestLoadersCoverEveryDataset writes the samples and builds every
// dataset's loaders from them (no server needed).
func TestLoadersCoverEveryDataset(t *testing.T) {
	dir := t.TempDir()
	if err := writeSamples(dir); err != nil {
		t.Fatal(err)
	}
	ls, err := loaders(dir, []byte("sandbox test pseudonym key 0123"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range Datasets {
		if len(ls[ds]) == 0 {
			t.Errorf("no loader for %s", ds)
		}
		for _, l := range ls[ds] {
			if l.Dataset() != ds {
				t.Errorf("loader of %s says %s", ds, l.Dataset())
			}
			for _, f := range l.Files() {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("%s: %v", ds, err)
				}
			}
		}
	}
}
