package dictionary

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/ingest/catalog"
)

func TestParseSpecErrors(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"misspelled key": {"dataset: x\ncollections:\n  c:\n    fields:\n      f: {descripton: oops}\n", `unknown field "descripton"`},
		"no dataset":     {"collections: {}\n", "no dataset name"},
		"undescribed key": {"dataset: x\ncollections:\n  c:\n    key: [a]\n    fields:\n      b: {description: b}\n",
			`collection c names field "a"`},
		"not yaml": {"dataset: [x\n", "read data dictionary f.yaml"},
	}
	for name, tc := range cases {
		_, err := ParseSpec("f.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.yaml") {
			t.Errorf("%s: %v, want an error naming f.yaml with %q", name, err, tc.want)
		}
	}
}

// TestDataFiles: every dataset ships a data file that parses, names its
// own dataset and describes exactly the collections the dataset loads.
func TestDataFiles(t *testing.T) {
	for _, ds := range catalog.All() {
		spec, err := SpecFor(ds.Name)
		if err != nil {
			t.Errorf("%s: %v", ds.Name, err)
			continue
		}
		if got, want := strings.Join(spec.CollectionNames(), ","), strings.Join(sorted(ds.Collections), ","); got != want {
			t.Errorf("%s: data file describes %s, the dataset loads %s", ds.Name, got, want)
		}
		for name, c := range spec.Collections {
			for path, f := range c.Fields {
				if strings.TrimSpace(f.Description) == "" || strings.TrimSpace(f.Source) == "" {
					t.Errorf("%s: %s.%s has no description or no source", spec.File, name, path)
				}
			}
		}
	}
	if _, err := SpecFor("nope"); err == nil || !strings.Contains(err.Error(), "airbnb") {
		t.Errorf("unknown dataset: %v", err)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// FuzzParseSpec: any input gives a spec or an error naming the file,
// never a panic; a spec's named fields are all described.
func FuzzParseSpec(f *testing.F) {
	for _, ds := range catalog.All() {
		f.Add(dataFiles[ds.Name]())
	}
	f.Add([]byte("dataset: x\ncollections:\n  c: null\n"))
	f.Add([]byte("dataset: x\ncollections:\n  c: {key: [a], fields: {a: {description: d}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			s   *Spec
			err error
		}
		done := make(chan result, 1)
		go func() { s, err := ParseSpec("fuzz.yaml", data); done <- result{s, err} }()
		var r result
		select {
		case r = <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("ParseSpec did not return within 3s on %q", data)
		}
		s, err := r.s, r.err
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for name, c := range s.Collections {
			for _, k := range append(append([]string{}, c.Key...), c.Required...) {
				if _, ok := c.Fields[k]; !ok {
					t.Fatalf("%s: %s named but not described", name, k)
				}
			}
		}
	})
}
