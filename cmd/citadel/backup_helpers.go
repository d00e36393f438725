package main

import (
	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/jobs"
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
