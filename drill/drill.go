// Package drill rehearses disaster recovery: a drill restores the newest
// backup of a configured backup job (with PITR, to the newest restorable
// point) into a scratch target through the very code `citadel restore`
// runs, verifies it against the manifest, measures RTO and RPO against
// the drill's limits, drops the scratch databases, and stores a report
// next to the backups. The command line and the coordinator call Run.
package drill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// Request runs one drill of the configuration.
type Request struct {
	// Drill names a drills[] entry; "" picks the only one.
	Drill string
	// Backup is a backup id or "latest" (""): latest with PITR on goes to
	// the newest restorable point; a named backup to its own end.
	Backup string
	// Until, with latest, restores to that time instead.
	Until time.Time
	// FromStorage restores from that configured storage (the copy in the
	// other site) instead of the backup job's own storage.
	FromStorage string
	// ID names the run (the coordinator's); "" makes a new one.
	ID string
	// BeforeStore, when set, runs right before the report is stored (the
	// coordinator's fence, as BeforeCommit for backups): an error leaves
	// the report unstored and the webhook uncalled, and is returned; a
	// non-zero deadline bounds the report's put.
	BeforeStore func(ctx context.Context) (deadline time.Time, err error)
	// Identity is the age identity file (default: the backup job's).
	Identity string
	// Getenv reads target.uri_env (nil: os.Getenv); Now is the clock
	// (nil: time.Now).
	Getenv func(string) string
	Now    func() time.Time
}

// Run runs a drill and stores its report. It returns the report with
// nil when the drill passed; with an error wrapping
// fault.ErrVerification when it failed (every reason in the report and
// the error); with another error when it could not run to the end (the
// report, when not nil, is stored and says where it stopped). A target
// that is a production set of the configuration is refused
// (fault.ErrRefused) before anything is written, with no report.
func Run(ctx context.Context, env jobs.Env, req Request) (*Report, error) {
	now, getenv := req.Now, req.Getenv
	if now == nil {
		now = time.Now
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	start := now()
	d, cfg, err := pick(env, req.Drill)
	if err != nil {
		return nil, err
	}
	id := cmp.Or(req.Backup, "latest")
	if err := checkRequest(id, req.Until); err != nil {
		return nil, err
	}
	b := cfg.Backup(d.Backup)
	if b == nil {
		return nil, fault.Usage(fmt.Sprintf("drill %s: no backup named %q in %s", d.Name, d.Backup, cfg.File))
	}
	prod := productionOf(cfg)
	tgt, err := resolveTarget(cfg, d, prod, getenv)
	if err != nil {
		return nil, err
	}
	stName := cmp.Or(req.FromStorage, d.FromStorage, b.Storage)
	loc, err := jobs.Locate(env, jobs.LocateRequest{Storage: stName, Backup: b.Name})
	if err != nil {
		return nil, err
	}
	client, err := tgt.connect(cfg.MongoDB)
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	if err := tgt.checkLive(ctx, client, prod); err != nil {
		return nil, err
	}
	r := &run{env: env, req: req, cfg: cfg, drill: d, backup: b, loc: loc, target: tgt, client: client, now: now}
	r.rep = &Report{Format: Format, Kind: KindRestore, ID: cmp.Or(req.ID, layout.NewID(start)), Drill: d.Name, BackupJob: b.Name, ReplicaSet: b.ReplicaSet,
		Storage: stName, Location: loc.Storage.String(), CrossSite: stName != b.Storage, Target: tgt.name, Started: start.UTC(),
		PITR: b.PITR.Enabled, MaxRTO: d.MaxRTO.D(), MaxRPO: d.MaxRPO.D(), Reasons: []string{}, Dropped: []string{}}
	err = r.rehearse(ctx, id)
	return r.finish(ctx, err)
}

// pick finds the drill by name, or the only one.
func pick(env jobs.Env, name string) (*config.Drill, *config.Config, error) {
	cfg := env.Config
	if cfg == nil {
		return nil, nil, fault.Usage("a drill needs the configuration file (--config FILE or CITADEL_CONFIG)")
	}
	if name != "" {
		if d := cfg.Drill(name); d != nil {
			return d, cfg, nil
		}
		return nil, nil, fault.Usage(fmt.Sprintf("no drill named %q in %s (drills: %s)", name, cfg.File, drillNames(cfg)))
	}
	switch len(cfg.Drills) {
	case 1:
		return &cfg.Drills[0], cfg, nil
	case 0:
		return nil, nil, fault.Usage(fmt.Sprintf("%s declares no drills: add one under drills:", cfg.File))
	}
	return nil, nil, fault.Usage(fmt.Sprintf("%s declares several drills: name one (%s)", cfg.File, drillNames(cfg)))
}

func drillNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Drills))
	for i, d := range cfg.Drills {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

// finish drops the scratch databases, decides the outcome, and writes the
// report last, in one put. err is what stopped the rehearsal, if any.
func (r *run) finish(ctx context.Context, err error) (*Report, error) {
	rep := r.rep
	r.dropScratch(ctx)
	if err != nil {
		rep.Reasons = append(rep.Reasons, err.Error())
	}
	rep.Reasons = append(rep.Reasons, breaches(rep.RTO, rep.RPO, rep.MaxRTO, rep.MaxRPO, !rep.Verified.IsZero(), !rep.Reached.IsZero())...)
	rep.Passed = len(rep.Reasons) == 0
	rep.Finished = r.now().UTC()
	sc := r.cfg.Storage(rep.Storage)
	dest := archive.Destination{Storage: r.loc.Storage, LockDays: backup.LockDays(sc)}
	rep.Key = layout.DrillKey(rep.ReplicaSet, rep.ID)
	rep.Summary = rep.Lines()
	saveErr := r.store(ctx, dest, rep)
	params := map[string]any{"drill": rep.Drill, "backup": rep.Backup, "from": rep.Location, "passed": rep.Passed, "report": rep.Key}
	outcome := err
	if outcome == nil && !rep.Passed {
		outcome = fault.Verification(strings.Join(rep.Reasons, "; "))
	}
	r.env.Audit.Record(ctx, "drill.run", rep.Target, params, outcome)
	if !errors.Is(saveErr, errFenced) {
		notify(ctx, cmp.Or(r.env.Log, slog.Default()), &http.Client{}, r.drill.Webhook, rep)
	}
	switch {
	case err != nil && !isVerification(err):
		return rep, fmt.Errorf("drill %s could not complete: %w", rep.Drill, err)
	case saveErr != nil:
		return rep, fmt.Errorf("drill %s ran (passed: %v) but its report was not stored: %w", rep.Drill, rep.Passed, saveErr)
	case !rep.Passed:
		return rep, fault.Verification(fmt.Sprintf("drill %s failed: %s", rep.Drill, strings.Join(rep.Reasons, "; ")))
	}
	return rep, nil
}

// errFenced marks a report left unstored because BeforeStore refused.
var errFenced = errors.New("the run's fence refused the report")

// store checks BeforeStore, then saves the report within its deadline.
func (r *run) store(ctx context.Context, dest archive.Destination, rep *Report) error {
	var deadline time.Time
	if r.req.BeforeStore != nil {
		var err error
		if deadline, err = r.req.BeforeStore(ctx); err != nil {
			return fmt.Errorf("%w: %w", errFenced, err)
		}
	}
	return save(ctx, dest, rep, deadline)
}
