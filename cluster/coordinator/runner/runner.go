// Package runner is the coordinator's job layer: the sched.Runner that runs
// the configuration's jobs through backup/jobs. A backup run names its
// backup after the run's fencing token, checks the fence right before the
// manifest is written and bounds that write by the fence's deadline; a run
// that took over an attempt which had passed its fence first looks for that
// attempt's committed backup and adopts it. Drill jobs run drill.Run, the
// fence checked the same way right before the report is stored. The
// outcome goes to the run's result (JSON) and to the coordinator's catalog
// cache (backups) or drill history (drills).
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/drill"
	"github.com/noscites/citadel/internal/failpoint"
	"github.com/noscites/citadel/internal/fault"
)

// Job kinds this runner executes. coordinator.JobsFromConfig makes the
// backup and drill jobs; prune and verify jobs are for job definitions
// written by hand.
const (
	KindBackup = "backup"
	KindPrune  = "prune"
	KindVerify = "verify"
	KindDrill  = "drill"
)

// ErrUnsupported is returned for a job kind this runner does not run.
var ErrUnsupported = errors.New("job kind not supported by this coordinator")

// Params are a job's parameters (store.Job.Params).
type Params struct {
	// Backup names a backups[] entry of the configuration.
	Backup string `json:"backup,omitempty"`
	// ID is the backup a verify job checks ("latest" by default).
	ID string `json:"id,omitempty"`
	// ReadData makes a verify job decode every document.
	ReadData bool   `json:"read_data,omitempty"`
	Drill    string `json:"drill,omitempty"`
}

// Catalog receives the catalog entries of committed backups and the
// records of drills: the node's store (coordinator.Node.Store()).
type Catalog interface {
	PutCatalog(ctx context.Context, b store.CatalogPutBody) error
	PutDrill(ctx context.Context, d store.DrillRecord) error
}

// Runner runs jobs through backup/jobs with Env.
type Runner struct {
	env jobs.Env
	log *slog.Logger
	fp  failpoint.Set // test-only pauses, read once (failpoints.go)

	mu      sync.Mutex
	catalog Catalog
}

// New returns a runner for env (its Config is required).
func New(env jobs.Env) *Runner {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "runner")
	return &Runner{env: env, log: log, fp: failpoints(log)}
}

// SetCatalog sets where committed backups are cached (the node's store,
// known only once the node started); until then the cache is not written.
func (r *Runner) SetCatalog(c Catalog) {
	r.mu.Lock()
	r.catalog = c
	r.mu.Unlock()
}

// Run implements sched.Runner.
func (r *Runner) Run(ctx context.Context, job sched.JobSpec, run sched.RunInfo, fence sched.Fence) (json.RawMessage, error) {
	var p Params
	if len(job.Params) > 0 {
		if err := json.Unmarshal(job.Params, &p); err != nil {
			return nil, fault.Usage(fmt.Sprintf("job %s: params %s: %v", job.Name, job.Params, err))
		}
	}
	log := r.log.With("job", job.Name, "run", run.ID, "token", fence.Token())
	// res stays a nil interface when the job returned no result (a typed
	// nil in an interface would be recorded as the JSON null).
	var res any
	var err error
	switch job.Kind {
	case KindBackup:
		var b *BackupResult
		if b, err = r.backup(ctx, log, p, run, fence); b != nil {
			res = b
		}
	case KindPrune:
		var pr []catalog.PruneResult
		if pr, err = jobs.Prune(ctx, r.env, jobs.PruneRequest{Job: p.Backup}); pr != nil {
			res = pr
		}
	case KindVerify:
		var v *VerifyResult
		if v, err = r.verify(ctx, p); v != nil {
			res = v
		}
	case KindDrill:
		var d *drill.Report
		if d, err = r.drill(ctx, log, p, fence); d != nil {
			res = d
		}
	default:
		return nil, fmt.Errorf("job %s of kind %q: %w (this version runs backup, drill, prune and verify jobs)", job.Name, job.Kind, ErrUnsupported)
	}
	if res == nil {
		return nil, err
	}
	b, merr := json.Marshal(res)
	if merr != nil {
		return nil, errors.Join(err, fmt.Errorf("encode the result of %s: %w", job.Name, merr))
	}
	return b, err
}

// drill runs a restore drill (its report, stored in the bucket, is named
// after the token like a backup) and records it in the drill history. The
// report's put is its commit point and is fenced like a backup's manifest:
// two attempts of one drill may overlap (a node that lost its lease but
// not yet noticed), and the stale one, whose scratch restore the newer
// one's drop may have broken, must not leave a false report, call the
// webhook, or enter the history. So the fence is checked right before the
// put, which it bounds by its deadline; a refused fence stores nothing.
func (r *Runner) drill(ctx context.Context, log *slog.Logger, p Params, fence sched.Fence) (*drill.Report, error) {
	fenced := false
	rep, err := drill.Run(ctx, r.env, drill.Request{Drill: p.Drill, ID: TokenID(time.Now(), fence.Token()),
		BeforeStore: func(ctx context.Context) (time.Time, error) {
			deadline, err := fence.Check(ctx)
			if err != nil {
				fenced = true
				return time.Time{}, fmt.Errorf("fence of token %d: %w", fence.Token(), err)
			}
			log.Info("fence passed; storing the drill report", "before", deadline.Format(time.RFC3339Nano))
			return deadline, nil
		}})
	if rep == nil {
		return nil, err
	}
	r.mu.Lock()
	c := r.catalog
	r.mu.Unlock()
	if c != nil && !fenced {
		b, _ := json.Marshal(rep)
		d := store.DrillRecord{ID: rep.ID, Drill: rep.Drill, Start: rep.Started, End: rep.Finished, Passed: rep.Passed, RTO: rep.RTO, RPO: rep.RPO, Report: b}
		if perr := c.PutDrill(ctx, d); perr != nil {
			log.Warn("cannot record the drill in the history", "drill", rep.ID, "err", perr)
		}
	}
	return rep, err
}

// VerifyResult is the result of a verify job.
type VerifyResult struct {
	ID     string `json:"id"`
	OK     bool   `json:"ok"`
	Report any    `json:"report"`
}

func (r *Runner) verify(ctx context.Context, p Params) (*VerifyResult, error) {
	loc, err := jobs.Locate(r.env, jobs.LocateRequest{Backup: p.Backup})
	if err != nil {
		return nil, err
	}
	id := p.ID
	if id == "" {
		id = "latest"
	}
	m, rep, err := jobs.Verify(ctx, r.env, jobs.VerifyRequest{Location: loc, ID: id, ReadData: p.ReadData})
	if m == nil {
		return nil, err
	}
	return &VerifyResult{ID: m.ID, OK: err == nil, Report: rep}, err
}
