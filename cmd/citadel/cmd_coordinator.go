package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/fault"
)

// coordinatorFlag is --coordinator URL (CITADEL_COORDINATOR) of the
// commands that read or drive the group. A new flag per command tree:
// urfave/cli writes a flag's Value from its environment variable, so a
// shared flag would carry one run's CITADEL_COORDINATOR into the next run
// of the same process (tests, the sandbox).
func coordinatorFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "coordinator", Usage: "a coordinator node's API `URL` (default: the configured nodes)", EnvVars: []string{"CITADEL_COORDINATOR"}}
}

func coordinatorCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "coordinator",
		Usage: "the coordinator group: status of every node, recovery after a site loss",
		Subcommands: []*cli.Command{
			{Name: "status", Usage: "role, term, last contact and applied index of every node", Action: e.coordinatorStatus,
				Flags: []cli.Flag{coordinatorFlag()}},
			{Name: "jobs", Usage: "the group's jobs: kind, schedule, next slot, last run", Action: e.coordinatorJobs,
				Flags: []cli.Flag{coordinatorFlag()}},
			{Name: "run", Usage: "run a job now through any node (followers forward) and wait for its end (exit 1 failed, 3 did not verify, 4 already running)",
				ArgsUsage: "JOB", Action: e.coordinatorRun, Flags: []cli.Flag{coordinatorFlag(),
					&cli.BoolFlag{Name: "no-wait", Usage: "return once the run started"},
					&cli.DurationFlag{Name: "timeout", Value: 12 * time.Hour, Usage: "stop waiting after `D` (exit 1; the run goes on)"}}},
			{Name: "runs", Usage: "a job's runs, newest first", ArgsUsage: "JOB", Action: e.coordinatorRuns,
				Flags: []cli.Flag{coordinatorFlag(), &cli.IntFlag{Name: "limit", Value: 20, Usage: "at most `N` runs"}}},
			{Name: "recover", Usage: "rebuild the group from the survivors of a site loss (citadel server stopped on this node; run it on every survivor)",
				Action: e.coordinatorRecover, Flags: []cli.Flag{flagNodeID, flagDataDir,
					&cli.StringFlag{Name: "survivors", Usage: "comma-separated `IDS` of the surviving nodes (required), the same list on every survivor"}}},
		},
	}
}

func (e *env) coordinatorStatus(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--coordinator URL]"); err != nil {
		return err
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	access, err := coordinator.AccessFromConfig(cfg.Coordinator, "citadel coordinator status")
	if err != nil {
		return fault.Wrap(fault.ErrUsage, err, cfg.File)
	}
	gs, err := coordinator.Status(c.Context, access, c.String("coordinator"), cfg.Coordinator.Nodes)
	if err != nil {
		return err
	}
	if e.json {
		err = printJSON(e.stdout, gs)
	} else {
		e.printGroupStatus(gs)
	}
	if err == nil && gs.Leader == "" {
		err = errors.New("coordinator status: no node knows a leader: a quorum of voters must run (after a site loss see docs/coordinator-site-loss.md)")
	}
	return err
}

func (e *env) printGroupStatus(gs coordinator.GroupStatus) {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tSITE\tROLE\tVOTER\tTERM\tLAST CONTACT\tAPPLIED\tCOMMIT\tHTTP")
	for _, n := range gs.Nodes {
		if n.Status == nil {
			fmt.Fprintf(w, "%s\t%s\tunreachable\t%v\t-\t-\t-\t-\t%s\n", n.ID, n.Site, n.Voter, n.HTTPAddress)
			continue
		}
		s := n.Status
		contact := "-"
		if !s.LastContact.IsZero() {
			contact = time.Since(s.LastContact).Round(time.Millisecond).String() + " ago"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%d\t%s\t%d\t%d\t%s\n", n.ID, n.Site, strings.ToLower(s.State), n.Voter, s.Term, contact, s.AppliedIndex, s.CommitIndex, n.HTTPAddress)
	}
	w.Flush()
	for _, n := range gs.Nodes {
		if n.Error != "" {
			fmt.Fprintf(e.stderr, "%s: %s\n", n.ID, n.Error)
		}
	}
	if gs.Leader != "" {
		fmt.Fprintf(e.stdout, "leader: %s\n", gs.Leader)
	}
}

func (e *env) coordinatorRecover(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "--survivors ID,... [--node-id ID] [--data-dir DIR]"); err != nil {
		return err
	}
	var ids []string
	for _, id := range strings.Split(c.String("survivors"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return fault.Usage("coordinator recover: --survivors ID,... is required: the ids of the nodes that survived, the same list on each of them")
	}
	opts, _, err := e.coordinatorOptions(c)
	if err != nil {
		return err
	}
	opts.Log = e.log
	if err := coordinator.Recover(opts, ids); err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, map[string]any{"node": opts.NodeID, "data_dir": opts.DataDir, "survivors": ids})
	}
	fmt.Fprintf(e.stdout, "node %s: raft configuration rewritten to %s (data in %s)\n", opts.NodeID, strings.Join(ids, ", "), opts.DataDir)
	fmt.Fprintf(e.stdout, "next: run this on every other survivor with the same --survivors, then start citadel server on each\n")
	return nil
}

