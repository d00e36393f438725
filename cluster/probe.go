package cluster

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// ProbeDB and ProbeCollection receive the probe writer's documents.
const (
	ProbeDB         = "citadel"
	ProbeCollection = "probe"
)

// ProbeResult is what the probe writer saw during an operation.
type ProbeResult struct {
	Writes   int `json:"writes"`
	Failures int `json:"failures"`
	// Unavailable is the longest time between two acknowledged writes:
	// the write-unavailability window, to within the probe interval.
	Unavailable Seconds `json:"write_unavailable_seconds"`
	Interval    Seconds `json:"probe_interval_seconds"`
}

// writeProbe inserts a small document every interval through a replica-set
// connection (as an application would) and measures the gaps between
// acknowledged writes.
type writeProbe struct {
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	res    ProbeResult
	lastOK time.Time
}

func startProbe(ctx context.Context, client *mongo.Client, op string, interval time.Duration) *writeProbe {
	ctx, cancel := context.WithCancel(ctx)
	p := &writeProbe{stop: cancel, done: make(chan struct{}), res: ProbeResult{Interval: Seconds(interval)}}
	coll := client.Database(ProbeDB).Collection(ProbeCollection, options.Collection().SetWriteConcern(writeconcern.W1()))
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := coll.InsertOne(wctx, bson.D{{Key: "op", Value: op}, {Key: "at", Value: time.Now().UTC()}})
			cancel()
			p.note(err == nil, time.Now())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *writeProbe) note(ok bool, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ok {
		p.res.Failures++
		return
	}
	p.res.Writes++
	if !p.lastOK.IsZero() {
		p.res.Unavailable = max(p.res.Unavailable, Seconds(at.Sub(p.lastOK)))
	}
	p.lastOK = at
}

// Stop ends the probe and returns what it measured.
func (p *writeProbe) Stop() ProbeResult {
	p.stop()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.res
}
