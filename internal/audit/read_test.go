package audit

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadLast(t *testing.T) {
	rec := `{"time":"2026-12-01T10:00:0%dZ","who":"alice","action":"restore","target":"db.c","outcome":"ok"}`
	lines := func(n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(strings.Replace(rec, "%d", string(rune('0'+i)), 1) + "\n\n")
		}
		return b.String()
	}
	cases := []struct {
		name      string
		in        string
		n         int
		total     int
		lines     []int // line numbers returned
		malformed int
	}{
		{"empty", "", 5, 0, nil, 0},
		{"blank lines only", "\n \n\t\n", 5, 0, nil, 0},
		{"fewer than n", lines(2), 5, 2, []int{1, 3}, 0},
		{"more than n", lines(7), 3, 7, []int{9, 11, 13}, 0},
		{"no newline at the end", strings.TrimSuffix(lines(1), "\n\n"), 5, 1, []int{1}, 0},
		{"damaged line kept", lines(1) + "{\"time\":\"2026\n" + "not json\n" + `{"action":"x"}` + "\n", 5, 4, []int{1, 3, 4, 5}, 3},
		{"too long a line does not stop the read", lines(1) + strings.Repeat("x", MaxLine+10) + "\n" + lines(1), 5, 3, []int{1, 3, 4}, 1},
		{"n zero counts only", lines(3), 0, 3, nil, 0},
	}
	for _, tc := range cases {
		got, total, err := ReadLast(strings.NewReader(tc.in), tc.n)
		if err != nil || total != tc.total || len(got) != len(tc.lines) {
			t.Errorf("%s: %d entries of %d lines, %v; want %v of %d", tc.name, len(got), total, err, tc.lines, tc.total)
			continue
		}
		bad := 0
		for i, e := range got {
			if e.Line != tc.lines[i] {
				t.Errorf("%s: entry %d is line %d, want %d", tc.name, i, e.Line, tc.lines[i])
			}
			if e.Err != nil {
				bad++
				if !errors.Is(e.Err, ErrMalformed) || e.Raw == "" || len(e.Raw) > MaxLine {
					t.Errorf("%s: malformed entry %+v", tc.name, e.Err)
				}
			} else if e.Record.Action != "restore" || e.Record.Who != "alice" {
				t.Errorf("%s: record %+v", tc.name, e.Record)
			}
		}
		if bad != tc.malformed {
			t.Errorf("%s: %d malformed entries, want %d", tc.name, bad, tc.malformed)
		}
	}
}

// TestReadLastFileReadsWhatFileSinkWrites: the reader is the writer's
// inverse.
func TestReadLastFileReadsWhatFileSinkWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	tr := New(nil, "bob", &FileSink{Path: path})
	tr.now = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	tr.Record(context.Background(), "backup.prune", "main", map[string]any{"dry_run": false}, nil)
	tr.Record(context.Background(), "restore", "db.c", nil, errors.New("boom"))
	got, total, err := ReadLastFile(path, 10)
	if err != nil || total != 2 || len(got) != 2 {
		t.Fatalf("%v %d %v", got, total, err)
	}
	if r := got[1].Record; r.Action != "restore" || r.Outcome != Failed || r.Error != "boom" || r.Who != "bob" || !r.Time.Equal(tr.now()) {
		t.Errorf("second record %+v", r)
	}
	if _, _, err := ReadLastFile(filepath.Join(t.TempDir(), "none"), 1); err == nil {
		t.Error("a missing file read without error")
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","who":"alice","action":"restore","target":"db.c","outcome":"ok"}`))
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","action":"x","parameters":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1]`))
	f.Add([]byte("{\"time\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseLine(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if r.Time.IsZero() || r.Action == "" {
			t.Fatalf("accepted %q as %+v", b, r)
		}
		// What parses reads the same through ReadLast.
		got, total, rerr := ReadLast(bytes.NewReader(append(bytes.ReplaceAll(b, []byte("\n"), []byte(" ")), '\n')), 1)
		if rerr != nil || total != 1 || len(got) != 1 {
			t.Fatalf("ReadLast of %q: %v %d %v", b, got, total, rerr)
		}
	})
}
