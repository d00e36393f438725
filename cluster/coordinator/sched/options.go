package sched

import (
	"log/slog"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// Options tune the scheduler; zero values take the defaults.
type Options struct {
	// CatchUpWindow: a slot missed while no leader ran the schedule runs
	// once at start if it is at most this old (default 12h; negative
	// disables catching up).
	CatchUpWindow time.Duration
	// HeartbeatInterval is how often a running job renews its lease
	// through raft (default 5s).
	HeartbeatInterval time.Duration
	// LeaseTTL: a lease whose heartbeat this leader has not seen change
	// for LeaseTTL is stale and taken over (default 30s; at least three
	// heartbeats).
	LeaseTTL time.Duration
	// MaxAttempts bounds the tries of one slot (default 3); a job's own
	// MaxAttempts overrides it.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry, doubled for each
	// next one (default 1m). A retry that would reach the next slot is not
	// made: the next slot runs instead.
	RetryBackoff time.Duration
	// OnFinish, when set, is called after each run the scheduler records
	// (metrics hook).
	OnFinish func(job JobSpec, run store.Run)
	Log      *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.CatchUpWindow, 12*time.Hour)
	def(&o.HeartbeatInterval, 5*time.Second)
	def(&o.LeaseTTL, 30*time.Second)
	def(&o.RetryBackoff, time.Minute)
	if o.LeaseTTL < 3*o.HeartbeatInterval {
		o.LeaseTTL = 3 * o.HeartbeatInterval
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// commitGrace is how long after a passed fence the job may still commit.
// A new leader takes the lease over only after LeaseTTL without a change it
// observes itself, and the fence is such a change: half of LeaseTTL leaves
// the other half for clock-rate drift and scheduling delays.
func (o Options) commitGrace() time.Duration { return o.LeaseTTL / 2 }
