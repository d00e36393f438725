package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeCommand(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	good, err := NewCommand(CmdJobPut, at, "paris", Job{Name: "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		wantErr error
		typ     string
	}{
		{"current version", string(good), nil, CmdJobPut},
		{"unknown type", `{"type":"job.frobnicate","v":1,"at":"2026-03-01T02:00:00Z","body":{}}`, ErrUnknownCommand, "job.frobnicate"},
		{"newer version", `{"type":"job.put","v":2,"at":"2026-03-01T02:00:00Z","body":{}}`, ErrUnknownCommand, CmdJobPut},
		{"no version", `{"type":"job.put","at":"2026-03-01T02:00:00Z","body":{}}`, ErrBadCommand, CmdJobPut},
		{"no type", `{"v":1}`, ErrBadCommand, ""},
		{"not json", `\x00\x01`, ErrBadCommand, ""},
		{"extra fields kept readable", `{"type":"job.put","v":1,"at":"2026-03-01T02:00:00Z","future":true,"body":{"name":"x"}}`, nil, CmdJobPut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeCommand([]byte(tt.data))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if c.Type != tt.typ {
				t.Fatalf("type = %q, want %q", c.Type, tt.typ)
			}
		})
	}
}

// An unknown command is skipped (state unchanged), logged once per type and
// version, and later known commands still apply.
func TestFSMSkipsUnknownCommandsAndLogsOnce(t *testing.T) {
	var logged strings.Builder
	f := NewFSM(testLogger(&logged))
	unknown := []byte(`{"type":"archiver.retune","v":1,"at":"2026-03-01T02:00:00Z","body":{"x":1}}`)
	newer := []byte(`{"type":"job.put","v":7,"at":"2026-03-01T02:00:00Z","body":{"name":"from-the-future"}}`)
	for range 3 {
		if res := f.ApplyCommand(unknown); !errors.Is(res.Err, ErrUnknownCommand) {
			t.Fatalf("unknown: %v", res.Err)
		}
		if res := f.ApplyCommand(newer); !errors.Is(res.Err, ErrUnknownCommand) {
			t.Fatalf("newer: %v", res.Err)
		}
	}
	mustApply(t, f, CmdJobPut, Job{Name: "nightly", Schedule: "0 2 * * *"})
	if got := len(f.Jobs()); got != 1 {
		t.Fatalf("jobs = %d, want 1 (the v7 job.put must not apply)", got)
	}
	if n := strings.Count(logged.String(), "type=archiver.retune"); n != 1 {
		t.Fatalf("archiver.retune logged %d times, want once:\n%s", n, logged.String())
	}
	if n := strings.Count(logged.String(), "version=7"); n != 1 {
		t.Fatalf("job.put v7 logged %d times, want once:\n%s", n, logged.String())
	}
}

func TestFSMBadBodyIsSkipped(t *testing.T) {
	f := NewFSM(nil)
	res := f.ApplyCommand([]byte(`{"type":"job.put","v":1,"at":"2026-03-01T02:00:00Z","body":"not an object"}`))
	if !errors.Is(res.Err, ErrBadCommand) {
		t.Fatalf("err = %v, want ErrBadCommand", res.Err)
	}
	if len(f.Jobs()) != 0 {
		t.Fatal("a malformed job.put changed the state")
	}
}

func mustApply(t *testing.T, f *FSM, typ string, body any) *Result {
	t.Helper()
	return mustApplyAt(t, f, typ, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), body)
}

func mustApplyAt(t *testing.T, f *FSM, typ string, at time.Time, body any) *Result {
	t.Helper()
	data, err := NewCommand(typ, at, "test", body)
	if err != nil {
		t.Fatal(err)
	}
	res := f.ApplyCommand(data)
	if res.Err != nil {
		t.Fatalf("%s: %v", typ, res.Err)
	}
	return res
}

func applyAt(t *testing.T, f *FSM, typ string, at time.Time, body any) *Result {
	t.Helper()
	data, err := NewCommand(typ, at, "test", body)
	if err != nil {
		t.Fatal(err)
	}
	return f.ApplyCommand(data)
}
