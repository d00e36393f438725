package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
			{Name: "rejoin", Usage: "bring a lost site's members back as secondaries after a failover",
				Flags:  []cli.Flag{needRS, &cli.StringFlag{Name: "site", Usage: "the returning `SITE`"}},
				Action: e.clusterRejoin},
		},
	}
}

// clusterEnv is what every cluster subcommand opens: the file and a manager.
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
	ce := &clusterEnv{cfg: cfg}
	if name := c.String("rs"); name != "" {
		rs := cfg.ReplicaSet(name)
		if rs == nil {
			return nil, fault.Usage(fmt.Sprintf("--rs %q: no such replica set in %s (sets: %s)", name, cfg.File, setNames(cfg)))
		}
		ce.sets = []*config.ReplicaSet{rs}
	} else {
		for i := range cfg.ReplicaSets {
			ce.sets = append(ce.sets, &cfg.ReplicaSets[i])
		}
	}
	d, err := cluster.NewDialer(cfg.MongoDB, e.log)
	if err != nil {
		return nil, err
	}
	audit := cluster.SlogAuditor{Log: slog.New(slog.NewTextHandler(e.stderr, nil))}
	ce.mgr = cluster.NewManager(d, e.log, audit, cluster.Operator())
	return ce, nil
}

func setNames(cfg *config.Config) string {
	s := ""
	for i, rs := range cfg.ReplicaSets {
		if i > 0 {
			s += ", "
		}
		s += rs.Name
	}
	return s
}

func (e *env) clusterStatus(c *cli.Context) error {
	ce, err := e.openCluster(c)
	if err != nil {
		return err
	}
	defer ce.close()
	var reports []cluster.StatusReport
	var unknown []error
	for _, rs := range ce.sets {
		st, err := ce.mgr.Observe(c.Context, rs)
		if err != nil {
			return err
		}
		if uerr := st.UnknownError(); uerr != nil {
			unknown = append(unknown, fmt.Errorf("cluster status: %w", uerr))
		}
		reports = append(reports, cluster.Report(st))
		if !e.json {
			if err := cluster.WriteStatus(e.stdout, st); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout)
		}
	}
	if e.json {
		if err := printJSON(e.stdout, map[string]any{"replica_sets": reports}); err != nil {
			return err
		}
	}
	// A set whose state could not be observed fails the command (exit 1):
	// a script must not read "not initiated" into members that are down.
	return errors.Join(unknown...)
}

// setPlan is the plan of one set (JSON of plan and apply).
type setPlan struct {
	Set         string               `json:"set"`
	LiveVersion int                  `json:"live_version"`
	Steps       []cluster.Step       `json:"steps"`
	Results     []cluster.StepResult `json:"results,omitempty"`
	Error       string               `json:"error,omitempty"`
}

// planSets observes each set and plans it; the first refusal stops.
func (e *env) planSets(ctx context.Context, ce *clusterEnv) ([]setPlan, []*config.ReplicaSet, error) {
	var out []setPlan
	for _, rs := range ce.sets {
		st, err := ce.mgr.Observe(ctx, rs)
		if err != nil {
			return out, nil, err
		}
		var live *cluster.Config
		sp := setPlan{Set: rs.Name, Steps: []cluster.Step{}}
		if st.Initiated {
			live, sp.LiveVersion = st.Config, st.Config.Version
		}
		desired, err := cluster.Desired(rs, live)
		if err != nil {
			return out, nil, err
		}
		if sp.Steps, err = cluster.Plan(st, desired); err != nil {
			return out, nil, fmt.Errorf("plan %s: %w", rs.Name, err)
		}
		out = append(out, sp)
	}
	return out, ce.sets, nil
}

func (e *env) clusterPlan(c *cli.Context) error {
	ce, err := e.openCluster(c)
	if err != nil {
		return err
	}
	defer ce.close()
	plans, _, err := e.planSets(c.Context, ce)
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
	plans, sets, err := e.planSets(c.Context, ce)
	if err != nil {
		return err
	}
	total := 0
	for _, p := range plans {
		total += len(p.Steps)
		if !e.json {
			e.printPlan(p)
		}
	}
	if total > 0 && !c.Bool("yes") {
		if err := e.confirmYes(fmt.Sprintf("apply these %d step(s)?", total)); err != nil {
			return err
		}
	}
	var firstErr error
	for i := range plans {
		if len(plans[i].Steps) == 0 {
			continue
		}
		plans[i].Results, err = ce.mgr.Apply(c.Context, sets[i], plans[i].Steps, e.stepPrinter())
		if err != nil {
			plans[i].Error = err.Error()
			firstErr = err
			break
		}
	}
	if e.json {
		if perr := printJSON(e.stdout, map[string]any{"replica_sets": plans}); perr != nil {
			return perr
		}
	}
	return firstErr
}
