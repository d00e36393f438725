package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// OpenNamedStorage opens a configured storage like OpenStorage, and makes
// every error about its missing bucket end with the command that creates
// it: `bucket "b" does not exist at host:9000: run citadel storage init
// NAME`. Destination's storage says the same, so that the first backup to
// a bucket nobody created names the command.
func OpenNamedStorage(cfg *config.Storage) (storage.Storage, error) {
	st, err := OpenStorage(cfg)
	if err != nil {
		return nil, err
	}
	return withInitHint(cfg.Name, st), nil
}

// withInitHint gives st the missing-bucket hint of OpenNamedStorage for
// the configured storage name (once: a storage that has it already is
// returned as it is).
func withInitHint(name string, st storage.Storage) storage.Storage {
	if n, ok := st.(named); ok && n.name == name {
		return st
	}
	return named{Storage: st, name: name}
}

// named is a configured storage whose missing-bucket errors say what to do.
type named struct {
	storage.Storage
	name string
}

func (n named) hint(err error) error {
	if err != nil && errors.Is(err, storage.ErrNoBucket) {
		return fmt.Errorf("%w: run citadel storage init %s", err, n.name)
	}
	return err
}

func (n named) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.Info, error) {
	info, err := n.Storage.Put(ctx, key, r, opts)
	return info, n.hint(err)
}

func (n named) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := n.Storage.Get(ctx, key)
	return rc, n.hint(err)
}

func (n named) Stat(ctx context.Context, key string) (storage.Info, error) {
	info, err := n.Storage.Stat(ctx, key)
	return info, n.hint(err)
}

func (n named) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return func(yield func(storage.Info, error) bool) {
		for info, err := range n.Storage.List(ctx, prefix) {
			if !yield(info, n.hint(err)) {
				return
			}
		}
	}
}

func (n named) Delete(ctx context.Context, key string) error {
	return n.hint(n.Storage.Delete(ctx, key))
}

func (n named) Leftovers(ctx context.Context, prefix string) iter.Seq2[storage.Leftover, error] {
	return func(yield func(storage.Leftover, error) bool) {
		for l, err := range n.Storage.Leftovers(ctx, prefix) {
			if !yield(l, n.hint(err)) {
				return
			}
		}
	}
}

// Unwrap returns the backend itself.
func (n named) Unwrap() storage.Storage { return n.Storage }

func (n named) RemoveLeftover(ctx context.Context, l storage.Leftover) error {
	return n.hint(n.Storage.RemoveLeftover(ctx, l))
}

// InitResult is what `citadel storage init` did to one storage.
type InitResult struct {
	Storage  string `json:"storage"`
	Location string `json:"location"`
	// Result is "created", "exists" (nothing to do), "refused" (it exists
	// with the wrong object-lock mode) or "failed".
	Result     string `json:"result"`
	ObjectLock bool   `json:"object_lock"`
	Detail     string `json:"detail"`
}

// pickStorages returns the storage named name, or every storage when name
// is empty; an unknown name is a usage error listing the configured ones.
func pickStorages(cfg *config.Config, name string) ([]*config.Storage, error) {
	var all []*config.Storage
	var names []string
	for i := range cfg.Storages {
		all = append(all, &cfg.Storages[i])
		names = append(names, cfg.Storages[i].Name)
	}
	if name == "" {
		if len(all) == 0 {
			return nil, fault.Usage(fmt.Sprintf("%s configures no storage: add one under storages:", cfg.File))
		}
		return all, nil
	}
	if st := cfg.Storage(name); st != nil {
		return []*config.Storage{st}, nil
	}
	return nil, fault.Usage(fmt.Sprintf("no storage named %q in %s (storages: %s)", name, cfg.File, strings.Join(names, ", ")))
}

