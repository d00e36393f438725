package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// ProbePrefix starts the key of every probe object `citadel storage check`
// writes, at the top of the storage (beside the replica-set directories,
// never inside one): probes are deleted by the check that wrote them, and
// one older than ProbeMaxAge (a check that was killed) by the next check.
const ProbePrefix = ".citadel-check-"

// ProbeMaxAge is the age after which a probe is a leftover.
const ProbeMaxAge = 10 * time.Minute

// probeLock is how long the retention check locks its probe: long enough
// to see a delete refused, short enough to wait for and delete it.
const probeLock = 3 * time.Second

// Check is one line of `citadel storage check`.
type Check struct {
	Check string `json:"check"`
	// Result is "ok", "failed" or "skipped" (an earlier check failed).
	Result string `json:"result"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// CheckResult is the checks of one storage, in the order they ran.
type CheckResult struct {
	Storage  string  `json:"storage"`
	Location string  `json:"location"`
	OK       bool    `json:"ok"`
	Checks   []Check `json:"checks"`
}

// CheckStorages checks the storage named name, or every configured
// storage when name is empty. The error names each storage that failed and
// its first failed check, with what to do; it is fault.ErrVerification
// (exit 3: the storage did not verify), and fault.ErrUsage for an unknown
// name.
func CheckStorages(ctx context.Context, cfg *config.Config, name string) ([]CheckResult, error) {
	sts, err := pickStorages(cfg, name)
	if err != nil {
		return nil, err
	}
	var out []CheckResult
	var errs []error
	for _, sc := range sts {
		res, err := CheckStorage(ctx, sc)
		out = append(out, res)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// CheckStorage checks an existing storage: the server answers, the
// credentials are accepted, the bucket (or directory) exists with the
// object-lock mode the configuration asks for, and a small probe object
// can be written, read back identical and deleted; with object_lock_days,
// a probe locked for a few seconds must be refused deletion. Checks after
// a failed one are skipped.
func CheckStorage(ctx context.Context, sc *config.Storage) (CheckResult, error) {
	c := &checker{res: CheckResult{Storage: sc.Name}}
	if sc.Filesystem != nil {
		c.res.Location = "file://" + sc.Filesystem.Path
		c.directory(ctx, sc)
	} else {
		c.bucket(ctx, sc)
	}
	c.res.OK = c.failed == nil
	if c.failed != nil {
		msg := fmt.Sprintf("storage %s: check %s failed: %s", sc.Name, c.failed.Check, c.failed.Detail)
		if c.failed.Fix != "" {
			msg += ": " + c.failed.Fix
		}
		return c.res, fault.Verification(msg)
	}
	return c.res, nil
}

// checker runs checks in order, skipping those after the first failure.
type checker struct {
	res    CheckResult
	failed *Check
}

// run records one check: fn returns what it found, and when it failed,
// what to do about it.
func (c *checker) run(name string, fn func() (detail, fix string, ok bool)) {
	if c.failed != nil {
		c.res.Checks = append(c.res.Checks, Check{Check: name, Result: "skipped", Detail: "not run: the " + c.failed.Check + " check failed"})
		return
	}
	detail, fix, ok := fn()
	ch := Check{Check: name, Result: "ok", Detail: detail}
	if !ok {
		ch.Result, ch.Fix = "failed", fix
	}
	c.res.Checks = append(c.res.Checks, ch)
	if !ok {
		c.failed = &c.res.Checks[len(c.res.Checks)-1]
	}
}

func (c *checker) directory(ctx context.Context, sc *config.Storage) {
	dir := sc.Filesystem.Path
	c.run("reachable", func() (string, string, bool) {
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Sprintf("directory %s does not exist", dir), fmt.Sprintf("mount the volume, or run citadel storage init %s", sc.Name), false
		case err != nil:
			return err.Error(), "check the permissions of the directories above it", false
		case !fi.IsDir():
			return dir + " is not a directory", "point filesystem.path at a directory", false
		}
		return "directory " + dir + " exists", "", true
	})
	var st storage.Storage
	if c.failed == nil {
		var err error
		if st, err = OpenStorage(sc); err != nil {
			c.run("open", func() (string, string, bool) { return err.Error(), "", false })
		}
	}
	c.probe(ctx, st, sc, false)
}

func (c *checker) bucket(ctx context.Context, sc *config.Storage) {
	var st *s3.Storage
	c.run("configuration", func() (string, string, bool) {
		var err error
		if st, err = openS3(sc); err != nil {
			return err.Error(), "fix the storage's s3 section or the secrets and files it names", false
		}
		return "secrets and TLS files read", "", true
	})
	if c.failed == nil {
		c.res.Location = st.String()
	}
	var b s3.Bucket
	var err error
	c.run("reachable", func() (string, string, bool) {
		b, err = st.Inspect(ctx)
		if errors.Is(err, s3.ErrUnreachable) {
			return err.Error(), fmt.Sprintf("check s3.endpoint (%s), that MinIO runs there and answers from this host, and s3.tls (https needs tls.enabled)", sc.S3.Endpoint), false
		}
		return sc.S3.Endpoint + " answered", "", true
	})
	c.run("credentials", func() (string, string, bool) {
		switch {
		case errors.Is(err, s3.ErrCredentials):
			return err.Error(), "check the access key and secret key that " + keySource(sc.S3) + " hold", false
		case errors.Is(err, s3.ErrAccessDenied):
			return err.Error(), fmt.Sprintf("give this access key read, write, list, delete and object-lock permissions on bucket %s", sc.S3.Bucket), false
		}
		return "access key accepted", "", true
	})
	c.run("bucket", func() (string, string, bool) {
		switch {
		case err != nil:
			return err.Error(), "", false
		case !b.Exists:
			return fmt.Sprintf("bucket %q does not exist at %s", b.Name, b.Endpoint), "run citadel storage init " + sc.Name, false
		}
		return fmt.Sprintf("bucket %q exists", b.Name), "", true
	})
	lock := sc.S3.ObjectLockDays > 0
	c.run("object_lock", func() (string, string, bool) {
		if err := lockMismatch(sc, b); err != nil {
			return err.Error(), "", false
		}
		if !lock {
			return "not enabled, and object_lock_days is not set", "", true
		}
		detail := fmt.Sprintf("enabled; citadel locks each object %s (compliance mode)", days(sc.S3.ObjectLockDays))
		if b.DefaultMode != "" {
			detail += fmt.Sprintf("; the bucket's default retention (%s, %s) applies only to objects put without one", b.DefaultMode, days(b.DefaultDays))
		}
		return detail, "", true
	})
	c.probe(ctx, st, sc, lock)
}

// keySource names where a storage's keys come from, for messages.
func keySource(s *config.S3) string {
	src := func(env, file string) string {
		if env != "" {
			return "$" + env
		}
		return file
	}
	return fmt.Sprintf("%s and %s (access_key and secret_key)", src(s.AccessKeyEnv, s.AccessKeyFile), src(s.SecretKeyEnv, s.SecretKeyFile))
}

// probe writes, reads back and deletes a small object under ProbePrefix;
// with lock, the object is locked for probeLock and a delete before then
// must be refused. Probes left by an earlier, killed check are removed.
func (c *checker) probe(ctx context.Context, st storage.Storage, sc *config.Storage, lock bool) {
	key := ProbePrefix + randomHex()
	body := []byte("citadel storage check of " + sc.Name + " at " + time.Now().UTC().Format(time.RFC3339Nano) + "\n")
	var opts storage.PutOptions
	if lock {
		opts.RetainUntil = time.Now().Add(probeLock).Truncate(time.Second)
	}
	c.run("write", func() (string, string, bool) {
		if _, err := storage.PutBytes(ctx, st, key, body, opts); err != nil {
			fix := "give citadel's user write permission there"
			if lock {
				fix += "; a lock date refused as in the past means this host's clock and the server's disagree (check NTP)"
			}
			return err.Error(), fix, false
		}
		return fmt.Sprintf("wrote %s (%d bytes)", key, len(body)), "", true
	})
	c.run("read", func() (string, string, bool) {
		got, err := storage.ReadAll(ctx, st, key)
		switch {
		case err != nil:
			return err.Error(), "give citadel's user read permission there", false
		case !bytes.Equal(got, body):
			return fmt.Sprintf("%s read back as %d different bytes", key, len(got)), "check the storage server's health and its disks", false
		}
		return "read it back identical", "", true
	})
	if lock {
		c.run("retention", func() (string, string, bool) {
			info, err := st.Stat(ctx, key)
			if err != nil {
				return err.Error(), "", false
			}
			if info.RetainUntil.IsZero() {
				return key + " was stored without its retain-until date", "check that the bucket was created with object lock", false
			}
			if err := st.Delete(ctx, key); !errors.Is(err, storage.ErrLocked) {
				return fmt.Sprintf("deleting %s, locked until %s, gave %v instead of a refusal", key, info.RetainUntil.Format(time.RFC3339), err),
					"the bucket does not enforce object lock: give the storage a bucket created by citadel storage init", false
			}
			return fmt.Sprintf("a probe locked until %s was refused deletion", info.RetainUntil.Format(time.RFC3339)), "", true
		})
	}
	c.run("delete", func() (string, string, bool) {
		if err := deleteProbe(ctx, st, key, opts.RetainUntil); err != nil {
			return err.Error(), "give citadel's user delete permission there (prune needs it)", false
		}
		if _, err := st.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Sprintf("%s is still there after its deletion (%v)", key, err), "", false
		}
		removeOldProbes(ctx, st)
		return "deleted it", "", true
	})
}

// deleteProbe deletes the probe, waiting for its lock to expire (the
// server's clock may run a little behind this host's: a bounded wait).
func deleteProbe(ctx context.Context, st storage.Storage, key string, until time.Time) error {
	deadline := until.Add(15 * time.Second)
	for {
		err := st.Delete(ctx, key)
		if !errors.Is(err, storage.ErrLocked) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// removeOldProbes deletes probes a killed check left behind; it is best
// effort: a failure here changes no check's result.
func removeOldProbes(ctx context.Context, st storage.Storage) {
	for info, err := range st.List(ctx, ProbePrefix) {
		if err != nil {
			return
		}
		if time.Since(info.Modified) > ProbeMaxAge {
			_ = st.Delete(ctx, info.Key)
		}
	}
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
