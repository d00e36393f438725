// Package backup turns citadel's configuration into the pieces the backup
// subpackages work with — storages, codecs, retention policies, MongoDB
// connections and the choice of the member a backup reads from — so that
// the command line and, later, the coordinator share one wiring.
//
// The work itself lives in subpackages: storage (one interface, fs and s3
// backends), stream (zstd + age pipeline, BSON streams), manifest and
// layout (what a backup is on disk), archive (writing and reading one
// backup), snapshot (dump with oplog), oplog (reading and replaying),
// pitr (continuous slices), restore, catalog (list, verify, copy, prune)
// and retention (the pure prune plan). DESIGN.md explains the choices.
package backup

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"filippo.io/age"

	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/retention"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// OpenStorage opens a configured storage for reading, resolving its
// secrets. Nothing is created: a missing bucket or directory is an error
// at the first read, naming it.
func OpenStorage(cfg *config.Storage) (storage.Storage, error) { return openStorage(cfg, false) }

// openStorage opens a storage; for writing (create), a filesystem
// storage's directory is created when missing, as a bucket is by
// `citadel storage init`.
func openStorage(cfg *config.Storage, create bool) (storage.Storage, error) {
	switch {
	case cfg.Filesystem != nil && create:
		return fs.Create(cfg.Filesystem.Path)
	case cfg.Filesystem != nil:
		return fs.New(cfg.Filesystem.Path)
	case cfg.S3 != nil:
		ak, err := cfg.S3.AccessKey()
		if err != nil {
			return nil, fmt.Errorf("storage %s: access key: %w", cfg.Name, err)
		}
		sk, err := cfg.S3.SecretKey()
		if err != nil {
			return nil, fmt.Errorf("storage %s: secret key: %w", cfg.Name, err)
		}
		tc, err := cfg.S3.TLS.ClientConfig("storage " + cfg.Name)
		if err != nil {
			return nil, err
		}
		return s3.New(s3.Config{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket, Region: cfg.S3.Region, Prefix: cfg.S3.Prefix,
			AccessKey: ak, SecretKey: sk, Secure: tc != nil, TLS: tc})
	}
	return nil, fmt.Errorf("storage %s has no backend", cfg.Name)
}

// Environment variables that hold S3 credentials for --from locations.
const (
	EnvAccessKey = "CITADEL_S3_ACCESS_KEY"
	EnvSecretKey = "CITADEL_S3_SECRET_KEY"
)

// OpenLocation opens a storage named on the command line, without any
// configuration file: "s3://host:port/bucket[/prefix]" (https with
// "s3s://"), credentials from CITADEL_S3_ACCESS_KEY and
// CITADEL_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY);
// or a directory, as a path or "file:///path".
func OpenLocation(loc string) (storage.Storage, error) {
	if path, ok := strings.CutPrefix(loc, "file://"); ok {
		return fs.New(path)
	}
	if !strings.Contains(loc, "://") {
		return fs.New(loc)
	}
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "s3" && u.Scheme != "s3s") || u.Host == "" {
		return nil, fault.Usage(fmt.Sprintf("--from %q: write s3://host:port/bucket[/prefix] or a directory", loc))
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return nil, fault.Usage(fmt.Sprintf("--from %q: no bucket", loc))
	}
	ak, sk := firstEnv(EnvAccessKey, "AWS_ACCESS_KEY_ID"), firstEnv(EnvSecretKey, "AWS_SECRET_ACCESS_KEY")
	if ak == "" || sk == "" {
		return nil, fault.Usage(fmt.Sprintf("--from %s: export %s and %s (the credentials never go on the command line)", loc, EnvAccessKey, EnvSecretKey))
	}
	return s3.New(s3.Config{Endpoint: u.Host, Bucket: bucket, Prefix: prefix, AccessKey: ak, SecretKey: sk, Secure: u.Scheme == "s3s"})
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Codec builds the object codec of a backup configuration, with the text
// of its age recipients for the manifest.
func Codec(b *config.Backup) (stream.Codec, []string, error) {
	c := stream.Codec{Compression: b.Compression.Algorithm, Level: b.Compression.Level}
	if c.Compression == "" {
		c.Compression = stream.Zstd
	}
	if err := c.Validate(); err != nil {
		return c, nil, fmt.Errorf("backup %s: %w", b.Name, err)
	}
	if b.Encryption == nil {
		return c, nil, nil
	}
	rs, text, err := stream.LoadRecipients(b.Encryption.RecipientsFile)
	if err != nil {
		return c, nil, fmt.Errorf("backup %s: %w", b.Name, err)
	}
	c.Recipients = rs
	return c, text, nil
}

// Identities loads the age identity file (flag first, then the backup
// configuration's identity_file); nil when neither is set.
func Identities(flag string, b *config.Backup) ([]age.Identity, error) {
	file := flag
	if file == "" && b != nil && b.Encryption != nil {
		file = b.Encryption.IdentityFile
	}
	if file == "" {
		return nil, nil
	}
	return stream.LoadIdentities(file)
}

// Policy is the retention policy of a backup configuration.
func Policy(b *config.Backup) (retention.Policy, error) {
	loc, err := config.Location(b.Timezone)
	if err != nil {
		return retention.Policy{}, fmt.Errorf("backup %s: time zone: %w", b.Name, err)
	}
	return retention.Policy{Daily: b.Retention.Daily, Weekly: b.Retention.Weekly, Monthly: b.Retention.Monthly,
		DrillReports: b.Retention.DrillReports, PITRWindow: b.PITR.Window.D(), Location: loc}, nil
}

// Destination is where a backup configuration writes into a storage: the
// storage opened with its secrets, the backup's codec and recipients, and
// the storage's object lock (object_lock_days), applied at each put. A
// missing bucket's errors say to run `citadel storage init NAME`.
func Destination(b *config.Backup, sc *config.Storage) (archive.Destination, error) {
	st, err := openStorage(sc, true)
	if err != nil {
		return archive.Destination{}, err
	}
	d := archive.Destination{Storage: withInitHint(sc.Name, st), LockDays: LockDays(sc)}
	if b != nil {
		if d.Codec, d.Recipients, err = Codec(b); err != nil {
			return archive.Destination{}, err
		}
	}
	return d, nil
}

// LockDays is a storage's object-lock period in days, 0 without one.
func LockDays(sc *config.Storage) int {
	if sc.S3 != nil {
		return sc.S3.ObjectLockDays
	}
	return 0
}
