package mongoconn

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{fmt.Errorf("dump: %w", context.DeadlineExceeded), false},
		{errors.New("plain"), false},
		{mongo.CommandError{Code: 11602, Name: "InterruptedDueToReplStateChange"}, true},
		{fmt.Errorf("insert: %w", mongo.CommandError{Code: 10107}), true},
		{mongo.CommandError{Code: 11000}, false},
		{mongo.CommandError{Code: 2, Labels: []string{"RetryableError"}}, true},
		{mongo.WriteException{WriteConcernError: &mongo.WriteConcernError{Code: 189}}, true},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

func TestRetryPauseBounds(t *testing.T) {
	r := Retry{Attempts: 10, Base: 100 * time.Millisecond, Max: time.Second}
	for n, ceiling := range map[int]time.Duration{0: 100 * time.Millisecond, 1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 200 {
			if p := r.Pause(n); p < 0 || p > ceiling {
				t.Fatalf("Pause(%d) = %v, want within [0, %v]", n, p, ceiling)
			}
		}
	}
}

func TestRetryDo(t *testing.T) {
	r := Retry{Attempts: 4, Base: time.Millisecond, Max: 2 * time.Millisecond}
	transient := mongo.CommandError{Code: 11602}
	for _, tc := range []struct {
		name      string
		fails     int // failures before success
		failWith  error
		wantCalls int
		wantErr   bool
	}{
		{"succeeds at once", 0, nil, 1, false},
		{"rides out two transient failures", 2, transient, 3, false},
		{"gives up after Attempts", 10, transient, 4, true},
		{"does not retry a permanent failure", 10, errors.New("bad filter"), 1, true},
	} {
		calls := 0
		err := r.Do(context.Background(), func(int) error {
			calls++
			if calls <= tc.fails {
				return tc.failWith
			}
			return nil
		})
		if calls != tc.wantCalls || (err != nil) != tc.wantErr {
			t.Errorf("%s: %d calls, err %v; want %d calls, error %t", tc.name, calls, err, tc.wantCalls, tc.wantErr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Retry{Attempts: 5, Base: time.Hour, Max: time.Hour}.Do(ctx, func(int) error { return transient })
	var ce mongo.CommandError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ce) || ce.Code != 11602 {
		t.Errorf("cancelled: %v, want both the context's and the last error", err)
	}
}
