package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/archiver"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/cluster/coordinator/statuspage"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/fault"
)

var (
	flagNodeID  = &cli.StringFlag{Name: "node-id", Usage: "this node's `ID` among coordinator.nodes (default: coordinator.node_id)", EnvVars: []string{"CITADEL_NODE_ID"}}
	flagDataDir = &cli.StringFlag{Name: "data-dir", Usage: "raft log and snapshots `DIR` (default: coordinator.data_dir)"}
)

func serverCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "server",
		Usage: "run one coordinator node: raft, the schedules on the leader, the HTTP API, the status page (/) and /metrics, until SIGINT or SIGTERM",
		Flags: []cli.Flag{flagNodeID, flagDataDir, &cli.BoolFlag{Name: "join",
			Usage: "with an empty data directory, wait to be added (POST /v1/nodes) instead of bootstrapping the group: a node coming back after coordinator recover"}},
		Action: e.server,
	}
}

// server runs a coordinator node until interrupted. The leader runs the
// configuration's backup jobs through the job layer (coordinator/runner)
// and the PITR archiver of every backup with pitr.enabled (archiver).
func (e *env) server(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--node-id ID] [--data-dir DIR] [--join]"); err != nil {
		return err
	}
	opts, env, err := e.coordinatorOptions(c)
	if err != nil {
		return err
	}
	opts.Jobs = coordinator.JobsFromConfig(env.Config)
	opts.Join = c.Bool("join")
	opts.Log = e.log
	// The audit trail of the jobs also goes to the raft log once the node
	// runs (the file and the log before that).
	var node atomic.Pointer[coordinator.Node]
	sinks := []audit.Sink{audit.SlogSink{Log: e.log}, audit.Func(func(ctx context.Context, r audit.Record) error {
		if n := node.Load(); n != nil {
			return n.AuditSink().Write(ctx, r)
		}
		return nil
	})}
	if a := env.Config.Audit; a != nil && a.Path != "" {
		sinks = append(sinks, &audit.FileSink{Path: a.Path})
	}
	env.Audit = audit.New(e.log, "coordinator "+opts.NodeID, sinks...)
	run := runner.New(env)
	n, err := coordinator.Start(c.Context, opts, run)
	if err != nil {
		return fmt.Errorf("start coordinator node %s: %w", opts.NodeID, err)
	}
	node.Store(n)
	run.SetCatalog(n.Store())
	e.log.Info("coordinator node started", "node", opts.NodeID, "raft", opts.RaftAddress, "http", n.HTTPAddr(), "data_dir", opts.DataDir, "jobs", len(opts.Jobs))
	page, err := statuspage.Attach(n, statuspage.Options{Config: env.Config, Log: e.log})
	if err != nil {
		_ = n.Close()
		return fmt.Errorf("start the status page of node %s: %w", opts.NodeID, err)
	}
	defer func() { _ = page.Close(context.WithoutCancel(c.Context)) }()
	pitr := archiver.Start(c.Context, archiver.Options{Env: env, Store: n.Store(), Log: e.log.With("node", opts.NodeID)})
	<-c.Context.Done()
	e.log.Info("stopping the coordinator node", "node", opts.NodeID)
	pitr.Wait() // the PITR archivers finish their slice in flight
	if err := n.Close(); err != nil {
		return fmt.Errorf("stop coordinator node %s: %w", opts.NodeID, err)
	}
	return nil
}

// coordinatorOptions reads this node's options from the configuration,
// --node-id and --data-dir applied, with the job environment.
func (e *env) coordinatorOptions(c *cli.Context) (coordinator.Options, jobs.Env, error) {
	env, err := e.jobEnv(c, true)
	if err != nil {
		return coordinator.Options{}, env, err
	}
	opts, err := coordinator.FromConfig(env.Config.Coordinator, c.String("node-id"))
	if err != nil {
		return opts, env, fault.Wrap(fault.ErrUsage, err, env.Config.File)
	}
	if d := c.String("data-dir"); d != "" {
		opts.DataDir = d
	}
	return opts, env, nil
}