// InitStorages creates the bucket or directory of the storage named name,
// or of every configured storage when name is empty. It returns one
// result per storage and the errors of those that failed or were refused
// (fault.ErrRefused: a bucket with the wrong object-lock mode).
func InitStorages(ctx context.Context, cfg *config.Config, name string) ([]InitResult, error) {
	sts, err := pickStorages(cfg, name)
	if err != nil {
		return nil, err
	}
	var out []InitResult
	var errs []error
	for _, sc := range sts {
		res, err := InitStorage(ctx, sc)
		out = append(out, res)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// InitStorage creates a configured storage's bucket (with object lock when
// object_lock_days is set: MinIO enables object lock only when a bucket is
// created) or its directory. An existing bucket with the right object-lock
// mode, or an existing directory, is left as it is.
func InitStorage(ctx context.Context, sc *config.Storage) (InitResult, error) {
	res := InitResult{Storage: sc.Name}
	fail := func(result string, err error) (InitResult, error) {
		res.Result, res.Detail = result, err.Error()
		return res, fmt.Errorf("storage %s: %w", sc.Name, err)
	}
	if sc.Filesystem != nil {
		res.Location = "file://" + sc.Filesystem.Path
		created, err := initDirectory(sc.Filesystem.Path)
		if err != nil {
			return fail("failed", err)
		}
		res.Result, res.Detail = "exists", fmt.Sprintf("directory %s exists: nothing to do", sc.Filesystem.Path)
		if created {
			res.Result, res.Detail = "created", "created directory "+sc.Filesystem.Path
		}
		return res, nil
	}
	st, err := openS3(sc)
	if err != nil {
		return fail("failed", err)
	}
	res.Location = st.String()
	want := sc.S3.ObjectLockDays > 0
	b, err := st.Inspect(ctx)
	if err != nil {
		return fail("failed", err)
	}
	if b.Exists {
		res.ObjectLock = b.ObjectLock
		if err := lockMismatch(sc, b); err != nil {
			return fail("refused", fault.Wrap(fault.ErrRefused, err, ""))
		}
		res.Result, res.Detail = "exists", fmt.Sprintf("bucket %q at %s exists %s: nothing to do", b.Name, b.Endpoint, lockText(b.ObjectLock))
		return res, nil
	}
	if err := st.CreateBucket(ctx, want); err != nil {
		return fail("failed", err)
	}
	res.Result, res.ObjectLock = "created", want
	res.Detail = fmt.Sprintf("created bucket %q at %s %s", b.Name, b.Endpoint, lockText(want))
	if want {
		res.Detail += fmt.Sprintf(" (each object locked %s, compliance mode)", days(sc.S3.ObjectLockDays))
	}
	return res, nil
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func lockText(lock bool) string {
	if lock {
		return "with object lock"
	}
	return "without object lock"
}

// lockMismatch says what is wrong when a bucket's object-lock mode is not
// the one the storage's configuration asks for, and what to do.
func lockMismatch(sc *config.Storage, b s3.Bucket) error {
	days := sc.S3.ObjectLockDays
	switch {
	case days > 0 && !b.ObjectLock:
		return fmt.Errorf("bucket %q at %s exists without object lock, but object_lock_days is %d; object lock can only be enabled when a bucket is created: "+
			"give storage %s a new bucket name and run citadel storage init %s, or remove object_lock_days", b.Name, b.Endpoint, days, sc.Name, sc.Name)
	case days == 0 && b.ObjectLock:
		return fmt.Errorf("bucket %q at %s has object lock, but storage %s sets no object_lock_days: "+
			"set object_lock_days (every object is then locked that many days), or give the storage a bucket created without object lock", b.Name, b.Endpoint, sc.Name)
	}
	return nil
}

// openS3 opens the S3 backend of a configured storage (OpenStorage without
// the interface, for the bucket-level calls).
func openS3(sc *config.Storage) (*s3.Storage, error) {
	st, err := OpenStorage(sc)
	if err != nil {
		return nil, err
	}
	if u, ok := st.(interface{ Unwrap() storage.Storage }); ok {
		st = u.Unwrap()
	}
	s, ok := st.(*s3.Storage)
	if !ok {
		return nil, fmt.Errorf("storage %s is not an S3 storage", sc.Name)
	}
	return s, nil
}

// initDirectory makes dir (and its parents) unless it exists; it reports
// whether it made it.
func initDirectory(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return false, nil
	case err == nil:
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	case !errors.Is(err, os.ErrNotExist):
		return false, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, fmt.Errorf("create directory: %w", err)
	}
	return true, nil
}
