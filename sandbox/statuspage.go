package sandbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/noscites/citadel/cluster/coordinator/statuspage"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// startStatusPage adds the status page and the member metrics to the
// coordinator node, as `citadel server` does, and records the backup and
// the drill the sandbox ran before the node existed, as the job layer
// records those it runs (catalog cache, drill history): the page then
// shows them. The summary's URL carries the sandbox's throwaway token
// once; the page keeps it in a cookie and drops it from the address.
func (s *Sandbox) startStatusPage(ctx context.Context) error {
	p, err := statuspage.Attach(s.node, statuspage.Options{Config: s.w.cfg, Log: s.log})
	if err != nil {
		return err
	}
	s.page = p
	st := s.node.Store()
	if b := s.summary.Backup; b.ID != "" {
		var entries []store.CatalogEntry
		for _, where := range append([]string{s.summary.BackupStorage}, s.summary.CopiedTo...) {
			entries = append(entries, store.CatalogEntry{ID: b.ID, ReplicaSet: b.ReplicaSet, Storage: where, Time: b.End, Complete: true, Size: b.StoredBytes})
		}
		if err := st.PutCatalog(ctx, store.CatalogPutBody{Entries: entries}); err != nil {
			return fmt.Errorf("record the backup in the coordinator's catalog: %w", err)
		}
	}
	if d := s.summary.Drill; d != nil {
		rep, _ := json.Marshal(d)
		rec := store.DrillRecord{ID: d.ID, Drill: d.Drill, Start: d.Started, End: d.Finished, Passed: d.Passed, RTO: d.RTO, RPO: d.RPO, Report: rep}
		if err := st.PutDrill(ctx, rec); err != nil {
			return fmt.Errorf("record the drill in the coordinator's history: %w", err)
		}
	}
	s.summary.StatusPage = s.summary.Coordinator + "/?token=" + s.w.secrets.token
	return nil
}
