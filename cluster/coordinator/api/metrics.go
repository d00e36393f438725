package api

import (
	"net/http"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the node's Prometheus registry. Raft and job metrics are
// registered here; other packages add theirs through Registry (the
// backup, PITR and drill gauges below already read the FSM's records, and
// the job layer can register richer collectors next to them).
type Metrics struct {
	Registry *prometheus.Registry
	duration *prometheus.HistogramVec
	failures *prometheus.CounterVec
	runs     *prometheus.CounterVec
}

// NewMetrics registers the coordinator's metrics for st.
func NewMetrics(st *store.Store) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "citadel_job_duration_seconds", Help: "Duration of job runs executed by this node, by job and outcome.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 16),
		}, []string{"job", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "citadel_job_failures_total", Help: "Failed job runs executed by this node, by job.",
		}, []string{"job"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "citadel_job_runs_total", Help: "Job runs executed by this node, by job and outcome.",
		}, []string{"job", "outcome"}),
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	gauge("citadel_coordinator_leader", "1 when this node is the raft leader, else 0.", func() float64 {
		if st.IsLeader() {
			return 1
		}
		return 0
	})
	gauge("citadel_raft_term", "Current raft term seen by this node.", func() float64 { return float64(st.Status().Term) })
	gauge("citadel_raft_commit_index", "Raft commit index on this node.", func() float64 { return float64(st.Status().CommitIndex) })
	gauge("citadel_raft_applied_index", "Raft index applied to the FSM on this node.", func() float64 { return float64(st.Status().AppliedIndex) })
	gauge("citadel_raft_last_index", "Last raft log index stored on this node.", func() float64 { return float64(st.Status().LastIndex) })
	reg.MustRegister(m.duration, m.failures, m.runs, &fsmCollector{fsm: st.FSM()}, &recordsCollector{fsm: st.FSM()},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveRun records one finished run (the scheduler's OnFinish hook).
func (m *Metrics) ObserveRun(job store.Job, run store.Run) {
	outcome := run.State
	m.runs.WithLabelValues(job.Name, outcome).Inc()
	if !run.End.IsZero() {
		m.duration.WithLabelValues(job.Name, outcome).Observe(run.End.Sub(run.Start).Seconds())
	}
	if run.State == store.RunFailed {
		m.failures.WithLabelValues(job.Name).Inc()
	}
}

// fsmCollector turns replicated state into gauges at scrape time, so every
// node reports the same values and a new leader does not start from zero.
type fsmCollector struct{ fsm *store.FSM }

var (
	descLastSuccessAge = prometheus.NewDesc("citadel_job_last_success_age_seconds",
		"Seconds since the job's newest successful run ended (absent before the first success).", []string{"job"}, nil)
	descRunning = prometheus.NewDesc("citadel_job_running",
		"1 while the job holds a lease (a run in progress), else 0.", []string{"job"}, nil)
	descBackupAge = prometheus.NewDesc("citadel_backup_last_success_age_seconds",
		"Seconds since the newest complete backup of the replica set in the catalog cache.", []string{"replica_set"}, nil)
	descPITRLag = prometheus.NewDesc("citadel_pitr_lag_seconds",
		"Seconds between now and the end of the replica set's last committed PITR slice.", []string{"replica_set"}, nil)
	descDrillSuccess = prometheus.NewDesc("citadel_drill_last_success",
		"1 when the drill's newest run passed, else 0.", []string{"drill"}, nil)
	descDrillAge = prometheus.NewDesc("citadel_drill_last_run_age_seconds",
		"Seconds since the drill's newest run ended.", []string{"drill"}, nil)
	descDrillRTO = prometheus.NewDesc("citadel_drill_rto_seconds",
		"Recovery time measured by the drill's newest run.", []string{"drill"}, nil)
	descDrillRPO = prometheus.NewDesc("citadel_drill_rpo_seconds",
		"Recovery point measured by the drill's newest run.", []string{"drill"}, nil)
)

func (c *fsmCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLastSuccessAge, descRunning, descBackupAge, descPITRLag, descDrillSuccess, descDrillAge, descDrillRTO, descDrillRPO} {
		ch <- d
	}
}

func (c *fsmCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	gauge := func(d *prometheus.Desc, v float64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, label)
	}
	for _, j := range c.fsm.Jobs() {
		js := c.fsm.JobState(j.Name)
		if !js.LastSuccess.IsZero() {
			gauge(descLastSuccessAge, now.Sub(js.LastSuccess).Seconds(), j.Name)
		}
		gauge(descRunning, boolValue(js.Current != 0), j.Name)
	}
	newest := map[string]time.Time{}
	for _, e := range c.fsm.Catalog("", "") {
		if e.Complete && e.Time.After(newest[e.ReplicaSet]) {
			newest[e.ReplicaSet] = e.Time
		}
	}
	for rs, t := range newest {
		gauge(descBackupAge, now.Sub(t).Seconds(), rs)
	}
	for _, p := range c.fsm.PITR() {
		if p.Position.T != 0 {
			gauge(descPITRLag, now.Sub(time.Unix(int64(p.Position.T), 0)).Seconds(), p.ReplicaSet)
		}
	}
	seen := map[string]bool{}
	for _, d := range c.fsm.Drills("", 0) { // newest first
		if seen[d.Drill] {
			continue
		}
		seen[d.Drill] = true
		gauge(descDrillSuccess, boolValue(d.Passed), d.Drill)
		gauge(descDrillAge, now.Sub(d.End).Seconds(), d.Drill)
		gauge(descDrillRTO, d.RTO.Seconds(), d.Drill)
		gauge(descDrillRPO, d.RPO.Seconds(), d.Drill)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
