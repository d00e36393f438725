package statuspage

import (
	"cmp"
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// memberCollector exports the observed members on the leader only (one
// node observes the sets for Prometheus, not every node), from the
// page's cached observation: a scrape waits at most the observation's
// timeout and reuses an observation younger than MaxAge.
type memberCollector struct {
	st  *store.Store
	obs *Observer
}

var (
	memberLabels = []string{"replica_set", "member", "site"}
	descState    = prometheus.NewDesc("citadel_member_state",
		"1 for the member's observed state (PRIMARY, SECONDARY, DOWN, …); exported by the coordinator leader.", append(memberLabels, "state"), nil)
	descHealthy = prometheus.NewDesc("citadel_member_healthy",
		"1 when the primary's heartbeats reach the member (without a primary: citadel reached it), else 0.", memberLabels, nil)
	descLag = prometheus.NewDesc("citadel_member_lag_seconds",
		"Replication lag of the secondary behind the primary, in seconds.", memberLabels, nil)
	descPrimary = prometheus.NewDesc("citadel_replica_set_primary",
		"1 when the replica set has a primary, else 0.", []string{"replica_set"}, nil)
	descOplog = prometheus.NewDesc("citadel_oplog_window_seconds",
		"Time span the primary's oplog covers.", []string{"replica_set"}, nil)
	descObserved = prometheus.NewDesc("citadel_member_observation_age_seconds",
		"Age of the observation of the replica sets the member metrics come from.", nil, nil)
)

func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descHealthy, descLag, descPrimary, descOplog, descObserved} {
		ch <- d
	}
}

func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	if !c.st.IsLeader() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.obs.timeout)
	defer cancel()
	obs := c.obs.Get(ctx)
	if obs.At.IsZero() {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descObserved, time.Since(obs.At).Seconds())
	for _, st := range obs.States {
		gauge(descPrimary, boolValue(st.Primary != ""), st.Name)
		if span := st.Oplog.Span(); span > 0 {
			gauge(descOplog, span.Seconds(), st.Name)
		}
		for _, m := range st.Members {
			site := cmp.Or(m.Site, "unknown")
			gauge(descState, 1, st.Name, m.Host, site, cmp.Or(m.State, "UNKNOWN"))
			gauge(descHealthy, boolValue(m.Health), st.Name, m.Host, site)
			if m.LagKnown && m.State != "PRIMARY" && !m.Arbiter {
				gauge(descLag, m.Lag.D().Seconds(), st.Name, m.Host, site)
			}
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