// connectJobs loads the config and connects its jobs client.
func (e *env) connectJobs(c *cli.Context) (*coordinator.JobsClient, error) {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return nil, err
	}
	return e.jobsClient(c, cfg)
}

// jobsClient connects to the first coordinator node that answers:
// --coordinator URL (CITADEL_COORDINATOR), else the configured nodes.
func (e *env) jobsClient(c *cli.Context, cfg *config.Config) (*coordinator.JobsClient, error) {
	access, err := coordinator.AccessFromConfig(cfg.Coordinator, audit.Operator())
	if err != nil {
		return nil, fault.Wrap(fault.ErrUsage, err, cfg.File)
	}
	return coordinator.ConnectJobs(c.Context, access, c.String("coordinator"), cfg.Coordinator.Nodes)
}

func (e *env) coordinatorJobs(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--coordinator URL]"); err != nil {
		return err
	}
	jc, err := e.connectJobs(c)
	if err != nil {
		return err
	}
	js, err := jc.Jobs(c.Context)
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, js)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "JOB\tKIND\tSCHEDULE\tZONE\tNEXT\tLAST RUN\tLAST SUCCESS")
	for _, j := range js {
		last, ok := "-", "-"
		if j.Last != nil {
			last = j.Last.State + " " + j.Last.Start.Local().Format(time.RFC3339)
		}
		if !j.State.LastSuccess.IsZero() {
			ok = j.State.LastSuccess.Local().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, j.Kind, j.Schedule, cmp.Or(j.Timezone, config.DefaultTimezone), timeOrDash(j.Next), last, ok)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "%d job(s), read from %s\n", len(js), jc.Node())
	return nil
}

func (e *env) coordinatorRuns(c *cli.Context) error {
	args, err := positional(c, 1, 1, "JOB [--limit N] [--coordinator URL]")
	if err != nil {
		return err
	}
	if c.Int("limit") <= 0 {
		return fault.Usage("--limit wants a positive number of runs")
	}
	jc, err := e.connectJobs(c)
	if err != nil {
		return err
	}
	runs, err := jc.History(c.Context, args[0], c.Int("limit"))
	if err != nil {
		return err
	}
	if e.json {
		if runs == nil {
			runs = []store.Run{}
		}
		return printJSON(e.stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintf(e.stdout, "job %s has not run yet (read from %s): citadel coordinator run %s starts it\n", args[0], jc.Node(), args[0])
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tTRIGGER\tATTEMPT\tSTATE\tHOLDER\tSTART\tDURATION\tWHO\tERROR")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Trigger, r.Attempt, r.State, cmp.Or(r.Holder, "-"),
			r.Start.Local().Format(time.RFC3339), runDuration(r), cmp.Or(r.Who, "-"), shorten(cmp.Or(r.Error, r.Reason, "-"), 100))
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "%d run(s), newest first, read from %s (-o json: the whole errors and results)\n", len(runs), jc.Node())
	return nil
}

func (e *env) coordinatorRun(c *cli.Context) error {
	args, err := positional(c, 1, 1, "JOB [--no-wait] [--timeout D] [--coordinator URL]")
	if err != nil {
		return err
	}
	jc, err := e.connectJobs(c)
	if err != nil {
		return err
	}
	job, err := jc.Job(c.Context, args[0])
	if err != nil {
		return err
	}
	timeout := c.Duration("timeout")
	if c.Bool("no-wait") {
		timeout = -1
	}
	run, err := e.triggerAndWait(c, jc, job.Name, timeout)
	if (err != nil && run.ID == "") || errors.Is(err, fault.ErrRefused) {
		return err
	}
	if e.json {
		if perr := printJSON(e.stdout, run); perr != nil {
			return perr
		}
	} else {
		e.printRunEnd(job.Kind, run)
	}
	if err != nil || !run.Finished() {
		return err
	}
	return coordinator.Outcome(job.Kind, run)
}

