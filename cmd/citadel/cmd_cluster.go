package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func clusterCommand(e *env) *cli.Command {
	rsFlag := &cli.StringFlag{Name: "rs", Usage: "replica set `NAME` (default: every set of the file)"}
	needRS := &cli.StringFlag{Name: "rs", Usage: "replica set `NAME`"}
	toSite := &cli.StringFlag{Name: "to-site", Usage: "`SITE` that gets the primary"}
	yes := &cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation"}
	return &cli.Command{
		Name:  "cluster",
		Usage: "observe and reshape the replica sets; switch over, fail over, rejoin a site",
		Subcommands: []*cli.Command{
			{Name: "status", Usage: "per member: site, state, health, lag, priority, votes; oplog window; what losing each site means",
				Flags: []cli.Flag{rsFlag}, Action: e.clusterStatus},
			{Name: "plan", Usage: "the safe steps from the live config to the file's (dry run)",
				Flags: []cli.Flag{rsFlag}, Action: e.clusterPlan},
			{Name: "apply", Usage: "perform the planned steps one at a time, each committed before the next",
				Flags: []cli.Flag{rsFlag, yes}, Action: e.clusterApply},
			{Name: "switchover", Usage: "move the primary to another site, planned (refuses when the target lags)",
				Flags: []cli.Flag{needRS, toSite,
					&cli.DurationFlag{Name: "catch-up", Usage: "how far behind the primary the target may be; also how long the primary waits for it", Value: 10 * time.Second}},
				Action: e.clusterSwitchover},
			{Name: "failover", Usage: "DISASTER: force the set onto the surviving site when the other is gone",
				Flags: []cli.Flag{needRS, toSite, &cli.BoolFlag{Name: "force", Usage: "acknowledge that this rewrites the set without the lost site"}, yes,
					&cli.StringFlag{Name: "save-dir", Usage: "`DIR` for the saved config when no storage is configured", Value: "."}},
				Action: e.clusterFailover},
			{Name: "rejoin", Usage: "bring a lost site's members back as secondaries after a failover, saving first what they will roll back",
				Flags: []cli.Flag{needRS, &cli.StringFlag{Name: "site", Usage: "the returning `SITE`"},
					&cli.BoolFlag{Name: "accept-unexamined", Usage: "add the members even when what they will roll back cannot be examined or saved in full"},
					&cli.StringFlag{Name: "save-dir", Usage: "`DIR` for the rolled-back documents when no storage is configured or usable", Value: "."}},
				Action: e.clusterRejoin},
		},
	}
}

// clusterEnv is what every cluster subcommand opens: the file, the sets
// and a manager.
type clusterEnv struct {
	cfg  *config.Config
	sets []*config.ReplicaSet
	mgr  *cluster.Manager
}

func (ce *clusterEnv) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ce.mgr.Close(ctx)
}

// openCluster loads the file, selects the sets (--rs, or all unless
// required) and connects.
func (e *env) openCluster(c *cli.Context, required ...string) (*clusterEnv, error) {
	if err := requireArgs(c, 0, 0, ""); err != nil {
		return nil, err
	}
	for _, f := range required {
		if c.String(f) == "" {
			return nil, fault.Usage(fmt.Sprintf("%s needs --%s", commandPath(c), f))
		}
	}
	cfg, err := config.Load(c.String("config"), e.stdin)
	if err != nil {
		return nil, err
	}
	sets, err := cluster.SelectSets(cfg, c.String("rs"))
	if err != nil {
		return nil, err
	}
	d, err := cluster.NewDialer(cfg.MongoDB, e.log)
	if err != nil {
		return nil, err
	}
	return &clusterEnv{cfg: cfg, sets: sets, mgr: cluster.NewManager(d, e.log, e.auditTrail(cfg))}, nil
}

func (e *env) clusterStatus(c *cli.Context) error {
	ce, err := e.openCluster(c)
	if err != nil {
		return err
	}
	defer ce.close()
	var each func(*cluster.State) error
	if !e.json {
		each = func(st *cluster.State) error {
			if err := cluster.WriteStatus(e.stdout, st); err != nil {
				return err
			}
			_, err := fmt.Fprintln(e.stdout)
			return err
		}
	}
	states, err := ce.mgr.Status(c.Context, ce.sets, each)
	if e.json && (err == nil || errors.Is(err, cluster.ErrStateUnknown)) {
		reports := make([]cluster.StatusReport, len(states))
		for i, st := range states {
			reports[i] = cluster.Report(st)
		}
		if perr := printJSON(e.stdout, map[string]any{"replica_sets": reports}); perr != nil {
			return perr
		}
	}
	return err
}

func (e *env) clusterPlan(c *cli.Context) error {
	ce, err := e.openCluster(c)
	if err != nil {
		return err
	}
	defer ce.close()
	plans, err := ce.mgr.PlanSets(c.Context, ce.sets)
	if err != nil {
		return err
	}
	if e.json {
		return printJSON(e.stdout, map[string]any{"replica_sets": plans})
	}
	for _, p := range plans {
		e.printPlan(p)
	}
	return nil
}

func (e *env) clusterApply(c *cli.Context) error {
	ce, err := e.openCluster(c)
	if err != nil {
		return err
	}
	defer ce.close()
	o := cluster.ApplyOptions{Progress: e.stepPrinter()}
	if !e.json {
		o.Review = func(plans []cluster.SetPlan) {
			for _, p := range plans {
				e.printPlan(p)
			}
		}
	}
	if !c.Bool("yes") {
		o.Confirm = func(steps int) error { return e.confirmYes(fmt.Sprintf("apply these %d step(s)?", steps)) }
	}
	plans, err := ce.mgr.ApplySets(c.Context, ce.sets, o)
	// The JSON tells what was applied: after a refusal before any step
	// (no plan, no confirmation) there is only the error.
	if e.json && (err == nil || slices.ContainsFunc(plans, func(p cluster.SetPlan) bool { return p.Error != "" })) {
		if perr := printJSON(e.stdout, map[string]any{"replica_sets": plans}); perr != nil {
			return perr
		}
	}
	return err
}
