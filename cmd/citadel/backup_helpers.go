package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// Flags shared by the backup and restore commands.
var (
	flagRS       = &cli.StringFlag{Name: "rs", Usage: "replica set `NAME`"}
	flagStorage  = &cli.StringFlag{Name: "storage", Usage: "configured storage `NAME`"}
	flagFrom     = &cli.StringFlag{Name: "from", Usage: "storage `LOCATION` without a config file: s3://host:port/bucket[/prefix] (credentials in CITADEL_S3_ACCESS_KEY/CITADEL_S3_SECRET_KEY) or a directory"}
	flagIdentity = &cli.StringFlag{Name: "identity", Usage: "age identity `FILE` for encrypted backups (default: the config's identity_file)"}
	flagBackup   = &cli.StringFlag{Name: "backup", Usage: "backup configuration `NAME` (default: the only one, or the one matching --rs/--storage)"}
)

// loadConfig reads the configuration file named by --config.
func (e *env) loadConfig(c *cli.Context) (*config.Config, error) {
	return config.Load(c.String("config"))
}

// pickBackup chooses a backups[] entry by name or by --rs/--storage.
func pickBackup(cfg *config.Config, name, rs, st string) (*config.Backup, error) {
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

// location is where a command reads backups from.
type location struct {
	st     storage.Storage
	rs     string         // replica set asked for ("" when unknown)
	cfg    *config.Config // nil with --from and no config file
	backup *config.Backup // nil when not resolved from the config
}

// readLocation resolves --from, or --storage, or the backup configuration.
func (e *env) readLocation(c *cli.Context) (*location, error) {
	loc := &location{rs: c.String("rs")}
	if from := c.String("from"); from != "" {
		st, err := backup.OpenLocation(from)
		if err != nil {
			return nil, err
		}
		loc.st = st
		if cfg, err := e.loadConfig(c); err == nil { // optional: identity_file, names
			loc.cfg = cfg
		}
		return loc, nil
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return nil, err
	}
	loc.cfg = cfg
	name := c.String("storage")
	if b, err := pickBackup(cfg, c.String("backup"), loc.rs, name); err == nil {
		loc.backup = b
		if name == "" {
			name = b.Storage
		}
		if loc.rs == "" {
			loc.rs = b.ReplicaSet
		}
	} else if name == "" {
		return nil, err
	}
	sc := cfg.Storage(name)
	if sc == nil {
		return nil, fault.Usage(fmt.Sprintf("no storage named %q in %s", name, cfg.File))
	}
	if loc.st, err = backup.OpenStorage(sc); err != nil {
		return nil, err
	}
	return loc, nil
}

// showProgress draws a bar on a terminal (stderr) until the returned stop
// is called, once the work names its first phase; it draws nothing with
// -o json or when stderr is not a terminal.
func (e *env) showProgress(ctx context.Context, tr *progress.Tracker, what string) (stop func()) {
	f, ok := e.stderr.(*os.File)
	if e.json || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("docs"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.Report(ctx, 250*time.Millisecond, func(s progress.Snapshot) {
			if s.Phase == "" { // not started: maybe asking a question on this terminal
				return
			}
			if s.DocumentsTotal > 0 {
				bar.ChangeMax64(max(s.DocumentsTotal, s.Documents))
			}
			bar.Describe(fmt.Sprintf("%s %s %d/%d collections, %s", what, s.Phase, s.CollectionsDone, s.Collections, humanBytes(s.Bytes)))
			_ = bar.Set64(s.Documents)
		})
	}()
	return func() {
		cancel()
		<-done
		_ = bar.Finish()
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
