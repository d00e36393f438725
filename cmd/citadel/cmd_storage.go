package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/config"
)

func storageCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "storage",
		Usage: "create and check the buckets and directories backups are kept in",
		Subcommands: []*cli.Command{
			{Name: "init", ArgsUsage: "[NAME]", Action: e.storageInit,
				Usage: "create the bucket or directory of storage NAME, or of every storage (run it before the first backup)",
				Description: "Creates an S3 storage's bucket, with object lock when object_lock_days is set (MinIO can enable\n" +
					"object lock only when a bucket is created), or a filesystem storage's directory. A bucket or\n" +
					"directory that exists is left as it is: running it again is harmless.\n\n" +
					"Exit 0 when each storage was created or already right; 4 when a bucket exists with the other\n" +
					"object-lock mode (it is refused, not changed: the message says what to do); 1 when a storage\n" +
					"could not be created (unreachable server, refused credentials; the message names it); 2 when\n" +
					"NAME is not a configured storage."},
			{Name: "check", ArgsUsage: "[NAME]", Action: e.storageCheck,
				Usage: "check storage NAME, or every storage, before trusting backups to it",
				Description: "Checks, in order, and prints one line per check: the configuration's secrets and TLS files\n" +
					"are read (configuration), the server answers (reachable), the credentials are accepted\n" +
					"(credentials), the bucket or directory exists (bucket), its object lock matches object_lock_days\n" +
					"(object_lock), and a small probe object under " + backup.ProbePrefix + "* can be written, read back\n" +
					"identical and deleted (write, read, delete); with object lock, a probe locked for a few seconds\n" +
					"must be refused deletion (retention). The checks after a failed one are skipped. Nothing is\n" +
					"created: a missing bucket says to run citadel storage init NAME.\n\n" +
					"Exit 0 when every check of every storage passed; 3 when a check failed (the storage did not\n" +
					"verify: the message names the storage, the check and what to do); 2 when NAME is not a\n" +
					"configured storage."},
		},
	}
}

func (e *env) storageInit(c *cli.Context) error {
	return storageAction(e, c, backup.InitStorages, "STORAGE\tRESULT\tDETAIL",
		func(w io.Writer, r backup.InitResult) {
			fmt.Fprintf(w, "%s\t%s\t%s\n", r.Storage, r.Result, r.Detail)
		})
}

func (e *env) storageCheck(c *cli.Context) error {
	return storageAction(e, c, backup.CheckStorages, "STORAGE\tCHECK\tRESULT\tDETAIL",
		func(w io.Writer, r backup.CheckResult) {
			for _, ch := range r.Checks {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Storage, ch.Check, ch.Result, ch.Detail)
			}
		})
}

// storageAction is init and check's parse, call, print: one call over the
// NAME storage or all of them, then the results as JSON or a table (rows
// writes one result's lines), and the call's error, which names what failed.
func storageAction[R any](e *env, c *cli.Context,
	run func(context.Context, *config.Config, string) ([]R, error),
	header string, rows func(io.Writer, R)) error {
	name, err := storageName(c)
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	res, err := run(c.Context, cfg, name)
	if res == nil {
		return err
	}
	if e.json {
		if jerr := printJSON(e.stdout, res); jerr != nil {
			return jerr
		}
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range res {
		rows(w, r)
	}
	if ferr := w.Flush(); ferr != nil {
		return ferr
	}
	return err
}

// storageName is the optional NAME argument ("" for every storage).
func storageName(c *cli.Context) (string, error) {
	args, err := positional(c, 0, 1, "[NAME]")
	if err != nil || len(args) == 0 {
		return "", err
	}
	return args[0], nil
}
