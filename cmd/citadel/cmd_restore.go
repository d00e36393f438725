package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/restore"
	"github.com/noscites/citadel/internal/fault"
)

func restoreCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "restore a backup (and, with --until, the archived oplog) into a replica set or URI",
		ArgsUsage: "ID|latest",
		Description: "Inserts the documents in parallel unordered w:majority batches, builds the indexes after the data, then replays\n" +
			"the oplog to the backup's end (or, with --until, through the archived PITR slices). Before the replay each collection\n" +
			"is verified against the manifest: the digest of the documents the target acknowledged (exactly the bytes read from\n" +
			"the backup) and the target's own count must match the dumped ones (exit 3 otherwise). --read-back also reads every\n" +
			"restored collection back and checks the digest of what the target returns: a full scan, for drills.\n\n" +
			"Before writing, every object the restore reads is checked against the manifest's size and SHA-256 (exit 3 naming a\n" +
			"damaged one; --skip-precheck skips this), --ns-include/--ns-from patterns that match nothing are refused (exit 2), and\n" +
			"--drop lists what it will drop and asks (exit 4 without a terminal, unless --yes). A restore that fails midway drops\n" +
			"the collections it created, never one that existed before, and says what it left.",
		Action: e.restore,
		Flags: []cli.Flag{flagRS, flagStorage, flagFrom, flagBackup, flagIdentity,
			&cli.StringFlag{Name: "to-rs", Usage: "target replica set `NAME` from the config"},
			&cli.StringFlag{Name: "to-uri", Usage: "target `URI` (or set CITADEL_RESTORE_URI)", EnvVars: []string{"CITADEL_RESTORE_URI"}},
			&cli.StringSliceFlag{Name: "ns-include", Usage: "restore only namespaces matching `PATTERN` (db.coll, * wildcard); repeatable"},
			&cli.StringFlag{Name: "ns-from", Usage: "rename namespaces matching `PATTERN`…"},
			&cli.StringFlag{Name: "ns-to", Usage: "…to `PATTERN` (each * carries over)"},
			&cli.StringFlag{Name: "until", Usage: "replay the oplog up to `TIME` (RFC 3339), through archived PITR slices"},
			&cli.BoolFlag{Name: "drop", Usage: "drop target collections that already exist (lists them and asks first, unless --yes)"},
			&cli.BoolFlag{Name: "yes", Usage: "do not ask before --drop drops existing collections (needed when not on a terminal)"},
			&cli.BoolFlag{Name: "skip-precheck", Usage: "do not check every object's size and SHA-256 before writing (a damaged object then fails midway; what was created is dropped)"},
			&cli.BoolFlag{Name: "read-back", Usage: "also read every restored collection back and check its digest (a full scan; for drills)"},
			&cli.IntFlag{Name: "parallelism", Usage: "collections restored at once", Value: 4},
		},
	}
}

func (e *env) restore(c *cli.Context) error {
	if _, err := positional(c, 1, 1, "ID|latest (--to-rs NAME | --to-uri URI) [--until TIME]"); err != nil {
		return err
	}
	until, err := parseUntil(c.String("until"))
	if err != nil {
		return err
	}
	loc, err := e.locate(c)
	if err != nil {
		return err
	}
	env, _ := e.jobEnv(c, false)
	env.Progress = progress.New()
	stop := e.showProgress(c.Context, env.Progress, "restore")
	rep, err := jobs.Restore(c.Context, env, jobs.RestoreRequest{Location: loc, ID: c.Args().First(), Until: until,
		ToReplicaSet: c.String("to-rs"), ToURI: c.String("to-uri"), Include: c.StringSlice("ns-include"), From: c.String("ns-from"),
		To: c.String("ns-to"), Drop: c.Bool("drop"), ConfirmDrop: e.confirmDrop(c), SkipPrecheck: c.Bool("skip-precheck"),
		ReadBack: c.Bool("read-back"), Parallelism: c.Int("parallelism"), Identity: c.String("identity")})
	stop()
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, rep)
	}
	how := "by the digest of the acknowledged documents and the target's count"
	if rep.Verification == restore.VerifiedReadBack {
		how = "and read back"
	}
	fmt.Fprintf(e.stdout, "restored backup %s of %s: %d collections, %d documents verified against the manifest (%s); %d oplog entries replayed (%d slices) up to %s in %s\n",
		rep.Backup, rep.ReplicaSet, len(rep.Collections), rep.Documents, how, rep.OplogApplied, rep.Slices, rep.ReachedWall.Format(time.RFC3339Nano), rep.Duration.Round(time.Millisecond))
	e.printRestored(rep.Collections)
	return nil
}

// printRestored says where each collection went, as -o json does.
func (e *env) printRestored(colls []restore.Collection) {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  FROM → TO\tTYPE\tDOCUMENTS\tAFTER REPLAY\tINDEXES")
	for _, c := range colls {
		docs, final := strconv.FormatInt(c.Documents, 10), strconv.FormatInt(c.Final, 10)
		if c.Type != "collection" {
			docs, final = "-", "-"
		}
		fmt.Fprintf(w, "  %s → %s\t%s\t%s\t%s\t%d\n", c.Source, c.Target, c.Type, docs, final, c.Indexes)
	}
	w.Flush()
}

// confirmDrop lists what --drop will drop and asks on a terminal; without
// one it refuses (exit 4) unless --yes was given.
func (e *env) confirmDrop(c *cli.Context) func(context.Context, []restore.Existing) error {
	if !c.Bool("drop") || c.Bool("yes") {
		return nil
	}
	where := "the target"
	if rs := c.String("to-rs"); rs != "" {
		where = "replica set " + rs
	}
	return func(_ context.Context, drop []restore.Existing) error {
		fmt.Fprintf(e.stderr, "restore --drop will drop these from %s before restoring:\n", where)
		w := tabwriter.NewWriter(e.stderr, 0, 4, 2, ' ', 0)
		for _, d := range drop {
			fmt.Fprintf(w, "  %s\t%s\t%d documents\n", d.Namespace, d.Type, d.Documents)
		}
		w.Flush()
		return e.confirmYes(fmt.Sprintf("drop %d collection(s) of %s?", len(drop), where))
	}
}

func parseUntil(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fault.Usage(fmt.Sprintf("--until %q: write an RFC 3339 time such as 2026-03-01T14:30:00+01:00", s))
	}
	return t, nil
}
