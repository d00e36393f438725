// Package fs is the filesystem backend of backup storage: objects are files
// under a root directory, keys map to relative paths, and every put writes a
// temporary file in the destination directory, syncs it and renames it into
// place, so a crash never leaves a partial object under a real key.
package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/noscites/citadel/backup/storage"
)

// tempMarker is part of every temporary file name; listings skip such files.
const tempMarker = ".citadel-tmp-"

// Storage keeps objects as files under Root.
type Storage struct {
	root string
}

var _ storage.Storage = (*Storage)(nil)

// New returns a storage rooted at dir, which must exist for reads.
func New(dir string) (*Storage, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open filesystem storage %s: %w", dir, err)
	}
	return &Storage{root: abs}, nil
}

// Create opens a filesystem storage for writing, creating its directory
// when missing. New never creates anything: a read of a mistyped path must
// fail, not find an empty storage.
func Create(dir string) (*Storage, error) {
	s, err := New(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.root, 0o750); err != nil {
		return nil, fmt.Errorf("create filesystem storage %s: %w", s.root, err)
	}
	return s, nil
}

// checkRoot fails when the storage's directory does not exist.
func (s *Storage) checkRoot() error {
	st, err := os.Stat(s.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("filesystem storage %s: the directory does not exist (check the path; citadel storage init creates a configured one): %w: %w", s.root, storage.ErrNoBucket, err)
	case err != nil:
		return fmt.Errorf("filesystem storage %s: %w", s.root, err)
	case !st.IsDir():
		return fmt.Errorf("filesystem storage %s: not a directory", s.root)
	}
	return nil
}

// String returns a file:// URL of the root.
func (s *Storage) String() string { return "file://" + filepath.ToSlash(s.root) }

// Capabilities: files have no object lock.
func (s *Storage) Capabilities() storage.Capabilities { return storage.Capabilities{} }

func (s *Storage) path(key string) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	if strings.Contains(key, tempMarker) {
		return "", fmt.Errorf("%w: %q contains the reserved %q", storage.ErrInvalidKey, key, tempMarker)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put writes r to a temporary file next to the destination, syncs it and
// renames it into place.
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.Info, error) {
	p, err := s.path(key)
	if err != nil {
		return storage.Info{}, err
	}
	if !opts.RetainUntil.IsZero() {
		return storage.Info{}, fmt.Errorf("put %s: object lock: %w", storage.Where(s, key), storage.ErrUnsupported)
	}
	dir := filepath.Dir(p)
	tmp, err := createTemp(dir, "."+filepath.Base(p)+tempMarker+randomSuffix())
	if err != nil {
		return storage.Info{}, fmt.Errorf("put %s: %w", storage.Where(s, key), err)
	}
	done := false
	defer func() {
		if !done { // leave nothing: neither the file nor the directories made for it
			tmp.Close()
			os.Remove(tmp.Name())
			s.removeEmptyDirs(dir)
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return storage.Info{}, fmt.Errorf("put %s: %w", storage.Where(s, key), err)
	}
	done = true
	syncDir(dir)
	st, err := os.Stat(p)
	if err != nil {
		return storage.Info{}, fmt.Errorf("put %s: %w", storage.Where(s, key), err)
	}
	return storage.Info{Key: key, Size: n, Modified: st.ModTime()}, nil
}

// createTemp makes the directory and a temporary file in it, once more if
// a concurrent failed put or delete removed the directory in between.
func createTemp(dir, pattern string) (*os.File, error) {
	for try := 0; ; try++ {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(dir, pattern)
		if err == nil || try > 0 || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// syncDir makes a rename durable; failures only weaken durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Get opens the file.
func (s *Storage) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", storage.Where(s, key), storage.ErrNotFound)
	}
	return f, nil
}

// Stat describes the file.
func (s *Storage) Stat(ctx context.Context, key string) (storage.Info, error) {
	p, err := s.path(key)
	if err != nil {
		return storage.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return storage.Info{}, s.wrap("stat", key, err)
	}
	if st.IsDir() {
		return storage.Info{}, fmt.Errorf("stat %s: %w", storage.Where(s, key), storage.ErrNotFound)
	}
	return storage.Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

func (s *Storage) wrap(verb, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s: %w", verb, storage.Where(s, key), storage.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", verb, storage.Where(s, key), err)
}

// Delete removes the file and the directories it leaves empty.
func (s *Storage) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", storage.Where(s, key), err)
	}
	s.removeEmptyDirs(filepath.Dir(p))
	return nil
}

// removeEmptyDirs removes dir and its parents up to the root while they
// are empty.
func (s *Storage) removeEmptyDirs(dir string) {
	for ; dir != s.root && strings.HasPrefix(dir, s.root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty, or gone: stop
			break
		}
	}
}

// List walks the deepest directory the prefix names and yields matching
// files in lexical key order; temporary files are skipped.
func (s *Storage) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return storage.Collected(prefix, func() ([]storage.Info, error) { return s.collect(ctx, prefix) })
}

func (s *Storage) collect(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	var out []storage.Info
	err := s.walkPrefix(ctx, prefix, func(p string, d fs.DirEntry) error {
		if d.IsDir() || strings.Contains(d.Name(), tempMarker) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while listing
			}
			return err
		}
		out = append(out, storage.Info{Key: key, Size: st.Size(), Modified: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", storage.Where(s, prefix), err)
	}
	slices.SortFunc(out, func(a, b storage.Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// walkPrefix walks the deepest directory prefix names, calling fn for
// each entry below it; a directory that does not exist (or vanishes
// during the walk) holds nothing, and the walk stops when ctx ends.
func (s *Storage) walkPrefix(ctx context.Context, prefix string, fn func(p string, d fs.DirEntry) error) error {
	base := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		base = filepath.Join(s.root, filepath.FromSlash(prefix[:i]))
	}
	return filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(p, d)
	})
}
