package drill

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// ProbeDB holds the switchover rehearsal's probe collections
// (probe_<run>, dropped afterwards).
const ProbeDB = "citadel_drill"

// writer inserts numbered documents with w:majority at a fixed rate and
// remembers which were acknowledged, and when.
type writer struct {
	coll     *mongo.Collection
	interval time.Duration
	stop     context.CancelFunc
	done     chan struct{}

	mu        sync.Mutex
	attempted int
	acked     []int64     // _id of each acknowledged write
	ackedAt   []time.Time // when it was acknowledged
}

func startWriter(ctx context.Context, c *mongo.Client, coll string, interval time.Duration) *writer {
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{interval: interval, stop: cancel, done: make(chan struct{}),
		coll: c.Database(ProbeDB).Collection(coll, options.Collection().SetWriteConcern(writeconcern.Majority()))}
	go w.loop(ctx)
	return w
}

// loop starts one insert every interval, whatever the latency, with at
// most maxInFlight waiting (during an election they wait for a primary,
// up to 2 s each): the writes are attempted at a fixed rate, as an
// application's would be.
func (w *writer) loop(ctx context.Context) {
	defer close(w.done)
	const maxInFlight = 16
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for seq := int64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		wg.Go(func() {
			defer func() { <-sem }()
			w.insert(ctx, seq)
		})
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// insert writes one probe document and records the outcome; an insert
// cut short by the writer's stop is not counted.
func (w *writer) insert(ctx context.Context, seq int64) {
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := w.coll.InsertOne(wctx, bson.D{{Key: "_id", Value: seq}, {Key: "at", Value: time.Now().UTC()}})
	cancel()
	if err != nil && ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempted++
	if err == nil {
		w.acked, w.ackedAt = append(w.acked, seq), append(w.ackedAt, time.Now())
	}
}

// counts returns the writes attempted and acknowledged so far.
func (w *writer) counts() (attempted, acked int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attempted, len(w.acked)
}

// finish stops the writer and returns what it saw.
func (w *writer) finish() (attempted int, acked []int64, at []time.Time) {
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attempted, w.acked, w.ackedAt
}

// longestGap is the longest time between two consecutive acknowledged
// writes whose interval overlaps [from, to]: the write-unavailability
// window of what happened then, to within the write interval. Without
// an acknowledgement on one side, the window runs to that bound.
func longestGap(at []time.Time, from, to time.Time) time.Duration {
	var gap time.Duration
	prev := from
	for _, t := range at {
		if t.Before(from) {
			prev = t
			continue
		}
		gap = max(gap, t.Sub(prev))
		prev = t
		if t.After(to) {
			return gap
		}
	}
	return max(gap, to.Sub(prev))
}

// missing lists the acknowledged ids absent from found.
func missing(acked []int64, found map[int64]bool) []int64 {
	var out []int64
	for _, id := range acked {
		if !found[id] {
			out = append(out, id)
		}
	}
	return out
}
