package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func TestLeaseLifecycle(t *testing.T) {
	f := NewFSM(nil)
	mustApply(t, f, CmdJobPut, Job{Name: "nightly", Schedule: "0 2 * * *"})
	slot := t0

	r1 := mustApplyAt(t, f, CmdLeaseAcquire, t0, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerSchedule, Holder: "paris"}).Run
	if r1.Token != 1 || r1.Attempt != 1 || r1.State != RunRunning {
		t.Fatalf("first lease: %+v", r1)
	}
	steps := []struct {
		name    string
		typ     string
		body    any
		wantErr error
	}{
		{"same slot again is refused: busy", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerSchedule, Holder: "lyon"}, ErrBusy},
		{"manual trigger while running: busy", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: t0, Trigger: TriggerManual, Holder: "lyon"}, ErrBusy},
		{"heartbeat of the current token", CmdLeaseHeartbeat, TokenBody{Job: "nightly", Token: 1}, nil},
		{"heartbeat of a wrong token is fenced", CmdLeaseHeartbeat, TokenBody{Job: "nightly", Token: 9}, ErrFenced},
		{"takeover naming a stale token is refused", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerTakeover, Holder: "lyon", Replaces: 7}, ErrFenced},
		{"takeover of the current token", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerTakeover, Holder: "lyon", Replaces: 1}, nil},
		{"the deposed holder's fence fails", CmdLeaseFence, TokenBody{Job: "nightly", Token: 1}, ErrFenced},
		{"the deposed holder's finish fails", CmdRunFinish, FinishBody{Job: "nightly", Token: 1, OK: true}, ErrFenced},
		{"the new holder's fence passes", CmdLeaseFence, TokenBody{Job: "nightly", Token: 2}, nil},
		{"the new holder finishes", CmdRunFinish, FinishBody{Job: "nightly", Token: 2, OK: true, Result: json.RawMessage(`{"backup":"b1"}`)}, nil},
		{"the finished slot never runs again", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerSchedule, Holder: "lyon"}, ErrSlotDone},
		{"its skip is refused too", CmdRunSkip, SkipBody{Job: "nightly", Slot: slot, Trigger: TriggerSchedule, Reason: "x"}, ErrSlotDone},
		{"a manual run of a done slot is allowed", CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: slot, Trigger: TriggerManual, Holder: "lyon"}, nil},
		{"unknown job", CmdLeaseAcquire, AcquireBody{Job: "nope", Slot: slot, Trigger: TriggerSchedule}, ErrUnknownJob},
	}
	for i, st := range steps {
		res := applyAt(t, f, st.typ, t0.Add(time.Duration(i+1)*time.Second), st.body)
		if !errors.Is(res.Err, st.wantErr) || (st.wantErr == nil && res.Err != nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, res.Err, st.wantErr)
		}
	}
	runs := f.Runs("nightly", 0)
	if len(runs) != 3 {
		t.Fatalf("runs = %d, want 3: %+v", len(runs), runs)
	}
	byToken := map[uint64]Run{}
	for _, r := range runs {
		byToken[r.Token] = r
	}
	if r := byToken[1]; r.State != RunAbandoned || r.Reason == "" {
		t.Fatalf("run 1: %+v", r)
	}
	if r := byToken[2]; r.State != RunSucceeded || r.Attempt != 2 || r.Replaces != 1 || string(r.Result) != `{"backup":"b1"}` || r.FencedAt.IsZero() {
		t.Fatalf("run 2: %+v", r)
	}
	if js := f.JobState("nightly"); js.Current != 3 || !js.LastSlot.Equal(slot) || js.LastSuccess.IsZero() {
		t.Fatalf("job state: %+v", js)
	}
}

func TestRetryCountsAttempts(t *testing.T) {
	f := NewFSM(nil)
	mustApply(t, f, CmdJobPut, Job{Name: "j"})
	r := mustApply(t, f, CmdLeaseAcquire, AcquireBody{Job: "j", Slot: t0, Trigger: TriggerSchedule, Holder: "a"}).Run
	mustApply(t, f, CmdRunFinish, FinishBody{Job: "j", Token: r.Token, Error: "dump failed"})
	r2 := mustApply(t, f, CmdLeaseAcquire, AcquireBody{Job: "j", Slot: t0, Trigger: TriggerRetry, Holder: "a"}).Run
	if r2.Attempt != 2 {
		t.Fatalf("retry attempt = %d, want 2", r2.Attempt)
	}
	if js := f.JobState("j"); js.Failures != 1 {
		t.Fatalf("failures = %d, want 1", js.Failures)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	f := NewFSM(nil)
	mustApply(t, f, CmdSettingsPut, Limits{RunsPerJob: 3, Audit: 4, Drills: 2})
	mustApply(t, f, CmdJobPut, Job{Name: "j"})
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Hour)
		r := mustApplyAt(t, f, CmdLeaseAcquire, at, AcquireBody{Job: "j", Slot: at, Trigger: TriggerSchedule, Holder: "a"}).Run
		mustApplyAt(t, f, CmdRunFinish, at, FinishBody{Job: "j", Token: r.Token, OK: true})
		mustApplyAt(t, f, CmdAuditAppend, at, AuditRecord{Who: "ops", Action: "backup.prune", Target: fmt.Sprint(i), Outcome: "ok"})
		mustApplyAt(t, f, CmdDrillPut, at, DrillRecord{ID: fmt.Sprint(i), Drill: "d", Passed: true})
	}
	// A running run is never trimmed, even beyond the limit.
	mustApply(t, f, CmdLeaseAcquire, AcquireBody{Job: "j", Trigger: TriggerManual, Holder: "a"})
	runs := f.Runs("j", 0)
	if len(runs) != 3 || runs[0].State != RunRunning && runs[len(runs)-1].State != RunRunning {
		t.Fatalf("runs kept = %d (%+v), want 3 with the running one", len(runs), runs)
	}
	audit := f.Audit(time.Time{}, "", 0)
	if len(audit) != 4 || audit[0].Target != "9" || audit[3].Target != "6" || audit[0].Seq != 10 {
		t.Fatalf("audit kept: %+v", audit)
	}
	if d := f.Drills("", 0); len(d) != 2 || d[0].ID != "9" {
		t.Fatalf("drills kept: %+v", d)
	}
}

