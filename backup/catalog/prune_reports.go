package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/retention"
	"github.com/noscites/citadel/backup/storage"
)

// pruneReports applies Policy.DrillReports to the drill reports under
// <rs>/drills/: res.DrillReports lists those removed (with DryRun, those
// that would be). A report under object lock is kept; one the storage
// still refuses to delete is listed in res.Locked.
func (res *PruneResult) pruneReports(ctx context.Context, st storage.Storage, rs string, now time.Time, opts PruneOptions) error {
	keep := opts.Policy.DrillReports
	if keep <= 0 {
		return nil
	}
	reports, infos, err := listReports(ctx, st, rs)
	if err != nil {
		return err
	}
	if st.Capabilities().ObjectLock {
		lockDates(ctx, st, reports, retention.Reports(now, reports, keep))
	}
	for _, key := range retention.Reports(now, reports, keep) {
		if opts.DryRun {
			res.DrillReports = append(res.DrillReports, key)
			continue
		}
		locked := len(res.Locked)
		if err := res.remove(ctx, st, key, []storage.Info{infos[key]}); err != nil {
			return fmt.Errorf("prune drill report %s: %w", key, err)
		}
		if len(res.Locked) == locked {
			res.DrillReports = append(res.DrillReports, key)
		}
	}
	return nil
}

// listReports lists the set's drill reports (<rs>/drills/<id>.json);
// any other object there is not a report and is left alone.
func listReports(ctx context.Context, st storage.Storage, rs string) ([]retention.Report, map[string]storage.Info, error) {
	prefix := layout.DrillsPrefix(rs)
	var reports []retention.Report
	infos := map[string]storage.Info{}
	for info, err := range st.List(ctx, prefix) {
		if err != nil {
			return nil, nil, fmt.Errorf("list the drill reports: %w", err)
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, prefix), ".json")
		if !ok || id == "" || strings.Contains(id, "/") {
			continue
		}
		reports = append(reports, retention.Report{Key: info.Key, ID: id})
		infos[info.Key] = info
	}
	return reports, infos, nil
}

// lockDates reads the retain-until date of the candidate reports only: a
// listing does not carry it, and the reports kept by count need none.
func lockDates(ctx context.Context, st storage.Storage, reports []retention.Report, candidates []string) {
	wanted := map[string]bool{}
	for _, k := range candidates {
		wanted[k] = true
	}
	for i := range reports {
		if wanted[reports[i].Key] {
			if info, err := st.Stat(ctx, reports[i].Key); err == nil {
				reports[i].Locked = info.RetainUntil
			}
		}
	}
}
