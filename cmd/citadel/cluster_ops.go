package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster"
)

func (e *env) clusterSwitchover(c *cli.Context) error {
	ce, err := e.openCluster(c, "rs", "to-site")
	if err != nil {
		return err
	}
	defer ce.close()
	rep, err := ce.mgr.Switchover(c.Context, ce.sets[0], c.String("to-site"), c.Duration("catch-up"))
	if rep != nil {
		if perr := e.printSwitchover(rep); perr != nil {
			return perr
		}
	}
	return err
}

func (e *env) printSwitchover(rep *cluster.SwitchoverReport) error {
	if e.json {
		return printJSON(e.stdout, rep)
	}
	sp := rep.Plan
	if sp.AlreadyThere {
		fmt.Fprintf(e.stdout, "%s: the primary %s is already in %s; nothing to do\n", sp.Set, sp.Primary, sp.ToSite)
		return nil
	}
	verdict := "within"
	if !rep.WithinBound {
		verdict = "BEYOND"
	}
	fmt.Fprintf(e.stdout, "switchover of %s: primary %s (%s) → %s (%s)\n", sp.Set, sp.Primary, sp.FromSite, sp.Target, sp.ToSite)
	fmt.Fprintf(e.stdout, "  new primary after %.1fs, %s the bound of %.0fs (catch-up %s + election timeout + 2s)\n",
		rep.Took.D().Seconds(), verdict, sp.Bound.D().Seconds(), sp.CatchUp.D())
	fmt.Fprintf(e.stdout, "  writes unavailable for %.2fs (probe: %d writes acknowledged, %d failed, one every %s)\n",
		rep.Probe.Unavailable.D().Seconds(), rep.Probe.Writes, rep.Probe.Failures, rep.Probe.Interval.D())
	fmt.Fprintf(e.stdout, "  config version %d → %d; frozen during the election: %s\n", rep.VersionBefore, rep.VersionAfter, orNone(sp.Freeze))
	return nil
}

func (e *env) clusterFailover(c *cli.Context) error {
	ce, err := e.openCluster(c, "rs", "to-site")
	if err != nil {
		return err
	}
	defer ce.close()
	toSite := c.String("to-site")
	saver := cluster.FailoverSaver(ce.cfg, toSite, c.String("save-dir"), e.log)
	confirm := func(fp *cluster.FailoverPlan) error {
		if !e.json {
			e.printFailoverPlan(fp)
		}
		if c.Bool("yes") {
			return nil
		}
		return e.confirmTyped(fp.Set, fmt.Sprintf("this forces %s onto %s and can lose the writes only the lost site had; type the set name (%s) to go on: ", fp.Set, toSite, fp.Set))
	}
	rep, err := ce.mgr.Failover(c.Context, ce.sets[0], toSite, c.Bool("force"), saver, confirm)
	if rep != nil {
		if perr := e.printFailover(rep); perr != nil {
			return perr
		}
	}
	return err
}

func (e *env) printFailoverPlan(fp *cluster.FailoverPlan) {
	fmt.Fprintf(e.stdout, "failover of %s to %s: keep %d member(s), drop %s\n", fp.Set, fp.ToSite, len(fp.Survivors), orNone(fp.Lost))
	for _, s := range fp.Survivors {
		fmt.Fprintf(e.stdout, "  survivor %s (%s, %s): last optime %d.%d term %d", s.Host, s.Site, s.State, s.OpTime.TS.T, s.OpTime.TS.I, s.OpTime.Term)
		if !s.OpTimeDate.IsZero() {
			fmt.Fprintf(e.stdout, " at %s", s.OpTimeDate.UTC().Format("2006-01-02T15:04:05Z"))
		}
		fmt.Fprintln(e.stdout)
	}
	for _, ch := range fp.Changes {
		fmt.Fprintf(e.stdout, "  %s\n", ch)
	}
	fmt.Fprintf(e.stdout, "  the forced reconfig runs on %s (newest optime)\n", fp.RunOn)
}

