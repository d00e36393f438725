package ingest

import (
	"context"
	"path/filepath"

	"github.com/noscites/citadel/internal/audit"
)

// AuditAction names the audit record of a load.
const AuditAction = "ingest.load"

// Parameterized is implemented by loaders that have options worth
// recording in the audit trail (a city, stations, whether personal data
// was kept); never secrets.
type Parameterized interface {
	Parameters() map[string]any
}

// Load is the one way a load runs, from the command line, the
// coordinator or the sandbox: Run into the target's database (none with
// DryRun), then one audit record through opt.Audit — action
// "ingest.load", target "DATABASE/DATASET", the files (base names, not
// paths), the options and the counts, the outcome (dry-run for a dry run
// that succeeded).
func Load(ctx context.Context, t *Target, l Loader, opt Options) (*Report, error) {
	rep, err := Run(ctx, t.DB(), l, opt)
	outcome := audit.OutcomeOf(err)
	if opt.DryRun && err == nil {
		outcome = audit.DryRun
	}
	opt.Audit.RecordOutcome(ctx, AuditAction, t.Database+"/"+l.Dataset(), auditParams(l, opt, rep), outcome, err)
	return rep, err
}

func auditParams(l Loader, opt Options, rep *Report) map[string]any {
	files := make([]string, len(l.Files()))
	for i, f := range l.Files() {
		files[i] = filepath.Base(f)
	}
	p := map[string]any{"files": files, "dry_run": opt.DryRun, "max_error_rate": opt.MaxErrorRate}
	if opt.Sink.BatchSize > 0 {
		p["batch_size"] = opt.Sink.BatchSize
	}
	if opt.Sink.Workers > 0 {
		p["workers"] = opt.Sink.Workers
	}
	if lp, ok := l.(Parameterized); ok {
		for k, v := range lp.Parameters() {
			p[k] = v
		}
	}
	if rep != nil {
		p["read"], p["inserted"], p["updated"], p["unchanged"], p["rejected"] = rep.Read, rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected
		if rep.Interrupted {
			p["interrupted"] = true
		}
		if rep.Unacknowledged > 0 {
			p["unacknowledged"] = rep.Unacknowledged
		}
	}
	return p
}
