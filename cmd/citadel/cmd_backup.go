package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/units"
)

func backupCommand(e *env) *cli.Command {
	read := []cli.Flag{flagRS, flagStorage, flagFrom, flagBackup}
	return &cli.Command{
		Name:  "backup",
		Usage: "take, list, verify, copy and prune backups",
		Subcommands: []*cli.Command{
			{Name: "run", Usage: "take a snapshot backup now (then copy it to copy_to storages)", Action: e.backupRun,
				Flags: []cli.Flag{flagRS, flagStorage, flagBackup, &cli.BoolFlag{Name: "include-system", Usage: "also back up config and admin system collections"},
					throughCoordinatorFlag(), directFlag()}},
			{Name: "list", Usage: "list complete backups (--all: and incomplete ones, with their size)", Action: e.backupList,
				Flags: append(read, &cli.BoolFlag{Name: "all", Usage: "also list incomplete backups (interrupted runs: objects without a manifest, temporary files, empty directories)"})},
			{Name: "show", Usage: "print a backup's manifest", ArgsUsage: "ID|latest", Action: e.backupShow, Flags: read},
			{Name: "verify", Usage: "check every object (exit 3 on damage); --read-data decodes every document", ArgsUsage: "ID|latest", Action: e.backupVerify,
				Flags: append(read, flagIdentity, &cli.BoolFlag{Name: "read-data", Usage: "decrypt, decompress and decode every document and recompute digests"})},
			{Name: "prune", Usage: "remove backups and oplog slices outside the retention policy", Action: e.backupPrune,
				Flags: []cli.Flag{flagBackup, &cli.BoolFlag{Name: "dry-run", Usage: "list what would be removed"}}},
			{Name: "copy", Usage: "copy a backup to another storage, verified on arrival", ArgsUsage: "ID|latest", Action: e.backupCopy,
				Flags: append(read, &cli.StringFlag{Name: "to", Usage: "target storage `NAME` (required)"})},
			{Name: "pitr", Usage: "archive the oplog in slices, in the foreground, until interrupted", Action: e.backupPITR,
				Flags: []cli.Flag{flagRS, flagStorage, flagBackup}},
		},
	}
}

func (e *env) backupRun(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--rs NAME] [--storage NAME]"); err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	if e.viaCoordinator(c, env.Config) {
		return e.backupRunThroughCoordinator(c, env.Config)
	}
	env.Progress = progress.New()
	stop := e.showProgress(c.Context, env.Progress, "backup")
	res, err := jobs.Backup(c.Context, env, jobs.BackupRequest{Job: c.String("backup"), ReplicaSet: c.String("rs"),
		Storage: c.String("storage"), IncludeSystem: c.Bool("include-system")})
	stop()
	if res == nil {
		return err
	}
	if e.json {
		if perr := printJSON(e.stdout, res); perr != nil {
			return perr
		}
		return err // a failed copy: the backup above stands
	}
	e.printBackupRun(res)
	return err
}

// backupRunThroughCoordinator triggers the coordinator's job of the
// backup configuration asked and waits for it; the output is the direct
// run's. The job takes the configuration's backup as the servers know it:
// --include-system and another storage are not job parameters.
func (e *env) backupRunThroughCoordinator(c *cli.Context, cfg *config.Config) error {
	if c.Bool("include-system") {
		return fault.Usage("backup run: --include-system is not a coordinator job parameter: run it directly, without --coordinator")
	}
	b, err := jobs.PickBackup(cfg, c.String("backup"), c.String("rs"), c.String("storage"))
	if err != nil {
		return err
	}
	if st := c.String("storage"); st != "" && st != b.Storage {
		return fault.Usage(fmt.Sprintf("backup run: the coordinator's job of backup %s writes to %s, not %s: run it directly, without --coordinator", b.Name, b.Storage, st))
	}
	run, err := e.runThroughCoordinator(c, cfg, "backup", b.Name)
	if err != nil {
		return err
	}
	res, derr := coordinator.BackupResult(run)
	err = errors.Join(coordinator.Outcome("backup", run), derr)
	if res == nil {
		return err
	}
	if e.json {
		if perr := printJSON(e.stdout, res); perr != nil {
			return perr
		}
		return err
	}
	e.printBackupRun(res)
	return err
}

func (e *env) printBackupRun(res *jobs.BackupResult) {
	b := res.Backup
	fmt.Fprintf(e.stdout, "backup %s of %s complete in %s: %d collections, %d documents, %s stored, oplog %d entries up to %s\n",
		b.ID, b.ReplicaSet, b.Storage, b.Collections, b.Documents, units.Bytes(b.StoredBytes), b.Oplog, b.End.Format(time.RFC3339))
	for _, cr := range res.Copies {
		fmt.Fprintf(e.stdout, "copied to %s and verified (%d objects%s)\n", cr.To, cr.Objects, historyNote(cr.History))
	}
}

