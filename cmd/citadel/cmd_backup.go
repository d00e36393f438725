package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/pitr"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/backup/snapshot"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func backupCommand(e *env) *cli.Command {
	read := []cli.Flag{flagRS, flagStorage, flagFrom, flagBackup}
	return &cli.Command{
		Name:  "backup",
		Usage: "take, list, verify, copy and prune backups",
		Subcommands: []*cli.Command{
			{Name: "run", Usage: "take a snapshot backup now (then copy it to copy_to storages)", Action: e.backupRun,
				Flags: []cli.Flag{flagRS, flagStorage, flagBackup, &cli.BoolFlag{Name: "include-system", Usage: "also back up config and admin system collections"}}},
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

// runTarget is everything a backup run needs from the configuration.
type runTarget struct {
	cfg     *config.Config
	backup  *config.Backup
	rs      *config.ReplicaSet
	storage *config.Storage
	st      storage.Storage
}

func (e *env) runTarget(c *cli.Context) (*runTarget, error) {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return nil, err
	}
	b, err := pickBackup(cfg, c.String("backup"), c.String("rs"), c.String("storage"))
	if err != nil {
		return nil, err
	}
	t := &runTarget{cfg: cfg, backup: b, rs: cfg.ReplicaSet(b.ReplicaSet), storage: cfg.Storage(b.Storage)}
	if t.rs == nil || t.storage == nil {
		return nil, fault.Usage(fmt.Sprintf("backup %s names an unknown replica set or storage", b.Name))
	}
	t.st, err = backup.OpenStorage(t.storage)
	return t, err
}

func (e *env) backupRun(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--rs NAME] [--storage NAME]"); err != nil {
		return err
	}
	t, err := e.runTarget(c)
	if err != nil {
		return err
	}
	codec, recipients, err := backup.Codec(t.backup)
	if err != nil {
		return err
	}
	ctx := c.Context
	client, src, err := backup.ConnectSource(ctx, t.cfg, t.rs, t.storage.Site, t.backup.Source)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	tr := progress.New()
	stop := e.showProgress(ctx, tr, "backup")
	m, err := snapshot.Run(ctx, client, snapshot.Options{Storage: t.st, Codec: codec, Recipients: recipients,
		Put: backup.PutOptions(t.storage, time.Now()), Source: src, Parallelism: t.backup.Parallelism,
		IncludeSystem: c.Bool("include-system"), Tool: "citadel " + version, Progress: tr, Logger: e.log.With("cmd", "backup run")})
	stop()
	if err != nil {
		return err
	}
	res := runResult{Backup: summarize(m, t.st), Copies: []catalog.CopyResult{}}
	for _, name := range t.backup.CopyTo {
		sc := t.cfg.Storage(name)
		dst, err := backup.OpenStorage(sc)
		if err != nil {
			return err
		}
		cr, err := catalog.Copy(ctx, t.st, dst, m, catalog.CopyOptions{Put: backup.PutOptions(sc, time.Now())})
		if err != nil {
			return fmt.Errorf("backup %s is complete in %s but its copy failed: %w", m.ID, t.st, err)
		}
		res.Copies = append(res.Copies, cr)
	}
	if e.json {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "backup %s of %s complete in %s: %d collections, %d documents, %s stored, oplog %d entries up to %s\n",
		m.ID, m.ReplicaSet, t.st, m.Totals.Collections, m.Totals.Documents, humanBytes(m.Totals.StoredBytes), m.Oplog.Entries, m.End.Wall.Format(time.RFC3339))
	for _, cr := range res.Copies {
		fmt.Fprintf(e.stdout, "copied to %s and verified (%d objects)\n", cr.To, cr.Objects)
	}
	return nil
}

type runResult struct {
	Backup summary              `json:"backup"`
	Copies []catalog.CopyResult `json:"copies"`
}

// summary is one line of `backup list` and the JSON of a run.
type summary struct {
	ID          string    `json:"id"`
	ReplicaSet  string    `json:"replica_set"`
	Storage     string    `json:"storage"`
	End         time.Time `json:"end"`
	Collections int       `json:"collections"`
	Documents   int64     `json:"documents"`
	StoredBytes int64     `json:"stored_bytes"`
	Oplog       int64     `json:"oplog_entries"`
	Encrypted   bool      `json:"encrypted"`
	Source      string    `json:"source"`
	Complete    bool      `json:"complete"`
	// For an incomplete backup (backup list --all): what is wrong, and
	// its newest write; StoredBytes then counts everything it occupies.
	Problem     string    `json:"problem,omitempty"`
	LastWritten time.Time `json:"last_written,omitzero"`
}

func summarize(m *manifest.Manifest, st storage.Storage) summary {
	return summary{ID: m.ID, ReplicaSet: m.ReplicaSet, Storage: st.String(), End: m.End.Wall, Collections: m.Totals.Collections,
		Documents: m.Totals.Documents, StoredBytes: m.Totals.StoredBytes, Oplog: m.Oplog.Entries, Encrypted: m.Encrypted(), Source: m.Source.Host, Complete: true}
}

// summarizeIncomplete describes a directory that is not a usable backup.
func summarizeIncomplete(en catalog.Entry, st storage.Storage) summary {
	problem := en.Problem
	if problem == "" {
		problem = fmt.Sprintf("no manifest (an interrupted run): %d objects, %d leftovers of unfinished writes", len(en.Objects), len(en.Leftovers))
	}
	return summary{ID: en.ID, ReplicaSet: en.ReplicaSet, Storage: st.String(), StoredBytes: en.Stored + en.LeftoverBytes, Problem: problem, LastWritten: en.Newest}
}

