package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/units"
)

// backupPrune applies each backup configuration's retention to its storage
// and to every copy_to storage.
func (e *env) backupPrune(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--dry-run] [--backup NAME]"); err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	results, err := jobs.Prune(c.Context, env, jobs.PruneRequest{Job: c.String("backup"), DryRun: c.Bool("dry-run")})
	if err != nil {
		return err
	}
	if e.json {
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
	for _, k := range r.DrillReports {
		fmt.Fprintf(e.stdout, "  %s drill report %s (beyond retention.drill_reports)\n", verb, k)
	}
	for _, l := range r.Leftovers {
		fmt.Fprintf(e.stdout, "  %s leftover of an unfinished write: %s (%s, last written %s)\n", verb, l.Key, units.Bytes(l.Size), l.Modified.Format(time.RFC3339))
	}
	if !r.DryRun {
		fmt.Fprintf(e.stdout, "  %d objects and %d leftovers of unfinished writes removed, %s freed\n", r.DeletedObjects, r.RemovedLeftovers, units.Bytes(r.FreedBytes))
	}
	for _, k := range r.Locked {
		fmt.Fprintf(e.stdout, "  locked (object lock), left in place: %s\n", k)
	}
}

func (e *env) backupCopy(c *cli.Context) error {
	loc, id, err := e.backupID(c)
	if err != nil {
		return err
	}
	if loc.Config == nil {
		return fault.Usage("backup copy --to names a configured storage: give --config")
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	env.Progress = progress.New()
	stop := e.showProgress(c.Context, env.Progress, "copy")
	res, err := jobs.Copy(c.Context, env, jobs.CopyRequest{Location: loc, ID: id, To: c.String("to")})
	stop()
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, res)
	}
	if res.AlreadyPresent {
		fmt.Fprintf(e.stdout, "backup %s already in %s and verified%s\n", res.ID, res.To, historyNote(res.History))
		return nil
	}
	fmt.Fprintf(e.stdout, "backup %s copied to %s and verified on arrival: %d objects, %s%s\n", res.ID, res.To, res.Objects, units.Bytes(res.Bytes), historyNote(res.History))
	return nil
}

// historyNote says what PITR history a copy brought along.
func historyNote(h *catalog.HistoryResult) string {
	if h == nil || h.Slices+h.SlicesPresent+h.Gaps == 0 {
		return ""
	}
	s := fmt.Sprintf("; oplog slices: %d copied, %d already there", h.Slices, h.SlicesPresent)
	if h.Gaps > 0 {
		s += fmt.Sprintf(", %d gap records", h.Gaps)
	}
	return s
}