func (e *env) backupList(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--rs NAME] [--storage NAME]"); err != nil {
		return err
	}
	loc, err := e.locate(c)
	if err != nil {
		return err
	}
	all := c.Bool("all")
	res, err := jobs.List(c.Context, loc, all)
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, res.Backups)
	}
	e.printList(res.Backups, all)
	if res.Incomplete > 0 {
		fmt.Fprintf(e.stderr, "%d incomplete backup(s) (no manifest: interrupted runs) are not listed (--all lists them); prune removes them after a day\n", res.Incomplete)
	}
	return nil
}

// printList prints the table of backup list; with all, a STATE column
// says which backups are incomplete and why.
func (e *env) printList(out []jobs.Summary, all bool) {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	head := "ID\tREPLICA SET\tEND\tCOLLECTIONS\tDOCUMENTS\tSTORED\tENCRYPTED"
	if all {
		head += "\tSTATE"
	}
	fmt.Fprintln(w, head)
	for _, s := range out {
		if !s.Complete {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t%s\t-\tincomplete, last written %s: %s\n", s.ID, s.ReplicaSet, units.Bytes(s.StoredBytes), s.LastWritten.Format(time.RFC3339), s.Problem)
			continue
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%s\t%v", s.ID, s.ReplicaSet, s.End.Format(time.RFC3339), s.Collections, s.Documents, units.Bytes(s.StoredBytes), s.Encrypted)
		if all {
			line += "\tcomplete"
		}
		fmt.Fprintln(w, line)
	}
	w.Flush()
}

// backupID reads the one ID argument (applying flags written after it)
// and resolves the location.
func (e *env) backupID(c *cli.Context) (*jobs.Location, string, error) {
	if _, err := positional(c, 1, 1, "ID|latest [flags]"); err != nil {
		return nil, "", err
	}
	loc, err := e.locate(c)
	return loc, c.Args().First(), err
}

func (e *env) backupShow(c *cli.Context) error {
	loc, id, err := e.backupID(c)
	if err != nil {
		return err
	}
	m, err := jobs.Find(c.Context, loc, id)
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, m)
	}
	e.printManifest(m, loc.Storage)
	return nil
}

func (e *env) printManifest(m *manifest.Manifest, st storage.Storage) {
	fmt.Fprintf(e.stdout, "backup %s of %s in %s\nsource %s (%s)\nstart %s  end %s (%s)\n", m.ID, m.ReplicaSet, st, m.Source.Host, m.Source.State,
		m.Start.TS, m.End.TS, m.End.Wall.Format(time.RFC3339))
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tTYPE\tDOCUMENTS\tINDEXES\tSTORED")
	for _, col := range m.Collections {
		stored := col.Metadata.Size
		if col.Data != nil {
			stored += col.Data.Size
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", col.Namespace(), col.Type, col.Documents, col.Indexes, units.Bytes(stored))
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "oplog: %d entries, %s\n", m.Oplog.Entries, units.Bytes(m.Oplog.Object.Size))
}

func (e *env) backupVerify(c *cli.Context) error {
	loc, id, err := e.backupID(c)
	if err != nil {
		return err
	}
	env, _ := e.jobEnv(c, false)
	env.Progress = progress.New()
	stop := e.showProgress(c.Context, env.Progress, "verify")
	m, rep, verr := jobs.Verify(c.Context, env, jobs.VerifyRequest{Location: loc, ID: id, ReadData: c.Bool("read-data"), Identity: c.String("identity")})
	stop()
	if verr != nil && !errors.Is(verr, fault.ErrVerification) {
		return verr
	}
	if e.json {
		if err := printJSON(e.stdout, rep); err != nil {
			return err
		}
		if verr != nil {
			return silentError{verr}
		}
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stderr, "damaged: %s: %s\n", storage.Where(loc.Storage, p.Key), p.Problem)
	}
	if verr != nil {
		return verr
	}
	what := "size and SHA-256 of every object"
	if rep.ReadData {
		what = fmt.Sprintf("every object and %d documents, %d oplog entries decoded", rep.Documents, rep.OplogEntries)
	}
	fmt.Fprintf(e.stdout, "backup %s verified: %d objects, %s (%s)\n", m.ID, rep.Objects, units.Bytes(rep.StoredBytes), what)
	return nil
}

// backupPITR archives slices until Ctrl-C, then exits 130 once the slice
// in flight is written. With -o json it prints one JSON line per slice.
func (e *env) backupPITR(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--rs NAME] [--storage NAME]"); err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	return jobs.PITR(c.Context, env, jobs.PITRRequest{Job: c.String("backup"), ReplicaSet: c.String("rs"), Storage: c.String("storage"),
		OnStart: func(source, st string, every time.Duration) {
			fmt.Fprintf(e.stderr, "archiving the oplog from %s to %s every %s; Ctrl-C stops after the slice in flight\n", source, st, every)
		},
		OnSlice: func(s *manifest.Slice) {
			if e.json {
				_ = printJSONLine(e.stdout, s)
				return
			}
			fmt.Fprintf(e.stdout, "slice %s..%s: %d entries up to %s\n", s.After, s.Upper, s.Entries, s.Last.Wall.Format(time.RFC3339))
		},
		OnGap: func(g *manifest.Gap) {
			fmt.Fprintf(e.stderr, "GAP in the oplog archive of %s after %s: %s\n", g.ReplicaSet, g.After, g.Reason)
		},
	})
}
