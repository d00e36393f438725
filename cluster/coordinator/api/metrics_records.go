package api

import (
	"encoding/json"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/prometheus/client_golang/prometheus"
)

// recordsCollector adds the backup sizes and durations and the loaders'
// figures to the FSM gauges, from the same replicated records (catalog
// cache, job states, audit trail): identical on every node, nothing to
// lose at a leader change.
type recordsCollector struct{ fsm *store.FSM }

// ingestAction is the audit action of a dataset load (ingest.AuditAction;
// not imported: the coordinator does not depend on the loaders).
const ingestAction = "ingest.load"

var (
	descBackupSize = prometheus.NewDesc("citadel_backup_last_size_bytes",
		"Stored bytes of the newest complete backup of the replica set in each storage (catalog cache).", []string{"replica_set", "storage"}, nil)
	descBackupCount = prometheus.NewDesc("citadel_backup_count",
		"Complete backups of the replica set in each storage, per the catalog cache.", []string{"replica_set", "storage"}, nil)
	descBackupDuration = prometheus.NewDesc("citadel_backup_last_duration_seconds",
		"Duration of the backup job's newest successful run (snapshot and copies).", []string{"job"}, nil)
	descLoaderDocs = prometheus.NewDesc("citadel_loader_last_documents",
		"Documents written (inserted, updated or unchanged) by the newest load of the target DATABASE/DATASET recorded in the audit trail.", []string{"target"}, nil)
	descLoaderRejects = prometheus.NewDesc("citadel_loader_last_rejects",
		"Records rejected to quarantine by the newest load of the target recorded in the audit trail.", []string{"target"}, nil)
	descLoaderRead = prometheus.NewDesc("citadel_loader_last_read",
		"Records read by the newest load of the target recorded in the audit trail.", []string{"target"}, nil)
	descLoaderSuccess = prometheus.NewDesc("citadel_loader_last_success",
		"1 when the newest load of the target succeeded, else 0.", []string{"target"}, nil)
	descLoaderAge = prometheus.NewDesc("citadel_loader_last_run_age_seconds",
		"Seconds since the newest load of the target was recorded.", []string{"target"}, nil)
)

func (c *recordsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBackupSize, descBackupCount, descBackupDuration,
		descLoaderDocs, descLoaderRejects, descLoaderRead, descLoaderSuccess, descLoaderAge} {
		ch <- d
	}
}

func (c *recordsCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	c.backups(ch)
	for _, j := range c.fsm.Jobs() {
		if js := c.fsm.JobState(j.Name); j.Kind == "backup" && !js.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descBackupDuration, prometheus.GaugeValue, js.LastDuration.Seconds(), j.Name)
		}
	}
	for _, l := range LastLoads(c.fsm.Audit(time.Time{}, ingestAction, 0)) {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l.Target)
		}
		gauge(descLoaderDocs, float64(l.Documents))
		gauge(descLoaderRejects, float64(l.Rejected))
		gauge(descLoaderRead, float64(l.Read))
		gauge(descLoaderSuccess, boolValue(l.OK))
		gauge(descLoaderAge, now.Sub(l.Time).Seconds())
	}
}

func (c *recordsCollector) backups(ch chan<- prometheus.Metric) {
	type key struct{ rs, st string }
	count := map[key]int{}
	for _, e := range c.fsm.Catalog("", "") { // newest first
		if !e.Complete {
			continue
		}
		k := key{e.ReplicaSet, e.Storage}
		if count[k] == 0 {
			ch <- prometheus.MustNewConstMetric(descBackupSize, prometheus.GaugeValue, float64(e.Size), e.ReplicaSet, e.Storage)
		}
		count[k]++
	}
	for k, n := range count {
		ch <- prometheus.MustNewConstMetric(descBackupCount, prometheus.GaugeValue, float64(n), k.rs, k.st)
	}
}

// Load is the newest recorded load of one target, read from its audit
// record (ingest.Load writes the counts into the parameters).
type Load struct {
	Target    string
	Time      time.Time
	OK        bool
	Read      int64
	Documents int64 // inserted + updated + unchanged
	Rejected  int64
}

// LastLoads returns the newest load of each target among the ingest.load
// audit records recs (newest first, as FSM.Audit returns them); dry runs
// wrote nothing and are left out.
func LastLoads(recs []store.AuditRecord) []Load {
	var out []Load
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Action != ingestAction || r.Outcome == "dry-run" || seen[r.Target] {
			continue
		}
		seen[r.Target] = true
		var p struct{ Read, Inserted, Updated, Unchanged, Rejected int64 }
		_ = json.Unmarshal(r.Parameters, &p) // a record without counts (the load failed early) counts zero
		out = append(out, Load{Target: r.Target, Time: r.Time, OK: r.Outcome == "ok", Read: p.Read,
			Documents: p.Inserted + p.Updated + p.Unchanged, Rejected: p.Rejected})
	}
	return out
}