// triggerAndWait starts a run of job and, unless timeout is negative,
// waits for its end (timeout 0: until ctx ends), telling stderr what
// happens meanwhile: stdout is the same as the direct command's.
func (e *env) triggerAndWait(c *cli.Context, jc *coordinator.JobsClient, job string, timeout time.Duration) (store.Run, error) {
	run, err := jc.Trigger(c.Context, job)
	if err != nil {
		return run, err
	}
	fmt.Fprintf(e.stderr, "run %s of %s started on %s (token %d) through %s\n", run.ID, job, run.Holder, run.Token, jc.Node())
	if timeout < 0 {
		return run, nil
	}
	return jc.Wait(c.Context, run, coordinator.WaitOptions{Timeout: timeout, OnChange: func(r store.Run) {
		if r.ID != run.ID {
			fmt.Fprintf(e.stderr, "run %s was taken over: now run %s on %s (attempt %d)\n", run.ID, r.ID, r.Holder, r.Attempt)
			run = r
		}
	}})
}

// runThroughCoordinator runs the configured job of a backup or drill
// (kind, name) on the coordinator and waits for its end.
func (e *env) runThroughCoordinator(c *cli.Context, cfg *config.Config, kind, name string) (store.Run, error) {
	jc, err := e.jobsClient(c, cfg)
	if err != nil {
		return store.Run{}, err
	}
	job, err := jc.JobFor(c.Context, kind, name)
	if err != nil {
		return store.Run{}, err
	}
	return e.triggerAndWait(c, jc, job.Name, 0)
}

// printRunEnd prints a run's state and the job layer's result as the
// direct command prints it (a backup, a drill report), else its JSON.
func (e *env) printRunEnd(kind string, r store.Run) {
	if !r.Finished() {
		fmt.Fprintf(e.stdout, "run %s of %s is %s on %s since %s\n", r.ID, r.Job, r.State, r.Holder, r.Start.Local().Format(time.RFC3339))
		return
	}
	fmt.Fprintf(e.stdout, "run %s of %s %s on %s in %s\n", r.ID, r.Job, r.State, cmp.Or(r.Holder, "-"), runDuration(r))
	switch kind {
	case "backup":
		if res, err := coordinator.BackupResult(r); err == nil && res != nil {
			e.printBackupRun(res)
			return
		}
	case "drill":
		if rep, err := coordinator.DrillReport(r); err == nil && rep != nil {
			e.printDrill(rep)
			return
		}
	}
	if len(r.Result) > 0 {
		var v any
		if json.Unmarshal(r.Result, &v) == nil {
			printJSON(e.stdout, v)
		}
	}
}

func runDuration(r store.Run) string {
	if r.End.IsZero() || r.Start.IsZero() {
		return "-"
	}
	return r.End.Sub(r.Start).Round(time.Millisecond).String()
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}

// throughCoordinatorFlag is --coordinator on the commands that can run
// either directly or as the coordinator's job (backup run, drill run).
// Disaster commands (restore, failover, verify, rejoin) never take it:
// they must work with the coordinator gone.
func throughCoordinatorFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "coordinator", EnvVars: []string{"CITADEL_COORDINATOR"},
		Usage: "run it as the coordinator's job through the node at `URL` and wait for it (default: directly)"}
}

// directFlag makes a backup or drill run here whatever the rest says.
func directFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: "direct", Usage: "run it here, even with --coordinator, CITADEL_COORDINATOR or coordinator.cli: coordinator"}
}

// viaCoordinator says whether a backup or drill run goes through the
// coordinator: not with --direct; with --coordinator URL or
// CITADEL_COORDINATOR, or the config's coordinator.cli: coordinator.
func (e *env) viaCoordinator(c *cli.Context, cfg *config.Config) bool {
	switch {
	case c.Bool("direct"):
		return false
	case c.String("coordinator") != "":
		return true
	}
	return cfg != nil && cfg.Coordinator != nil && cfg.Coordinator.CLI == config.CLICoordinator
}

// drillRunThroughCoordinator triggers the coordinator's job of the drill
// (name, or the configuration's only drill) and waits for it; the output
// and exit code are the direct run's (3 when the drill did not pass).
func (e *env) drillRunThroughCoordinator(c *cli.Context, cfg *config.Config, name string) error {
	for _, f := range []string{"backup", "until", "from-storage", "identity"} {
		if c.String(f) != "" {
			return fault.Usage(fmt.Sprintf("drill run: --%s is not a coordinator job parameter: run the drill directly, without --coordinator", f))
		}
	}
	if name == "" {
		if len(cfg.Drills) != 1 {
			return fault.Usage(fmt.Sprintf("drill run: name the drill to run through the coordinator (%s declares %d)", cfg.File, len(cfg.Drills)))
		}
		name = cfg.Drills[0].Name
	} else if cfg.Drill(name) == nil {
		return fault.Usage(fmt.Sprintf("drill run: no drill named %q in %s", name, cfg.File))
	}
	run, err := e.runThroughCoordinator(c, cfg, "drill", name)
	if err != nil {
		return err
	}
	rep, derr := coordinator.DrillReport(run)
	err = errors.Join(coordinator.Outcome("drill", run), derr)
	return e.showDrill(rep, err)
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
