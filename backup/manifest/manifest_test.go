package manifest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/digest"
)

func sample() *Manifest {
	var d digest.Digest
	d.Add([]byte("doc"))
	sha := strings.Repeat("ab", 32)
	return &Manifest{
		Format: Format, Tool: "citadel test", ID: "20260102T030405Z-1a2b", ReplicaSet: "main",
		Source:  Source{Host: "lyon-backup:27017", State: "SECONDARY", Hidden: true, Site: "lyon"},
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Finished: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC),
		Start:       OpTime{TS: Timestamp{T: 100, I: 1}, Term: 1},
		End:         OpTime{TS: Timestamp{T: 160, I: 3}, Term: 1},
		Compression: Compression{Algorithm: "zstd", Level: 2},
		Digest:      digest.Algorithm,
		Collections: []Collection{
			{DB: "app", Name: "users", Type: "collection", Documents: 1, RawBytes: 3, Digest: d.String(), Indexes: 2,
				Data:     &Object{Key: "app/users.bson.zst", Size: 10, SHA256: sha, Compressed: true},
				Metadata: Object{Key: "app/users.metadata.json", Size: 5, SHA256: sha}},
			{DB: "app", Name: "active", Type: "view", Metadata: Object{Key: "app/active.metadata.json", Size: 5, SHA256: sha}},
		},
		Oplog: Oplog{Entries: 4, First: Timestamp{T: 100, I: 1}, Last: Timestamp{T: 160, I: 3},
			Object: Object{Key: "oplog.bson.zst", Size: 7, SHA256: sha, Compressed: true}},
	}
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if string(again) != string(b) {
		t.Fatalf("round trip differs:\n%s\n%s", b, again)
	}
	if len(got.Objects()) != 4 {
		t.Fatalf("objects: %v", got.Objects())
	}
}

func TestInvalid(t *testing.T) {
	cases := map[string]func(*Manifest){
		"newer format":    func(m *Manifest) { m.Format = 2 },
		"no format":       func(m *Manifest) { m.Format = 0 },
		"bad id":          func(m *Manifest) { m.ID = "../x" },
		"bad rs":          func(m *Manifest) { m.ReplicaSet = "a/b" },
		"escaping key":    func(m *Manifest) { m.Collections[0].Data.Key = "../../other/x" },
		"absolute key":    func(m *Manifest) { m.Oplog.Object.Key = "/etc/passwd" },
		"duplicate key":   func(m *Manifest) { m.Collections[0].Metadata.Key = "oplog.bson.zst" },
		"manifest key":    func(m *Manifest) { m.Oplog.Object.Key = "manifest.json" },
		"bad sha":         func(m *Manifest) { m.Oplog.Object.SHA256 = "zz" },
		"end before":      func(m *Manifest) { m.End.TS = Timestamp{T: 1} },
		"view with data":  func(m *Manifest) { m.Collections[1].Data = m.Collections[0].Data },
		"no data":         func(m *Manifest) { m.Collections[0].Data = nil },
		"bad digest":      func(m *Manifest) { m.Collections[0].Digest = "x" },
		"unknown type":    func(m *Manifest) { m.Collections[0].Type = "timeseries" },
		"digest algo":     func(m *Manifest) { m.Digest = "md5" },
		"encryption":      func(m *Manifest) { m.Encryption = &Encryption{Scheme: "gpg"} },
		"negative count":  func(m *Manifest) { m.Collections[0].Documents = -1 },
		"negative oplog":  func(m *Manifest) { m.Oplog.Entries = -1 },
		"empty coll name": func(m *Manifest) { m.Collections[0].Name = "" },
	}
	for name, mutate := range cases {
		m := sample()
		mutate(m)
		b, _ := m.Marshal()
		if _, err := Parse(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
	if _, err := Parse([]byte("{")); !errors.Is(err, ErrInvalid) {
		t.Error("truncated JSON accepted")
	}
}

func TestTimestampString(t *testing.T) {
	a := Timestamp{T: 9, I: 10}
	b := Timestamp{T: 10, I: 1}
	if !(a.String() < b.String()) || !a.Before(b) {
		t.Fatal("string order differs from timestamp order")
	}
	got, err := ParseTimestamp(a.String())
	if err != nil || got != a {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "1.2", "000000000x.0000000001", "0000000001-0000000001", "9999999999.0000000001"} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", bad)
		}
	}
}

func TestSlice(t *testing.T) {
	s := &Slice{Format: Format, ReplicaSet: "main", After: Timestamp{T: 5}, First: OpTime{TS: Timestamp{T: 6}},
		Last: OpTime{TS: Timestamp{T: 9, I: 2}}, Upper: Timestamp{T: 9, I: 2}, Entries: 3,
		Object: Object{Key: "x.oplog.bson.zst", Size: 3, SHA256: strings.Repeat("0", 64)}}
	b, _ := s.Marshal()
	if _, err := ParseSlice(b); err != nil {
		t.Fatal(err)
	}
	s.After = Timestamp{T: 6}
	b, _ = s.Marshal()
	if _, err := ParseSlice(b); !errors.Is(err, ErrInvalid) {
		t.Fatalf("after == first accepted: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := sample().Marshal()
	f.Add(b)
	f.Add([]byte(`{"format":1}`))
	b, _ = withProbes().Marshal()
	f.Add(b)
	if old, err := os.ReadFile("testdata/manifest-before-probes.json"); err == nil {
		f.Add(old)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("a parsed manifest does not parse again: %v", err)
		}
		for _, p := range m.Probes {
			if p.Dataset == "" || p.Database == "" || (p.Skipped != "" && len(p.Answers) > 0) {
				t.Fatalf("invalid probes accepted: %+v", p)
			}
		}
		for _, o := range m.Objects() {
			if strings.HasPrefix(o.Key, "/") || strings.Contains("/"+o.Key+"/", "/../") {
				t.Fatalf("escaping key %q accepted", o.Key)
			}
		}
	})
}

func FuzzParseSlice(f *testing.F) {
	s := &Slice{Format: Format, ReplicaSet: "main", After: Timestamp{T: 5}, First: OpTime{TS: Timestamp{T: 6}},
		Last: OpTime{TS: Timestamp{T: 9}}, Upper: Timestamp{T: 10}, Entries: 3, Object: Object{Key: "x", Size: 3, SHA256: strings.Repeat("0", 64)}}
	b, _ := s.Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSlice(b)
		if err != nil {
			return
		}
		out, _ := s.Marshal()
		if _, err := ParseSlice(out); err != nil {
			t.Fatalf("no round trip: %v", err)
		}
	})
}
