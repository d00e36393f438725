// Package jobs is the one job layer under the command line, the
// coordinator and the drills: take a backup (then its copies), archive the
// oplog, list, verify, copy, prune and restore, each from the
// configuration and a job name or explicit options, each returning a typed
// result that the CLI prints and the coordinator records. Nothing here
// prints or draws: progress goes to counters (backup/progress), actions to
// the audit trail.
package jobs

import (
	"cmp"
	"fmt"
	"log/slog"
	"strings"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/fault"
)

// Env is what every job runs with.
type Env struct {
	// Config is the loaded configuration; nil for read jobs on a location
	// given without one (--from).
	Config *config.Config
	Log    *slog.Logger
	// Audit receives one record per state-changing job (nil: none).
	Audit *audit.Trail
	// Progress, when set, receives the job's counters.
	Progress *progress.Tracker
	// Tool names the program in manifests ("citadel v1.2.3").
	Tool string
}

func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e Env) config() (*config.Config, error) {
	if e.Config == nil {
		return nil, fault.Usage("this needs the configuration file (--config FILE or CITADEL_CONFIG)")
	}
	return e.Config, nil
}

// PickBackup chooses a backups[] entry by name, or the only one matching
// the replica set and storage given (either may be empty).
func PickBackup(cfg *config.Config, name, rs, st string) (*config.Backup, error) {
	if name != "" {
		if b := cfg.Backup(name); b != nil {
			return b, nil
		}
		return nil, fault.Usage(fmt.Sprintf("no backup named %q in %s", name, cfg.File))
	}
	var found []*config.Backup
	for i := range cfg.Backups {
		b := &cfg.Backups[i]
		if (rs == "" || b.ReplicaSet == rs) && (st == "" || b.Storage == st) {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fault.Usage(fmt.Sprintf("no backup configuration in %s matches (rs %q, storage %q)", cfg.File, rs, st))
	}
	names := make([]string, len(found))
	for i, b := range found {
		names[i] = b.Name
	}
	return nil, fault.Usage("several backup configurations match: name one with --backup (" + strings.Join(names, ", ") + ")")
}

// Location is where a job reads backups from.
type Location struct {
	Storage    storage.Storage
	ReplicaSet string         // asked for, or the backup configuration's; "" when unknown
	Backup     *config.Backup // the backup configuration, when resolved
	Config     *config.Config // nil without a configuration
}

// LocateRequest names a location: a storage URL or directory (From), or a
// configured storage, or the storage of a backup configuration.
type LocateRequest struct {
	From, Storage, Backup, ReplicaSet string
}

// Locate resolves a location. With From the configuration is optional
// (it may still give the identity file); otherwise it is needed.
func Locate(env Env, req LocateRequest) (*Location, error) {
	loc := &Location{ReplicaSet: req.ReplicaSet, Config: env.Config}
	if req.From != "" {
		st, err := backup.OpenLocation(req.From)
		if err != nil {
			return nil, err
		}
		loc.Storage = st
		return loc, nil
	}
	cfg, err := env.config()
	if err != nil {
		return nil, err
	}
	name := req.Storage
	if b, err := PickBackup(cfg, req.Backup, loc.ReplicaSet, name); err == nil {
		loc.Backup = b
		name = cmp.Or(name, b.Storage)
		loc.ReplicaSet = cmp.Or(loc.ReplicaSet, b.ReplicaSet)
	} else if name == "" {
		return nil, err
	}
	sc, err := storageConfig(cfg, name)
	if err != nil {
		return nil, err
	}
	if loc.Storage, err = backup.OpenStorage(sc); err != nil {
		return nil, err
	}
	return loc, nil
}

func storageConfig(cfg *config.Config, name string) (*config.Storage, error) {
	sc := cfg.Storage(name)
	if sc == nil {
		names := make([]string, len(cfg.Storages))
		for i, st := range cfg.Storages {
			names[i] = st.Name
		}
		return nil, fault.Usage(fmt.Sprintf("no storage named %q in %s: name one of its storages (%s)", name, cfg.File, strings.Join(names, ", ")))
	}
	return sc, nil
}

// destination opens a configured storage as a destination for backup b
// (b nil: objects are copied as stored, only the object lock applies).
func destination(cfg *config.Config, b *config.Backup, name string) (archive.Destination, error) {
	sc, err := storageConfig(cfg, name)
	if err != nil {
		return archive.Destination{}, err
	}
	return backup.Destination(b, sc)
}

// target is a backup configuration resolved with its set and storage.
type target struct {
	cfg     *config.Config
	backup  *config.Backup
	rs      *config.ReplicaSet
	storage *config.Storage
	dest    archive.Destination
}

func resolve(env Env, job, rs, st string) (*target, error) {
	cfg, err := env.config()
	if err != nil {
		return nil, err
	}
	b, err := PickBackup(cfg, job, rs, st)
	if err != nil {
		return nil, err
	}
	t := &target{cfg: cfg, backup: b, rs: cfg.ReplicaSet(b.ReplicaSet), storage: cfg.Storage(b.Storage)}
	if t.rs == nil || t.storage == nil {
		return nil, fault.Usage(fmt.Sprintf("backup %s names an unknown replica set or storage", b.Name))
	}
	t.dest, err = backup.Destination(b, t.storage)
	return t, err
}