func (e *env) printFailover(rep *cluster.FailoverReport) error {
	if e.json {
		return printJSON(e.stdout, rep)
	}
	if rep.SavedTo != "" {
		fmt.Fprintf(e.stdout, "previous config (version %d) saved to %s\n", rep.VersionBefore, rep.SavedTo)
	}
	if rep.NewPrimary == "" {
		return nil
	}
	fmt.Fprintf(e.stdout, "%s has a primary again: %s after %.1fs; config version %d → %d\n",
		rep.Plan.Set, rep.NewPrimary, rep.Took.D().Seconds(), rep.VersionBefore, rep.VersionAfter)
	if rep.MajorityWrite {
		fmt.Fprintln(e.stdout, "  a w:majority write was acknowledged")
	} else {
		fmt.Fprintln(e.stdout, "  WARNING: a w:majority write was not acknowledged; run citadel cluster status")
	}
	fmt.Fprintf(e.stdout, "when %s is back: citadel cluster rejoin --rs %s --site %s\n", lostSite(rep), rep.Plan.Set, lostSite(rep))
	return nil
}

func lostSite(rep *cluster.FailoverReport) string {
	for _, s := range rep.Plan.Previous.Members {
		if site := s.Tags["site"]; site != "" && site != rep.Plan.ToSite {
			return site
		}
	}
	return "SITE"
}

func (e *env) clusterRejoin(c *cli.Context) error {
	ce, err := e.openCluster(c, "rs", "site")
	if err != nil {
		return err
	}
	defer ce.close()
	rep, err := ce.mgr.Rejoin(c.Context, ce.sets[0], c.String("site"), cluster.RejoinOptions{
		AcceptUnexamined: c.Bool("accept-unexamined"),
		Rollback:         cluster.RollbackStoreFor(ce.cfg, ce.sets[0].Name, c.String("save-dir"), e.log),
		OnRollback:       e.rollbackPrinter(),
		Progress:         e.stepPrinter(),
	})
	if rep != nil {
		if perr := e.printRejoin(rep, err); perr != nil {
			return perr
		}
	}
	return err
}

// printRejoin prints the report; after a refusal or a failure (err) the
// table says only how far it got, the error says why.
func (e *env) printRejoin(rep *cluster.RejoinReport, err error) error {
	if e.json {
		return printJSON(e.stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "%s: rejoin of site %s stopped after %d step(s); config version %d → %d\n", rep.Set, rep.Site, len(rep.Steps), rep.VersionBefore, rep.VersionAfter)
		return nil
	}
	if len(rep.Rollback) == 0 && len(rep.Steps) == 0 {
		fmt.Fprintf(e.stdout, "%s: every member of %s is already in the set\n", rep.Set, rep.Site)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: site %s rejoined, config version %d → %d; primary stays %s\n", rep.Set, rep.Site, rep.VersionBefore, rep.VersionAfter, rep.Primary)
	for _, m := range rep.Members {
		fmt.Fprintf(e.stdout, "  %s %s (priority %g, votes %d)\n", m.Host, m.State, m.Priority, m.Votes)
	}
	fmt.Fprintf(e.stdout, "to move the primary back: citadel cluster switchover --rs %s --to-site %s\n", rep.Set, rep.Site)
	return nil
}

// rollbackPrinter prints, before any member is added back, what each
// returning member holds that mongod will roll back and where those
// documents were saved (table output only; the JSON report carries it too).
func (e *env) rollbackPrinter() func(*cluster.RejoinReport) {
	if e.json {
		return nil
	}
	return func(rep *cluster.RejoinReport) {
		saved := 0
		for _, r := range rep.Rollback {
			fmt.Fprintf(e.stdout, "rollback: %s\n", r.Sentence())
			saved += r.Saved
		}
		if rep.RollbackSavedTo != "" {
			fmt.Fprintf(e.stdout, "rollback: %d document(s) saved to %s\n", saved, rep.RollbackSavedTo)
		}
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
