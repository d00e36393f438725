package statuspage

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/config"
)

// Observer observes the configured replica sets the way `citadel cluster
// status` does (cluster.Manager.Status) and keeps the result for MaxAge,
// so page views and scrapes share one observation and a burst of them
// costs one round of hello/replSetGetStatus per member. One observation
// runs at a time, bounded by Timeout, detached from the request that
// started it (a closed browser tab does not waste it).
type Observer struct {
	mgr     *cluster.Manager
	sets    []*config.ReplicaSet
	maxAge  time.Duration
	timeout time.Duration

	mu       sync.Mutex
	last     Observation
	inflight chan struct{}
}

// Observation is one round over every set.
type Observation struct {
	At     time.Time
	States []*cluster.State
	// Err is what went wrong ("" when every set was observed); States
	// holds the sets seen before it.
	Err string
}

// NewObserver observes sets through mgr.
func NewObserver(mgr *cluster.Manager, sets []*config.ReplicaSet, maxAge, timeout time.Duration) *Observer {
	return &Observer{mgr: mgr, sets: sets, maxAge: maxAge, timeout: timeout}
}

// Get returns an observation at most MaxAge old, observing again when the
// last one is older; it waits at most until ctx ends, then returns the
// previous observation.
func (o *Observer) Get(ctx context.Context) Observation {
	o.mu.Lock()
	if !o.last.At.IsZero() && time.Since(o.last.At) < o.maxAge {
		defer o.mu.Unlock()
		return o.last
	}
	wait := o.inflight
	if wait == nil {
		wait = make(chan struct{})
		o.inflight = wait
		go o.observe(wait)
	}
	o.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *Observer) observe(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	states, err := o.mgr.Status(ctx, o.sets, nil)
	obs := Observation{At: time.Now(), States: states}
	if err != nil {
		obs.Err = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			obs.Err = "no answer within " + o.timeout.String() + " (" + err.Error() + ")"
		}
	}
	o.mu.Lock()
	o.last, o.inflight = obs, nil
	o.mu.Unlock()
	close(done)
}
