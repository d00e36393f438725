package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/drill"
	"github.com/noscites/citadel/internal/fault"
)

// JobFor finds the job that runs the config's backup (kind "backup") or
// drill (kind "drill") named name: the job whose params name it, as
// JobsFromConfig makes them. None is ErrNoJob, saying what to add.
func (j *JobsClient) JobFor(ctx context.Context, kind, name string) (api.JobView, error) {
	views, err := j.c.Jobs(ctx)
	if err != nil {
		return api.JobView{}, fmt.Errorf("list jobs on %s: %w", j.Node(), err)
	}
	for _, v := range views {
		var p runner.Params
		if v.Kind != kind || json.Unmarshal(v.Params, &p) != nil {
			continue
		}
		if (kind == runner.KindBackup && p.Backup == name) || (kind == runner.KindDrill && p.Drill == name) {
			return v, nil
		}
	}
	section := "backups"
	if kind == runner.KindDrill {
		section = "drills"
	}
	return api.JobView{}, fault.Wrap(fault.ErrUsage, fmt.Errorf("%w: the coordinator (%s) runs no %s job for %s %q: give the %s entry %q a schedule in the config the citadel server nodes read and restart them (citadel coordinator jobs lists their jobs), or run it directly without --coordinator",
		ErrNoJob, j.Node(), kind, kind, name, section, name), "")
}

// Outcome judges a finished run for the exit code: nil when it succeeded,
// ErrRunFailed when it failed or was skipped, and fault.ErrVerification
// as well when the job layer's result says the data did not verify: a
// drill whose report did not pass and whose error is that verdict (a
// drill that could not complete stays a plain failure, as when run
// directly), a verify job whose result is not ok.
func Outcome(kind string, r store.Run) error {
	switch r.State {
	case store.RunSucceeded:
		return nil
	case store.RunSkipped:
		return fmt.Errorf("%w: run %s of %s was skipped: %s", ErrRunFailed, r.ID, r.Job, r.Reason)
	case store.RunFailed:
	default:
		return fmt.Errorf("run %s of %s has not ended (%s)", r.ID, r.Job, r.State)
	}
	err := fmt.Errorf("%w: run %s of %s on %s: %s", ErrRunFailed, r.ID, r.Job, r.Holder, r.Error)
	if r.Category != "" {
		return fault.FromCategory(r.Category, err)
	}
	// A record of a version that kept no category: the verdict is read
	// from the result.
	if verificationFailed(kind, r) {
		return fault.Wrap(fault.ErrVerification, err, "")
	}
	return err
}

func verificationFailed(kind string, r store.Run) bool {
	if len(r.Result) == 0 {
		return false
	}
	switch kind {
	case runner.KindDrill:
		var rep drill.Report
		if json.Unmarshal(r.Result, &rep) != nil || rep.Passed || rep.Drill == "" {
			return false
		}
		// drill.Run's verdict, word for word (fault.Verification's text).
		return r.Error == fmt.Sprintf("drill %s failed: %s", rep.Drill, strings.Join(rep.Reasons, "; "))
	case runner.KindVerify:
		var v runner.VerifyResult
		return json.Unmarshal(r.Result, &v) == nil && v.ID != "" && !v.OK
	}
	return false
}

// BackupResult decodes a backup run's result into the type a direct
// `backup run` prints; nil when the run recorded none (it failed before
// the backup was committed).
func BackupResult(r store.Run) (*jobs.BackupResult, error) {
	if len(r.Result) == 0 {
		return nil, nil
	}
	var b runner.BackupResult
	if err := json.Unmarshal(r.Result, &b); err != nil {
		return nil, fmt.Errorf("decode the result of run %s: %w", r.ID, err)
	}
	if b.Copies == nil {
		b.Copies = []catalog.CopyResult{}
	}
	return &jobs.BackupResult{Backup: b.Backup, Copies: b.Copies}, nil
}

// DrillReport decodes a drill run's result into the report a direct
// `drill run` prints; nil when the run recorded none.
func DrillReport(r store.Run) (*drill.Report, error) {
	if len(r.Result) == 0 {
		return nil, nil
	}
	var rep drill.Report
	if err := json.Unmarshal(r.Result, &rep); err != nil {
		return nil, fmt.Errorf("decode the result of run %s: %w", r.ID, err)
	}
	return &rep, nil
}
