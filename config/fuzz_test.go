package config

import (
	"testing"
	"time"
)

// FuzzParse checks that no input makes loading panic, and that every
// rejection is a located *Error.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add([]byte(base))
	f.Add([]byte(base + "audit: {path: /var/log/citadel/audit.jsonl}\n"))
	f.Add([]byte("sites: &a [{name: x}]\nreplica_sets: *a\n"))
	f.Add([]byte("a: <<: {b: 1}\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte("sites: [{name: !!binary aGk=}]"))
	f.Add([]byte(laughs))
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			cfg *Config
			err error
		}
		done := make(chan result, 1)
		go func() { c, e := Parse("fuzz.yaml", data); done <- result{c, e} }()
		var cfg *Config
		var err error
		select {
		case r := <-done:
			cfg, err = r.cfg, r.err
		case <-time.After(3 * time.Second):
			t.Fatalf("Parse did not return within 3s on %q", data)
		}
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

// laughs expands to 10^9 values if aliases are followed without a bound.
const laughs = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
sites: [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
`
