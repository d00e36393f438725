package layout

import (
	"testing"
	"time"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
)

func TestID(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	id := NewID(now)
	if !manifest.ValidID(id) || id[:16] != "20260304T040607Z" {
		t.Fatalf("id %q", id)
	}
	got, err := IDTime(id)
	if err != nil || !got.Equal(now) {
		t.Fatalf("IDTime = %v %v", got, err)
	}
	if _, err := IDTime("latest"); err == nil {
		t.Fatal("accepted latest")
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{"users": "users", "a/b": "a%2Fb", "100%": "100%25", "..": "%2E%2E", "a.b": "a.b", "%2F": "%252F"}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if err := storage.CheckKey(DataKey("db", in, ".zst")); err != nil {
			t.Errorf("key for %q invalid: %v", in, err)
		}
	}
}

func TestSliceNames(t *testing.T) {
	a, b := manifest.Timestamp{T: 1700000000, I: 3}, manifest.Timestamp{T: 1700000060, I: 1}
	first, last, ok := ParseSliceRecordName(SliceRecordName(a, b))
	if !ok || first != a || last != b {
		t.Fatalf("%v %v %v", first, last, ok)
	}
	for _, bad := range []string{SliceObjectName(a, b, ".zst"), "x.json", SliceRecordName(b, a)} {
		if _, _, ok := ParseSliceRecordName(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSplit(t *testing.T) {
	rs, dir, rest, ok := Split("main/20260101T000000Z-0000/db/c.bson.zst")
	if !ok || rs != "main" || dir != "20260101T000000Z-0000" || rest != "db/c.bson.zst" {
		t.Fatal(rs, dir, rest, ok)
	}
	if _, _, _, ok := Split("main/x"); ok {
		t.Fatal("short key split")
	}
}

func FuzzParseSliceRecordName(f *testing.F) {
	f.Add(SliceRecordName(manifest.Timestamp{T: 1, I: 2}, manifest.Timestamp{T: 3, I: 4}))
	f.Add("0000000001.0000000002-0000000001.0000000002.json")
	f.Fuzz(func(t *testing.T, name string) {
		after, upper, ok := ParseSliceRecordName(name)
		if !ok {
			return
		}
		if !after.Before(upper) || SliceRecordName(after, upper) != name {
			t.Fatalf("%q parsed to %s-%s", name, after, upper)
		}
	})
}
