package config

import "testing"

// FuzzParse checks that no input makes loading panic, and that every
// rejection is a located *Error.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add([]byte(base))
	f.Add([]byte("sites: &a [{name: x}]\nreplica_sets: *a\n"))
	f.Add([]byte("a: <<: {b: 1}\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte("sites: [{name: !!binary aGk=}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
		}
	})
}
