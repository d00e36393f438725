package mongosim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// The chaos run: a four-member two-site set, a writer inserting with
// w:majority, and rounds of faults on the primary — stop it, wait for a new
// primary, start it again and let it catch up; every fifth round a
// partition of the primary from the rest instead. After the rounds every
// acknowledged write must be on every member. MONGOSIM_CHAOS_ROUNDS sets
// the number of rounds (default 100; `make chaos` runs more) and
// MONGOSIM_CHAOS_ELECTION the election timeout (default 600ms; the
// heartbeat is a sixth of it).

const (
	// chaosRoundLimit bounds one round's recovery; a round that needs more
	// has failed (mongod elects within election timeout + a few heartbeats).
	chaosRoundLimit = 30 * time.Second
	// chaosLogLimit bounds what the simulator may log over the whole run.
	chaosLogLimit = 4 << 20
)

// countingWriter counts bytes and lines, optionally teeing them.
type countingWriter struct {
	bytes, lines atomic.Int64
	tee          io.Writer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes.Add(int64(len(p)))
	for _, c := range p {
		if c == '\n' {
			w.lines.Add(1)
		}
	}
	if w.tee != nil {
		return w.tee.Write(p)
	}
	return len(p), nil
}

// chaosWriter inserts documents {_id: n} with w:majority, one at a time,
// and records which were acknowledged and when.
type chaosWriter struct {
	coll *mongo.Collection
	mu   sync.Mutex
	acks map[int]time.Time
	sent atomic.Int64
	errs atomic.Int64
}

