package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzApplyCommand: no log entry makes the FSM panic; an entry is either
// applied or skipped with ErrUnknownCommand/ErrBadCommand or a domain
// refusal, and the state still snapshots and restores.
func FuzzApplyCommand(f *testing.F) {
	for _, typ := range []string{CmdJobPut, CmdLeaseAcquire, CmdLeaseFence, CmdRunFinish, CmdCatalogPut, CmdAuditAppend, CmdSettingsPut} {
		c, _ := NewCommand(typ, t0, "fuzz", map[string]any{"job": "j", "name": "j", "token": 1, "slot": t0, "trigger": "schedule"})
		f.Add(c)
	}
	f.Add([]byte(`{"type":"job.put","v":9}`))
	f.Add([]byte(`{"type":"settings.put","v":1,"body":{"runs_per_job":-5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsm := NewFSM(nil)
		seed, _ := NewCommand(CmdJobPut, t0, "fuzz", Job{Name: "j"})
		fsm.ApplyCommand(seed)
		res := fsm.ApplyCommand(data)
		if res == nil {
			t.Fatal("nil result")
		}
		if _, err := DecodeCommand(data); err != nil && !errors.Is(res.Err, ErrUnknownCommand) && !errors.Is(res.Err, ErrBadCommand) {
			t.Fatalf("undecodable entry applied: %v / %v", err, res.Err)
		}
		snap, err := fsm.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		var sink memSink
		if err := snap.Persist(&sink); err != nil {
			t.Fatal(err)
		}
		if err := NewFSM(nil).Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
			t.Fatalf("own snapshot does not restore: %v", err)
		}
	})
}

// FuzzRestore: no snapshot bytes make Restore panic or leave nil maps.
func FuzzRestore(f *testing.F) {
	data, _ := json.Marshal(newState())
	f.Add(data)
	f.Add([]byte(`{"format":1,"jobs":null,"runs":{"j":[null]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsm := NewFSM(nil)
		if err := fsm.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
			return
		}
		fsm.Jobs()
		fsm.Running()
		fsm.Runs("", 0)
		fsm.Catalog("", "")
		fsm.Drills("", 0)
		fsm.Audit(t0, "", 0)
		fsm.PITR()
		fsm.Nodes()
		c, _ := NewCommand(CmdJobPut, t0, "fuzz", Job{Name: "k"})
		fsm.ApplyCommand(c)
	})
}
