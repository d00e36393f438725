package mongoconn

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Transient reports errors worth retrying after a pause: network errors,
// timeouts of the server or the connection, and the replica-set state
// changes that close connections or refuse writes for a moment (shutdown,
// step-down, not primary, node recovering). A context that ended is never
// transient: the caller gave up.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, code := range transientCodes {
			if se.HasErrorCode(code) {
				return true
			}
		}
		return se.HasErrorLabel("RetryableError") || se.HasErrorLabel("ResumableChangeStreamError")
	}
	return false
}

// transientCodes: InterruptedAtShutdown 11600, InterruptedDueToReplStateChange
// 11602, ShutdownInProgress 91, PrimarySteppedDown 189, NotWritablePrimary
// 10107, NotPrimaryNoSecondaryOk 13435, NotPrimaryOrSecondary 13436.
var transientCodes = [...]int{91, 189, 10107, 11600, 11602, 13435, 13436}

// Retry is the one retry policy of every MongoDB operation citadel repeats
// after a transient failure (dumping a collection, tailing the oplog,
// inserting a restore batch, a loader's batch): exponential backoff with
// full jitter, bounded in attempts. The drill webhook's POST uses it too,
// with its own test of what is worth retrying (DoIf).
type Retry struct {
	Attempts int           // total attempts, the first included
	Base     time.Duration // the first pause's upper bound
	Max      time.Duration // no pause is longer
}

// DefaultRetry rides out an election (mongod's default election timeout
// is 10 s): 8 attempts, pauses up to 250 ms, 500 ms, 1 s, … capped at 8 s,
// about 30 s in the worst case.
func DefaultRetry() Retry {
	return Retry{Attempts: 8, Base: 250 * time.Millisecond, Max: 8 * time.Second}
}

// Pause is the wait before attempt n+1 after n failed attempts (n ≥ 1):
// a random duration in [0, min(Max, Base·2^(n-1))].
func (r Retry) Pause(n int) time.Duration {
	ceiling := r.Max
	if n < 1 {
		n = 1
	}
	if shift := n - 1; shift < 30 {
		if d := r.Base << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// Do runs op until it succeeds, fails with an error that is not
// transient (see Transient, or retryable when given), or has run
// r.Attempts times; it returns op's last error. op receives the attempt
// number, from 0.
func (r Retry) Do(ctx context.Context, op func(attempt int) error) error {
	return r.DoIf(ctx, Transient, op)
}

// DoIf is Do with the caller's own test of what is worth retrying.
func (r Retry) DoIf(ctx context.Context, retryable func(error) bool, op func(attempt int) error) error {
	attempts := max(r.Attempts, 1)
	for n := 0; ; n++ {
		err := op(n)
		if err == nil || n+1 >= attempts || !retryable(err) {
			return err
		}
		t := time.NewTimer(r.Pause(n + 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}