func (e *env) backupList(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--rs NAME] [--storage NAME]"); err != nil {
		return err
	}
	loc, err := e.readLocation(c)
	if err != nil {
		return err
	}
	entries, err := catalog.List(c.Context, loc.st, loc.rs)
	if err != nil {
		return err
	}
	out := []summary{}
	incomplete, all := 0, c.Bool("all")
	for _, en := range entries {
		switch {
		case en.Complete:
			out = append(out, summarize(en.Manifest, loc.st))
		case all:
			out = append(out, summarizeIncomplete(en, loc.st))
		default:
			incomplete++
		}
	}
	if e.json {
		return printJSON(e.stdout, out)
	}
	e.printList(out, all)
	if incomplete > 0 {
		fmt.Fprintf(e.stderr, "%d incomplete backup(s) (no manifest: interrupted runs) are not listed (--all lists them); prune removes them after a day\n", incomplete)
	}
	return nil
}

// printList prints the table of backup list; with all, a STATE column
// says which backups are incomplete and why.
func (e *env) printList(out []summary, all bool) {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	head := "ID\tREPLICA SET\tEND\tCOLLECTIONS\tDOCUMENTS\tSTORED\tENCRYPTED"
	if all {
		head += "\tSTATE"
	}
	fmt.Fprintln(w, head)
	for _, s := range out {
		if !s.Complete {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t%s\t-\tincomplete, last written %s: %s\n", s.ID, s.ReplicaSet, humanBytes(s.StoredBytes), s.LastWritten.Format(time.RFC3339), s.Problem)
			continue
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%s\t%v", s.ID, s.ReplicaSet, s.End.Format(time.RFC3339), s.Collections, s.Documents, humanBytes(s.StoredBytes), s.Encrypted)
		if all {
			line += "\tcomplete"
		}
		fmt.Fprintln(w, line)
	}
	w.Flush()
}

// openBackup reads the one ID argument (applying flags written after it),
// opens the storage and finds the backup's manifest.
func (e *env) openBackup(c *cli.Context) (*location, *manifest.Manifest, error) {
	if _, err := positional(c, 1, 1, "ID|latest [flags]"); err != nil {
		return nil, nil, err
	}
	loc, err := e.readLocation(c)
	if err != nil {
		return nil, nil, err
	}
	m, err := catalog.Find(c.Context, loc.st, loc.rs, c.Args().First())
	if err != nil {
		return nil, nil, err
	}
	return loc, m, nil
}

func (e *env) backupShow(c *cli.Context) error {
	loc, m, err := e.openBackup(c)
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, m)
	}
	fmt.Fprintf(e.stdout, "backup %s of %s in %s\nsource %s (%s)\nstart %s  end %s (%s)\n", m.ID, m.ReplicaSet, loc.st, m.Source.Host, m.Source.State,
		m.Start.TS, m.End.TS, m.End.Wall.Format(time.RFC3339))
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tTYPE\tDOCUMENTS\tINDEXES\tSTORED")
	for _, col := range m.Collections {
		stored := col.Metadata.Size
		if col.Data != nil {
			stored += col.Data.Size
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", col.Namespace(), col.Type, col.Documents, col.Indexes, humanBytes(stored))
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "oplog: %d entries, %s\n", m.Oplog.Entries, humanBytes(m.Oplog.Object.Size))
	return nil
}

func (e *env) backupVerify(c *cli.Context) error {
	loc, m, err := e.openBackup(c)
	if err != nil {
		return err
	}
	ids, err := backup.Identities(c.String("identity"), loc.backup)
	if err != nil {
		return err
	}
	rep, verr := catalog.Verify(c.Context, loc.st, m, catalog.VerifyOptions{ReadData: c.Bool("read-data"), Identities: ids})
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
		fmt.Fprintf(e.stderr, "damaged: %s: %s\n", storage.Where(loc.st, p.Key), p.Problem)
	}
	if verr != nil {
		return verr
	}
	what := "size and SHA-256 of every object"
	if rep.ReadData {
		what = fmt.Sprintf("every object and %d documents, %d oplog entries decoded", rep.Documents, rep.OplogEntries)
	}
	fmt.Fprintf(e.stdout, "backup %s verified: %d objects, %s (%s)\n", m.ID, rep.Objects, humanBytes(rep.StoredBytes), what)
	return nil
}

func (e *env) backupPITR(c *cli.Context) error {
	t, err := e.runTarget(c)
	if err != nil {
		return err
	}
	codec, recipients, err := backup.Codec(t.backup)
	if err != nil {
		return err
	}
	client, src, err := backup.ConnectSource(c.Context, t.cfg, t.rs, t.storage.Site, t.backup.Source)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.WithoutCancel(c.Context))
	log := e.log.With("cmd", "backup pitr", "rs", t.rs.Name, "source", src.Host)
	a := &pitr.Archiver{Client: client, Storage: t.st, Codec: codec, Recipients: recipients, Put: backup.PutOptions(t.storage, time.Now()),
		Slice: t.backup.PITR.SliceOr(), Logger: log,
		OnSlice: func(s *manifest.Slice) {
			if e.json {
				_ = printJSON(e.stdout, s)
				return
			}
			fmt.Fprintf(e.stdout, "slice %s..%s: %d entries up to %s\n", s.After, s.Upper, s.Entries, s.Last.Wall.Format(time.RFC3339))
		},
		OnGap: func(g pitr.Gap) {
			fmt.Fprintf(e.stderr, "GAP in the oplog archive of %s after %s: %s\n", g.ReplicaSet, g.After, g.Reason)
		},
	}
	fmt.Fprintf(e.stderr, "archiving the oplog of %s from %s to %s every %s; Ctrl-C stops\n", t.rs.Name, src.Host, t.st, a.Slice)
	return a.Run(c.Context)
}