func (w *chaosWriter) run(ctx context.Context) {
	for i := 0; ctx.Err() == nil; i++ {
		w.sent.Add(1)
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := w.coll.InsertOne(octx, bson.D{{Key: "_id", Value: i}, {Key: "at", Value: time.Now()}})
		cancel()
		if err != nil {
			w.errs.Add(1)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		w.mu.Lock()
		w.acks[i] = time.Now()
		w.mu.Unlock()
	}
}

// firstAckAfter is the first acknowledgement at or after t.
func (w *chaosWriter) firstAckAfter(t time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var best time.Time
	for _, at := range w.acks {
		if !at.Before(t) && (best.IsZero() || at.Before(best)) {
			best = at
		}
	}
	return best, !best.IsZero()
}

func (w *chaosWriter) acknowledged() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int, 0, len(w.acks))
	for id := range w.acks {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func chaosRounds(t *testing.T) int {
	if s := os.Getenv("MONGOSIM_CHAOS_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("MONGOSIM_CHAOS_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 100
}

func chaosElection(t *testing.T) time.Duration {
	if s := os.Getenv("MONGOSIM_CHAOS_ELECTION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 100*time.Millisecond {
			t.Fatalf("MONGOSIM_CHAOS_ELECTION=%q: want a duration of at least 100ms", s)
		}
		return d
	}
	return 600 * time.Millisecond
}

func TestChaosPrimaryKills(t *testing.T) {
	rounds := chaosRounds(t)
	election := chaosElection(t)
	rs := twoSite(t)
	rs.Settings.ElectionTimeout = config.Duration(election)
	rs.Settings.HeartbeatInterval = config.Duration(election / 6)
	logs := &countingWriter{}
	if os.Getenv("MONGOSIM_LOG") != "" {
		logs.tee = os.Stderr
	}
	lg := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := Start(context.Background(), Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir(), Logger: lg, FerretLogger: lg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	initiate(t, s, rs)
	c := setClient(t, rs, options.Client().SetRetryWrites(true).SetTimeout(0))
	w := &chaosWriter{coll: c.Database("chaos", options.Database().SetWriteConcern(writeconcern.Majority())).Collection("writes"), acks: map[int]time.Time{}}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.run(ctx) }()
	defer func() { stop(); wg.Wait() }()

	var recoveries []time.Duration
	start := time.Now()
	for r := 0; r < rounds; r++ {
		d, err := chaosRound(t, s, rs, w, r)
		if err != nil {
			t.Fatalf("round %d of %d: %v\nstate: %+v", r+1, rounds, err, s.State())
		}
		recoveries = append(recoveries, d)
	}
	stop()
	wg.Wait()
	acked := w.acknowledged()
	missing := chaosMissing(t, s, rs, acked)
	slices.Sort(recoveries)
	t.Logf("chaos: %d of %d rounds recovered in %v (election timeout %v); writes sent %d, acknowledged %d, failed %d; recovery p50 %v, max %v; log %d lines, %d bytes",
		len(recoveries), rounds, time.Since(start).Round(time.Second), election, w.sent.Load(), len(acked), w.errs.Load(),
		recoveries[len(recoveries)/2].Round(time.Millisecond), recoveries[len(recoveries)-1].Round(time.Millisecond),
		logs.lines.Load(), logs.bytes.Load())
	for host, n := range missing {
		t.Logf("chaos: %s misses %d acknowledged writes", host, n)
		if n > 0 {
			t.Errorf("%s misses %d acknowledged w:majority writes", host, n)
		}
	}
	if logs.bytes.Load() > chaosLogLimit {
		t.Errorf("the simulator logged %d bytes in %d rounds (limit %d): a failure is logged more than once", logs.bytes.Load(), rounds, chaosLogLimit)
	}
}

// chaosRound runs one fault on the primary and returns how long writes
// were unavailable: from the fault to the first acknowledged write.
func chaosRound(t *testing.T, s *Sim, rs config.ReplicaSet, w *chaosWriter, r int) (time.Duration, error) {
	old := s.Primary(rs.Name)
	if old == "" {
		return 0, fmt.Errorf("no primary at the start of the round")
	}
	partition := r%5 == 4
	at := time.Now()
	if partition {
		var rest []string
		for _, m := range rs.Members {
			if m.Host != old {
				rest = append(rest, m.Host)
			}
		}
		if err := s.Partition([]string{old}, rest); err != nil {
			return 0, err
		}
	} else if err := s.Stop(old); err != nil {
		return 0, err
	}
	var recovered time.Time
	if !chaosWait(chaosRoundLimit, func() bool {
		p := s.Primary(rs.Name)
		if p == "" || p == old {
			return false
		}
		var ok bool
		recovered, ok = w.firstAckAfter(at)
		return ok
	}) {
		return 0, fmt.Errorf("no w:majority write acknowledged %v after the primary %s was %s", chaosRoundLimit, old, map[bool]string{true: "partitioned", false: "stopped"}[partition])
	}
	if partition {
		s.Heal()
	} else if err := s.Start(old); err != nil {
		return 0, err
	}
	if !chaosWait(chaosRoundLimit, func() bool { return converged(s, rs.Name) }) {
		return 0, fmt.Errorf("members did not converge %v after %s came back", chaosRoundLimit, old)
	}
	return recovered.Sub(at), nil
}

// converged: one writable primary, every other data member SECONDARY at
// the primary's last optime.
func converged(s *Sim, set string) bool {
	p := s.Primary(set)
	if p == "" {
		return false
	}
	var want OptimeJSON
	states := s.State()
	for _, st := range states {
		if st.Host == p {
			want = st.Optime
		}
	}
	for _, st := range states {
		if st.Set != set || st.Host == p {
			continue
		}
		if st.State != "SECONDARY" || st.Optime.T < want.T || (st.Optime.T == want.T && st.Optime.I < want.I) {
			return false
		}
	}
	return true
}

func chaosWait(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// chaosMissing waits for convergence, then counts per member the
// acknowledged writes it does not hold.
func chaosMissing(t *testing.T, s *Sim, rs config.ReplicaSet, acked []int) map[string]int {
	t.Helper()
	if !chaosWait(60*time.Second, func() bool { return converged(s, rs.Name) }) {
		t.Errorf("members did not converge after the writer stopped: %+v", s.State())
	}
	ctx := context.Background()
	out := map[string]int{}
	for _, m := range rs.Members {
		coll := direct(t, m.Host).Database("chaos", options.Database().SetReadPreference(readpref.SecondaryPreferred())).Collection("writes")
		cur, err := coll.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatalf("read back from %s: %v", m.Host, err)
		}
		held := map[int]bool{}
		for cur.Next(ctx) {
			v := cur.Current.Lookup("_id")
			if n, ok := v.AsInt64OK(); ok {
				held[int(n)] = true
			}
		}
		if err := cur.Err(); err != nil {
			t.Fatalf("read back from %s: %v", m.Host, err)
		}
		for _, id := range acked {
			if !held[id] {
				out[m.Host]++
			}
		}
		if out[m.Host] == 0 {
			out[m.Host] = 0
		}
	}
	return out
}
