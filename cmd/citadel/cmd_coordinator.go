package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/internal/fault"
)

var flagCoordinator = &cli.StringFlag{Name: "coordinator", Usage: "a coordinator node's API `URL` (default: the configured nodes)", EnvVars: []string{"CITADEL_COORDINATOR"}}

func coordinatorCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "coordinator",
		Usage: "the coordinator group: status of every node, recovery after a site loss",
		Subcommands: []*cli.Command{
			{Name: "status", Usage: "role, term, last contact and applied index of every node", Action: e.coordinatorStatus,
				Flags: []cli.Flag{flagCoordinator}},
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
