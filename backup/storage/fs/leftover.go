package fs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/noscites/citadel/backup/storage"
)

// Leftovers yields the temporary files of puts that never renamed them
// (named ".<name>.citadel-tmp-<random>" next to the object they were
// writing, whose key they report) and the empty directories a killed run
// made, under prefix.
func (s *Storage) Leftovers(ctx context.Context, prefix string) iter.Seq2[storage.Leftover, error] {
	return storage.Collected(prefix, func() ([]storage.Leftover, error) { return s.leftovers(ctx, prefix) })
}

func (s *Storage) leftovers(ctx context.Context, prefix string) ([]storage.Leftover, error) {
	var out []storage.Leftover
	err := s.walkPrefix(ctx, prefix, func(p string, d fs.DirEntry) error {
		l, ok, err := s.leftover(p, d)
		if err != nil || !ok || !strings.HasPrefix(l.Key, prefix) {
			return err
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list leftovers under %s: %w", storage.Where(s, prefix), err)
	}
	slices.SortFunc(out, func(a, b storage.Leftover) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// leftover describes p when it is a temporary file or an empty directory
// below the root.
func (s *Storage) leftover(p string, d fs.DirEntry) (storage.Leftover, bool, error) {
	rel, err := filepath.Rel(s.root, p)
	if err != nil || rel == "." {
		return storage.Leftover{}, false, err
	}
	rel = filepath.ToSlash(rel)
	var key string
	switch {
	case d.IsDir():
		entries, err := os.ReadDir(p)
		if err != nil || len(entries) > 0 {
			return storage.Leftover{}, false, ignoreGone(err)
		}
		key = rel + "/"
	case strings.Contains(d.Name(), tempMarker):
		name, _, _ := strings.Cut(strings.TrimPrefix(d.Name(), "."), tempMarker)
		key = strings.TrimSuffix(rel, d.Name()) + name
	default:
		return storage.Leftover{}, false, nil
	}
	info, err := d.Info()
	if err != nil {
		return storage.Leftover{}, false, ignoreGone(err)
	}
	l := storage.Leftover{Key: key, Modified: info.ModTime(), Ref: rel}
	if !d.IsDir() {
		l.Size = info.Size()
	}
	return l, true, nil
}

// ignoreGone: a file removed while listing is not an error.
func ignoreGone(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// RemoveLeftover removes the temporary file or the empty directory, then
// the directories that leaves empty.
func (s *Storage) RemoveLeftover(ctx context.Context, l storage.Leftover) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := strings.TrimSuffix(l.Ref, "/")
	if err := storage.CheckKey(name); err != nil {
		return fmt.Errorf("remove leftover %q: %w", l.Ref, err)
	}
	p := filepath.Join(s.root, filepath.FromSlash(name))
	if !strings.HasSuffix(l.Key, "/") && !strings.Contains(filepath.Base(p), tempMarker) {
		return fmt.Errorf("remove leftover %q: %w: not a temporary file", l.Ref, storage.ErrInvalidKey)
	}
	err := os.Remove(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST):
		return nil // a directory that is no longer empty is no longer a leftover
	case err != nil:
		return fmt.Errorf("remove leftover %s: %w", storage.Where(s, l.Ref), err)
	}
	s.removeEmptyDirs(filepath.Dir(p))
	return nil
}
