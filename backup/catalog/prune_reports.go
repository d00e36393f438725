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
// that would be). A locked report is left and listed in res.Locked.
func (res *PruneResult) pruneReports(ctx context.Context, st storage.Storage, rs string, now time.Time, opts PruneOptions) error {
	if opts.Policy.DrillReports <= 0 {
		return nil
	}
	prefix := layout.DrillsPrefix(rs)
	var reports []retention.Report
	sizes := map[string]storage.Info{}
	for info, err := range st.List(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("list the drill reports: %w", err)
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, prefix), ".json")
		if !ok || id == "" || strings.Contains(id, "/") {
			continue // not a report: left alone
		}
		r := retention.Report{Key: info.Key, ID: id}
		if st.Capabilities().ObjectLock {
			if full, err := st.Stat(ctx, info.Key); err == nil {
				r.Locked = full.RetainUntil
			}
		}
		reports = append(reports, r)
		sizes[info.Key] = info
	}
	for _, key := range retention.Reports(now, reports, opts.Policy.DrillReports) {
		if opts.DryRun {
			res.DrillReports = append(res.DrillReports, key)
			continue
		}
		locked := len(res.Locked)
		if err := res.remove(ctx, st, key, []storage.Info{sizes[key]}); err != nil {
			return fmt.Errorf("prune drill report %s: %w", key, err)
		}
		if len(res.Locked) == locked {
			res.DrillReports = append(res.DrillReports, key)
		}
	}
	return nil
}
