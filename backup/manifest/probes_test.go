package manifest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func withProbes() *Manifest {
	m := sample()
	m.Probes = []DatasetProbes{
		{Dataset: "airbnb", Database: "citadel", Duration: 40 * time.Millisecond, Answers: []ProbeAnswer{
			{Name: "by-city", Columns: []string{"city", "listings"}, Rows: [][]any{{"paris", 18.0}, {"lyon", nil}}, SHA256: strings.Repeat("0f", 32)},
			{Name: "big", Columns: []string{"x"}, SHA256: strings.Repeat("1e", 32)}}},
		{Dataset: "dvf", Database: "citadel", Skipped: "written while the probes ran"},
	}
	return m
}

// TestManifestBeforeProbes: a manifest written before the probes field
// existed (testdata, as citadel wrote it) still parses, with no probes.
func TestManifestBeforeProbes(t *testing.T) {
	b, err := os.ReadFile("testdata/manifest-before-probes.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "probes") {
		t.Fatal("the old manifest mentions probes")
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatalf("an old manifest no longer parses: %v", err)
	}
	if m.Probes != nil || m.ProbesOf("airbnb", "citadel") != nil {
		t.Fatalf("probes from nowhere: %+v", m.Probes)
	}
}

func TestProbesRoundTrip(t *testing.T) {
	b, err := withProbes().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.Marshal()
	if string(again) != string(b) {
		t.Fatalf("round trip differs:\n%s\n%s", b, again)
	}
	if p := m.ProbesOf("airbnb", "citadel"); p == nil || len(p.Answers) != 2 || p.Answers[0].Rows[1][1] != nil {
		t.Fatalf("airbnb probes: %+v", p)
	}
}

func TestProbesInvalid(t *testing.T) {
	cases := map[string]func(*Manifest){
		"no dataset":        func(m *Manifest) { m.Probes[0].Dataset = "" },
		"no database":       func(m *Manifest) { m.Probes[0].Database = "" },
		"twice":             func(m *Manifest) { m.Probes[1].Dataset = "airbnb" },
		"skipped + answers": func(m *Manifest) { m.Probes[0].Skipped = "x" },
		"bad sha":           func(m *Manifest) { m.Probes[0].Answers[0].SHA256 = "x" },
		"unnamed probe":     func(m *Manifest) { m.Probes[0].Answers[1].Name = "" },
		"same probe":        func(m *Manifest) { m.Probes[0].Answers[1].Name = "by-city" },
		"short row":         func(m *Manifest) { m.Probes[0].Answers[0].Rows[0] = []any{"paris"} },
		"negative duration": func(m *Manifest) { m.Probes[0].Duration = -1 },
	}
	for name, mutate := range cases {
		m := withProbes()
		mutate(m)
		b, _ := m.Marshal()
		if _, err := Parse(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

func TestCanonicalTable(t *testing.T) {
	when := time.Date(2024, 8, 14, 0, 0, 0, 0, time.UTC)
	fresh, err := CanonicalTable([]string{"day", "n", "mean"}, [][]any{{when, int64(3), 2.5}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := CanonicalTable([]string{"day", "n", "mean"}, [][]any{{"2024-08-14T00:00:00Z", 3.0, 2.5}})
	if err != nil {
		t.Fatal(err)
	}
	if string(fresh) != string(stored) {
		t.Fatalf("a fresh answer and its JSON read back differ:\n%s\n%s", fresh, stored)
	}
}
