// Package storage is the one interface every backup backend implements: a
// flat namespace of immutable objects addressed by slash-separated keys, with
// streamed puts, gets, stats, listing by prefix, deletes and, where the
// backend has it, object-lock retention.
//
// Implementations live in subpackages (fs, s3) and all pass the single
// conformance suite in storagetest. A put is all or nothing: a reader that
// fails or a context that is cancelled leaves no object behind, so a key that
// exists always holds complete content. A put killed with its process
// leaves a Leftover, which prune removes once it is old enough.
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrNotFound means no object exists under the key.
	ErrNotFound = errors.New("object not found")
	// ErrLocked means the object is under object-lock retention and cannot
	// be deleted before its retain-until date.
	ErrLocked = errors.New("object under retention")
	// ErrInvalidKey means the key is not a clean relative slash path.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrUnsupported means the backend does not have the feature asked for.
	ErrUnsupported = errors.New("not supported by this storage")
	// ErrNoBucket means the storage's bucket does not exist: nothing can
	// be stored or found until `citadel storage init` creates it.
	ErrNoBucket = errors.New("bucket does not exist")
)

// Info describes a stored object.
type Info struct {
	Key      string    `json:"key"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// RetainUntil is the object-lock retain-until date; zero when unlocked.
	RetainUntil time.Time `json:"retain_until,omitzero"`
}

// Leftover is what a put that never completed left behind without making
// it an object: a temporary file or an empty directory on a filesystem, an
// incomplete multipart upload on S3. No listing shows it and no key reads
// it; only Leftovers and RemoveLeftover see it. A put still running shows
// as a leftover too: callers tell the remains of a killed process by age.
type Leftover struct {
	// Key is the key the put was writing; for an empty directory, the
	// directory's prefix, ending in "/".
	Key  string `json:"key"`
	Size int64  `json:"size"`
	// Modified is the last write (S3: the start of the upload).
	Modified time.Time `json:"modified"`
	// Ref identifies the leftover to RemoveLeftover (a file, an upload).
	Ref string `json:"-"`
}

// PutOptions tune one put.
type PutOptions struct {
	// RetainUntil locks the object until that date (compliance mode) on
	// backends with object lock; other backends refuse it with ErrUnsupported.
	RetainUntil time.Time
}

// Capabilities say which optional features a backend has.
type Capabilities struct {
	ObjectLock bool `json:"object_lock"`
}

// Storage is a place where backup objects are kept.
type Storage interface {
	// String names the location for messages and manifests, such as
	// "s3://bucket/prefix" or "file:///srv/backups".
	String() string
	// Capabilities reports the optional features of the backend.
	Capabilities() Capabilities
	// Put streams r into key, replacing any object there. Nothing is
	// visible under key unless the whole stream was stored.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Info, error)
	// Get opens the object for reading; ErrNotFound when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object; ErrNotFound when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// List yields the objects whose keys start with prefix (a plain string
	// prefix, not a directory), in lexical key order.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
	// Delete removes the object; deleting a missing key is not an error.
	// An object under retention gives ErrLocked.
	Delete(ctx context.Context, key string) error
	// Leftovers yields, in key order, what puts that did not complete
	// (killed processes, or puts still running) left under prefix. A put
	// that failed or was cancelled leaves none.
	Leftovers(ctx context.Context, prefix string) iter.Seq2[Leftover, error]
	// RemoveLeftover removes one leftover (a put still writing it then
	// fails and stores nothing); one already gone is not an error.
	RemoveLeftover(ctx context.Context, l Leftover) error
}

// CheckKey validates a key: non-empty, relative, slash-separated, without
// empty, "." or ".." segments, backslashes or control characters.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > 1024 {
		return fmt.Errorf("%w: key longer than 1024 bytes", ErrInvalidKey)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q holds a control character or backslash", ErrInvalidKey, key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "", ".", "..":
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// CheckPrefix validates a listing prefix: empty, or a key prefix that does
// not start with "/" and has no "." or ".." segment.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("%w: prefix %q starts with /", ErrInvalidKey, prefix)
	}
	trimmed := strings.TrimSuffix(prefix, "/")
	if trimmed == "" {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	return CheckKey(trimmed)
}

// Collected is a listing that gathers its results before yielding them
// (a directory walk, a filtered list of uploads): it checks prefix, calls
// collect, and yields each result, or the first error.
func Collected[T any](prefix string, collect func() ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := CheckPrefix(prefix); err != nil {
			yield(zero, err)
			return
		}
		out, err := collect()
		if err != nil {
			yield(zero, err)
			return
		}
		for _, v := range out {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// Where names an object for error messages: the storage location and the key.
func Where(s Storage, key string) string {
	return strings.TrimSuffix(s.String(), "/") + "/" + key
}

// ReadAll reads a whole (small) object.
func ReadAll(ctx context.Context, s Storage, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", Where(s, key), err)
	}
	return b, nil
}

// PutBytes stores a small object from memory.
func PutBytes(ctx context.Context, s Storage, key string, b []byte, opts PutOptions) (Info, error) {
	return s.Put(ctx, key, bytes.NewReader(b), opts)
}

// Collect gathers a whole listing; for small prefixes only.
func Collect(ctx context.Context, s Storage, prefix string) ([]Info, error) {
	var out []Info
	for info, err := range s.List(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}
