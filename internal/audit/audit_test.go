package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/noscites/citadel/internal/fault"
)

func TestFileSinkAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "audit.jsonl")
	tr := New(nil, "alice", &FileSink{Path: path})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 1 {
				err = fmt.Errorf("drop: %w", fault.ErrRefused)
			}
			tr.Record(context.Background(), "restore", fmt.Sprintf("db.c%d", i), map[string]any{"drop": true}, err)
		}()
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	outcomes := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if r.Who != "alice" || r.Action != "restore" || r.Parameters["drop"] != true || r.Time.IsZero() {
			t.Errorf("record %+v", r)
		}
		outcomes[r.Outcome]++
	}
	if outcomes[OK] != 25 || outcomes[Refused] != 25 {
		t.Errorf("outcomes %v, want 25 ok and 25 refused", outcomes)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestFailingSinkDoesNotStopOthers(t *testing.T) {
	var got []Record
	ok := Func(func(_ context.Context, r Record) error { got = append(got, r); return nil })
	bad := Func(func(context.Context, Record) error { return errors.New("raft: no leader") })
	New(nil, "bob", bad, ok).Record(context.Background(), "backup.prune", "minio-lyon", nil, errors.New("boom"))
	if len(got) != 1 || got[0].Outcome != Failed || got[0].Error != "boom" {
		t.Fatalf("records %+v", got)
	}
	var nilTrail *Trail
	nilTrail.Record(context.Background(), "x", "y", nil, nil) // records nothing, does not panic
}
