package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/progress"
	"github.com/noscites/citadel/drill"
	"github.com/noscites/citadel/internal/fault"
)

func drillCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "drill",
		Usage: "rehearse a restore into a scratch target, verified, with measured RTO and RPO",
		Subcommands: []*cli.Command{
			{Name: "run", Usage: "run a drill now (exit 0 passed, 3 failed, 4 production target refused)", ArgsUsage: "[NAME]", Action: e.drillRun,
				Description: "Restores the newest complete backup of the drill's backup job (with PITR, to the newest restorable point) into\n" +
					"its scratch target with --drop semantics, through the code citadel restore runs, reading every collection back;\n" +
					"checks counts, content digests and index definitions against the manifest and that the target answers queries;\n" +
					"measures RTO (start to a verified, queryable target) and RPO (start minus the newest restorable point) against\n" +
					"max_rto and max_rpo; asks the restored copy the datasets' probes recorded in the manifest and compares the answers;\n" +
					"drops the scratch databases, even on failure; stores the report under <rs>/drills/ in the storage it read and,\n" +
					"when it failed, POSTs it to the drill's webhook. A target that is a production set of the configuration is\n" +
					"refused (exit 4).",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "backup", Usage: "backup `ID` to restore, or latest (default; a named backup restores to its own end)"},
					&cli.StringFlag{Name: "until", Usage: "restore to `TIME` (RFC 3339) through the PITR slices instead of the newest point"},
					&cli.StringFlag{Name: "from-storage", Usage: "restore from the copy in configured storage `NAME` (cross-site drill; overrides the drill's from_storage)"},
					flagIdentity, throughCoordinatorFlag(), directFlag(),
				}},
			{Name: "switchover", Usage: "rehearse a switchover to the other site and back under w:majority probe writes (exit 3 if any acknowledged write is lost)",
				Action: e.drillSwitchover, Flags: []cli.Flag{flagRS,
					&cli.DurationFlag{Name: "catch-up", Usage: "each switchover's catch-up wait", Value: 10 * time.Second},
					&cli.IntFlag{Name: "writes", Usage: "probe writes to attempt at least", Value: 1000},
					&cli.DurationFlag{Name: "interval", Usage: "time between probe writes", Value: 20 * time.Millisecond}}},
			{Name: "list", Usage: "list the stored drill reports, newest first", Action: e.drillList},
			{Name: "show", Usage: "print one drill report", ArgsUsage: "ID", Action: e.drillShow},
		},
	}
}

func (e *env) drillRun(c *cli.Context) error {
	args, err := positional(c, 0, 1, "[NAME] [--backup ID|latest] [--until TIME] [--from-storage NAME]")
	if err != nil {
		return err
	}
	until, err := parseUntil(c.String("until"))
	if err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	if e.viaCoordinator(c, env.Config) {
		return e.drillRunThroughCoordinator(c, env.Config, name)
	}
	env.Progress = progress.New()
	stop := e.showProgress(c.Context, env.Progress, "drill")
	rep, err := drill.Run(c.Context, env, drill.Request{Drill: name, Backup: c.String("backup"), Until: until,
		FromStorage: c.String("from-storage"), Identity: c.String("identity")})
	stop()
	return e.showDrill(rep, err)
}

func (e *env) drillList(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, ""); err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	res, err := drill.List(c.Context, env)
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		fmt.Fprintf(e.stderr, "citadel: warning: %s\n", p)
	}
	if e.json {
		return printJSON(e.stdout, res)
	}
	if len(res.Drills) == 0 {
		fmt.Fprintln(e.stdout, "no drill reports yet: run citadel drill run")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tDRILL\tRESULT\tSTARTED\tBACKUP\tSTORAGE\tRTO\tRPO")
	for _, d := range res.Drills {
		result := "passed"
		if !d.Passed {
			result = fmt.Sprintf("FAILED (%d reason(s))", d.Reasons)
		}
		st := d.Storage
		if d.CrossSite {
			st += " (copy)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Drill, result, d.Started.Format(time.RFC3339), d.Backup, st,
			d.RTO.Round(time.Millisecond), d.RPO.Round(time.Millisecond))
	}
	return w.Flush()
}

func (e *env) drillShow(c *cli.Context) error {
	args, err := positional(c, 1, 1, "ID")
	if err != nil {
		return err
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	rep, raw, err := drill.Show(c.Context, env, args[0])
	if err != nil {
		return err
	}
	if e.json {
		_, err := e.stdout.Write(raw)
		return err
	}
	e.printDrill(rep)
	if rep.Restore != nil {
		e.printRestored(rep.Restore.Collections)
	}
	return nil
}

// printDrill prints a report's human summary, details indented.
func (e *env) printDrill(rep *drill.Report) {
	for i, line := range rep.Lines() {
		if i > 0 {
			line = "  " + line
		}
		fmt.Fprintln(e.stdout, line)
	}
}

func (e *env) drillSwitchover(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "--rs NAME [--catch-up DURATION] [--writes N] [--interval DURATION]"); err != nil {
		return err
	}
	if c.String("rs") == "" {
		return fault.Usage("drill switchover: --rs NAME is required")
	}
	env, err := e.jobEnv(c, true)
	if err != nil {
		return err
	}
	rep, err := drill.Switchover(c.Context, env, drill.SwitchoverRequest{ReplicaSet: c.String("rs"), CatchUp: c.Duration("catch-up"),
		MinWrites: c.Int("writes"), Interval: c.Duration("interval")})
	if rep == nil {
		return err
	}
	if e.json {
		if perr := printJSON(e.stdout, rep); perr != nil {
			return perr
		}
		return err
	}
	for i, line := range rep.Lines() {
		if i > 0 {
			line = "  " + line
		}
		fmt.Fprintln(e.stdout, line)
	}
	return err
}

// showDrill prints a drill's report (JSON or the summary lines) and
// returns the drill's error, which sets the exit code; nothing is printed
// when the drill made no report.
func (e *env) showDrill(rep *drill.Report, err error) error {
	if rep == nil {
		return err
	}
	if e.json {
		if perr := printJSON(e.stdout, rep); perr != nil {
			return perr
		}
		return err
	}
	e.printDrill(rep)
	return err
}
