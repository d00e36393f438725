package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/config"
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
	return config.Load(c.String("config"), e.stdin)
}

// jobEnv is the environment of a backup job: the configuration (required
// when needed is set; otherwise loaded when it can be, as with --from),
// the logger, the audit trail and the tool's name.
func (e *env) jobEnv(c *cli.Context, needed bool) (jobs.Env, error) {
	cfg, err := e.loadConfig(c)
	if err != nil {
		if needed {
			return jobs.Env{}, err
		}
		cfg = nil
	}
	return jobs.Env{Config: cfg, Log: e.log, Audit: e.auditTrail(cfg), Tool: "citadel " + version}, nil
}

// locate resolves where a read command reads backups: --from (the
// configuration then optional), --storage, or the backup configuration.
func (e *env) locate(c *cli.Context) (*jobs.Location, error) {
	env, err := e.jobEnv(c, c.String("from") == "")
	if err != nil {
		return nil, err
	}
	return jobs.Locate(env, jobs.LocateRequest{From: c.String("from"), Storage: c.String("storage"), Backup: c.String("backup"), ReplicaSet: c.String("rs")})
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
