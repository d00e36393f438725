package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// backupPrune applies each backup configuration's retention to its storage
// and to every copy_to storage.
func (e *env) backupPrune(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--dry-run] [--backup NAME]"); err != nil {
		return err
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	var jobs []*config.Backup
	if name := c.String("backup"); name != "" {
		b, err := pickBackup(cfg, name, "", "")
		if err != nil {
			return err
		}
		jobs = append(jobs, b)
	} else {
		for i := range cfg.Backups {
			jobs = append(jobs, &cfg.Backups[i])
		}
	}
	var results []catalog.PruneResult
	for _, b := range jobs {
		pol, err := backup.Policy(b)
		if err != nil {
			return err
		}
		for _, name := range append([]string{b.Storage}, b.CopyTo...) {
			sc := cfg.Storage(name)
			if sc == nil {
				return fault.Usage(fmt.Sprintf("backup %s: unknown storage %q", b.Name, name))
			}
			st, err := backup.OpenStorage(sc)
			if err != nil {
				return err
			}
			res, err := catalog.Prune(c.Context, st, b.ReplicaSet, catalog.PruneOptions{Policy: pol, DryRun: c.Bool("dry-run"), Now: time.Now()})
			if err != nil {
				return err
			}
			results = append(results, res)
		}
	}
	if e.json {
		if results == nil {
			results = []catalog.PruneResult{}
		}
		return printJSON(e.stdout, results)
	}
	for _, r := range results {
		e.printPrune(r)
	}
	return nil
}

func (e *env) printPrune(r catalog.PruneResult) {
	verb := "removed"
	if r.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(e.stdout, "%s, replica set %s:\n", r.Storage, r.ReplicaSet)
	for _, d := range r.Plan.Backups {
		mark := "keep  "
		if !d.Keep {
			mark = "remove"
		}
		fmt.Fprintf(e.stdout, "  %s %s  %v\n", mark, d.ID, d.Reasons)
	}
	fmt.Fprintf(e.stdout, "  oplog slices: %d kept, %s %d\n", r.Plan.KeptSlices, verb, len(r.Plan.DeleteSlices))
	for _, l := range r.Leftovers {
		fmt.Fprintf(e.stdout, "  %s leftover of an unfinished write: %s (%s, last written %s)\n", verb, l.Key, humanBytes(l.Size), l.Modified.Format(time.RFC3339))
	}
	if !r.DryRun {
		fmt.Fprintf(e.stdout, "  %d objects and %d leftovers of unfinished writes removed, %s freed\n", r.DeletedObjects, r.RemovedLeftovers, humanBytes(r.FreedBytes))
	}
	for _, k := range r.Locked {
		fmt.Fprintf(e.stdout, "  locked (object lock), left in place: %s\n", k)
	}
}

func (e *env) backupCopy(c *cli.Context) error {
	loc, m, err := e.openBackup(c)
	if err != nil {
		return err
	}
	if c.String("to") == "" {
		return fault.Usage("backup copy: --to STORAGE is required")
	}
	if loc.cfg == nil {
		return fault.Usage("backup copy --to names a configured storage: give --config")
	}
	sc := loc.cfg.Storage(c.String("to"))
	if sc == nil {
		return fault.Usage(fmt.Sprintf("no storage named %q in %s", c.String("to"), loc.cfg.File))
	}
	dst, err := backup.OpenStorage(sc)
	if err != nil {
		return err
	}
	res, err := catalog.Copy(c.Context, loc.st, dst, m, catalog.CopyOptions{Put: backup.PutOptions(sc, time.Now())})
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, res)
	}
	if res.AlreadyPresent {
		fmt.Fprintf(e.stdout, "backup %s already in %s and verified\n", m.ID, dst)
		return nil
	}
	fmt.Fprintf(e.stdout, "backup %s copied to %s and verified on arrival: %d objects, %s\n", m.ID, dst, res.Objects, humanBytes(res.Bytes))
	return nil
}
