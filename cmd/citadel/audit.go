package main

import (
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/fault"
)

// auditTrail is the one audit trail of every state-changing command
// (cluster apply, switchover, failover, rejoin; backup prune and copy;
// restore; ingest loads): each action records one audit.Record, appended
// as a JSON line to the file the config names (audit.path) and written to
// the log at info level (--log-level info shows it). cfg may be nil (a
// command run without a configuration file): the log only. Recording never
// fails the command; a file that cannot be written is reported as a
// warning.
func (e *env) auditTrail(cfg *config.Config) *audit.Trail {
	log := e.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sinks := []audit.Sink{audit.SlogSink{Log: log}}
	if cfg != nil && cfg.Audit != nil && cfg.Audit.Path != "" {
		sinks = append(sinks, &audit.FileSink{Path: cfg.Audit.Path})
	}
	if s := coordinatorAuditSink(cfg, log); s != nil {
		sinks = append(sinks, s)
	}
	return audit.New(log, "", sinks...)
}

// coordinatorAuditSink sends the CLI's records to the raft trail when the
// config lists coordinator nodes and this machine can read their token;
// without the token the file and the log still have every record.
func coordinatorAuditSink(cfg *config.Config, log *slog.Logger) audit.Sink {
	if cfg == nil || cfg.Coordinator == nil || len(cfg.Coordinator.Nodes) == 0 {
		return nil
	}
	a, err := coordinator.AccessFromConfig(cfg.Coordinator, "citadel")
	if err != nil {
		log.Info("audit records not sent to the coordinator", "err", err)
		return nil
	}
	return coordinator.ConfiguredAuditSink(a, cfg.Coordinator.Nodes, 2*time.Second)
}

func auditCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "the audit trail the coordinator keeps in its raft log",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "audit records, newest first, read through the coordinator's API", Action: e.auditList,
				Flags: []cli.Flag{coordinatorFlag(),
					&cli.StringFlag{Name: "since", Usage: "only records after `TIME` (RFC 3339, or a duration ago such as 24h)"},
					&cli.StringFlag{Name: "action", Usage: "only actions starting with `PREFIX` (backup, cluster.failover)"},
					&cli.IntFlag{Name: "limit", Value: 100, Usage: "at most `N` records"}}},
		},
	}
}

func (e *env) auditList(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--coordinator URL] [--since TIME] [--action PREFIX] [--limit N]"); err != nil {
		return err
	}
	since, err := coordinator.ParseSince(c.String("since"), time.Now())
	if err != nil {
		return fault.Wrap(fault.ErrUsage, err, "--since")
	}
	if c.Int("limit") <= 0 {
		return fault.Usage("--limit wants a positive number of records")
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	access, err := coordinator.AccessFromConfig(cfg.Coordinator, "citadel audit list")
	if err != nil {
		return fault.Wrap(fault.ErrUsage, err, cfg.File)
	}
	recs, from, err := coordinator.AuditList(c.Context, access, c.String("coordinator"), cfg.Coordinator.Nodes,
		coordinator.AuditQuery{Since: since, Action: c.String("action"), Limit: c.Int("limit")})
	if err != nil {
		return err
	}
	if e.json {
		if recs == nil {
			recs = []store.AuditRecord{}
		}
		return printJSON(e.stdout, recs)
	}
	e.printAudit(recs, from)
	return nil
}

func (e *env) printAudit(recs []store.AuditRecord, from string) {
	if len(recs) == 0 {
		fmt.Fprintf(e.stdout, "no audit records (read from %s)\n", from)
		return
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tTIME\tWHO\tACTION\tTARGET\tOUTCOME")
	for _, r := range recs {
		outcome := r.Outcome
		if r.Error != "" {
			outcome += ": " + r.Error
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.Local().Format(time.RFC3339), r.Who, r.Action, r.Target, outcome)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "%d record(s), newest first, read from %s\n", len(recs), from)
}
