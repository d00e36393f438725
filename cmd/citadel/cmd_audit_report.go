package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/auditreport"
	"github.com/noscites/citadel/internal/fault"
)

func auditReportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "audit-report",
		Usage: "audit the deployment's security and lifecycle posture: authentication and TLS on every member, citadel's credentials and roles, " +
			"write concern, quorum, oplog window, backups (age, copies, encryption, object lock, retention), drills, " +
			"personal data in the SuperSmartMarket collections, the audit trail (exit 3 on a critical finding)",
		Flags: append(targetFlags(),
			&cli.StringFlag{Name: "out", Usage: "also write the report to `FILE.html`: one printable page with inline CSS"}),
		Action: e.auditReport,
	}
}

func (e *env) auditReport(c *cli.Context) error {
	if _, err := positional(c, 0, 0, "[--out FILE.html]"); err != nil {
		return err
	}
	out := c.String("out")
	if ext := strings.ToLower(filepath.Ext(out)); out != "" && ext != ".html" && ext != ".htm" {
		return fault.Usage(fmt.Sprintf("audit-report: --out %s: name an .html file", out))
	}
	cfg, err := config.Load(c.String("config"), c.App.Reader)
	if err != nil {
		return err
	}
	in := auditreport.Inputs{Config: cfg, Log: e.log}
	if c.String("uri") != "" || cfg.Ingest != nil && cfg.Ingest.ReplicaSet != "" {
		t, err := e.openTarget(c, true)
		if err != nil {
			return err
		}
		defer t.close()
		in.Datasets = t.db
	}
	rep, err := auditreport.Run(c.Context, in)
	if err != nil {
		return fmt.Errorf("audit-report: %w", err)
	}
	if out != "" {
		if err := auditreport.WriteHTMLFile(rep, out); err != nil {
			return fmt.Errorf("audit-report: %w", err)
		}
	}
	if e.json {
		err = printJSON(e.stdout, rep)
	} else {
		err = auditreport.WriteText(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	if n := rep.Critical(); n > 0 {
		f := rep.Findings[0]
		return fault.Verification(fmt.Sprintf("audit-report: %d critical finding(s), first %s: %s", n, f.Target, f.Title))
	}
	return nil
}
