package catalog

import (
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	want := []string{"airbnb", "dvf", "edstats", "weather", "supermarket"}
	all := All()
	if len(all) != len(want) {
		t.Fatalf("%d datasets, want %d", len(all), len(want))
	}
	for i, d := range all {
		if d.Name != want[i] || d.Files == "" || len(d.Collections) == 0 || len(d.Probes) < 4 {
			t.Errorf("%+v", d)
		}
		seen := map[string]bool{}
		for _, p := range d.Probes {
			if seen[p.Name] || p.Question == "" || p.Run == nil {
				t.Errorf("%s: probe %q duplicated or incomplete", d.Name, p.Name)
			}
			seen[p.Name] = true
		}
		if _, err := d.Probe(d.Probes[0].Name); err != nil {
			t.Error(err)
		}
	}
	if _, err := Find("nope"); err == nil || !strings.Contains(err.Error(), "supermarket") {
		t.Errorf("unknown dataset: %v", err)
	}
	d, _ := Find("dvf")
	if _, err := d.Probe("nope"); err == nil || !strings.Contains(err.Error(), "busy-communes") {
		t.Errorf("unknown probe: %v", err)
	}
}