func TestCatalogReplaceRebuildsOneStorage(t *testing.T) {
	f := NewFSM(nil)
	mustApply(t, f, CmdCatalogPut, CatalogPutBody{Entries: []CatalogEntry{
		{ID: "b1", ReplicaSet: "main", Storage: "paris", Time: t0},
		{ID: "b1", ReplicaSet: "main", Storage: "lyon", Time: t0},
		{ID: "b2", ReplicaSet: "main", Storage: "paris", Time: t0.Add(time.Hour)},
	}})
	mustApply(t, f, CmdCatalogPut, CatalogPutBody{Replace: true, Storage: "paris", Entries: []CatalogEntry{
		{ID: "b2", ReplicaSet: "main", Storage: "paris", Time: t0.Add(time.Hour), Complete: true},
	}})
	got := f.Catalog("", "")
	if len(got) != 2 || got[0].ID != "b2" || !got[0].Complete || got[1].Storage != "lyon" {
		t.Fatalf("catalog: %+v", got)
	}
	mustApply(t, f, CmdCatalogDelete, NamesBody{Names: []string{"lyon/b1"}})
	if got := f.Catalog("main", "lyon"); len(got) != 0 {
		t.Fatalf("lyon after delete: %+v", got)
	}
}

// populated returns an FSM with every kind of state.
func populated(t *testing.T) *FSM {
	f := NewFSM(nil)
	mustApply(t, f, CmdSettingsPut, Limits{RunsPerJob: 50, Audit: 50, Drills: 50})
	mustApply(t, f, CmdJobPut, Job{Name: "nightly", Kind: "backup", Schedule: "0 2 * * *", Timezone: "Europe/Paris", Params: json.RawMessage(`{"backup":"main-paris"}`)})
	r := mustApply(t, f, CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: t0, Trigger: TriggerSchedule, Holder: "paris"}).Run
	mustApply(t, f, CmdLeaseFence, TokenBody{Job: "nightly", Token: r.Token})
	mustApply(t, f, CmdRunFinish, FinishBody{Job: "nightly", Token: r.Token, OK: true, Result: json.RawMessage(`{"id":"b1"}`)})
	mustApply(t, f, CmdRunSkip, SkipBody{Job: "nightly", Slot: t0.Add(24 * time.Hour), Trigger: TriggerSchedule, Reason: "previous run still running"})
	mustApply(t, f, CmdLeaseAcquire, AcquireBody{Job: "nightly", Slot: t0.Add(48 * time.Hour), Trigger: TriggerSchedule, Holder: "lyon"})
	mustApply(t, f, CmdCatalogPut, CatalogPutBody{Entries: []CatalogEntry{{ID: "b1", ReplicaSet: "main", Storage: "paris", Time: t0, Complete: true, Size: 42}}})
	mustApply(t, f, CmdDrillPut, DrillRecord{ID: "d1", Drill: "weekly", Start: t0, End: t0.Add(time.Minute), Passed: true, RTO: time.Minute, RPO: time.Second})
	mustApply(t, f, CmdAuditAppend, AuditRecord{Who: "alice", Action: "cluster.switchover", Target: "main", Parameters: json.RawMessage(`{"to":"lyon"}`), Outcome: "ok"})
	mustApply(t, f, CmdPITRPut, PITRState{ReplicaSet: "main", Position: OpTime{T: 1772330400, I: 3}, SliceKey: "main/pitr/x"})
	mustApply(t, f, CmdNodePut, NodeInfo{ID: "paris", Site: "paris", RaftAddress: "127.0.0.1:7400", HTTPAddress: "127.0.0.1:7401"})
	return f
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := populated(t)
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	g := NewFSM(nil)
	mustApply(t, g, CmdJobPut, Job{Name: "replaced-by-restore"})
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.st, g.st) {
		a, _ := json.Marshal(f.st)
		b, _ := json.Marshal(g.st)
		t.Fatalf("restored state differs:\n%s\n%s", a, b)
	}
	// The restored FSM keeps working: tokens continue, not restart.
	r, ok := g.Current("nightly")
	if !ok {
		t.Fatal("the running run was not restored")
	}
	mustApply(t, g, CmdRunFinish, FinishBody{Job: "nightly", Token: r.Token, OK: true})
	next := mustApply(t, g, CmdLeaseAcquire, AcquireBody{Job: "nightly", Trigger: TriggerManual, Holder: "lyon"}).Run
	if next.Token != r.Token+1 {
		t.Fatalf("token after restore = %d, want %d", next.Token, r.Token+1)
	}
}

func TestSnapshotOfNewerFormatIsRefused(t *testing.T) {
	g := NewFSM(nil)
	err := g.Restore(io.NopCloser(bytes.NewReader([]byte(`{"format":99}`))))
	if err == nil {
		t.Fatal("a snapshot of a newer format was restored")
	}
}

type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { m.cancelled = true; return nil }
func (m *memSink) Close() error  { return nil }
