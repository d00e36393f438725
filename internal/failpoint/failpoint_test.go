package failpoint

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Set
		err  string
	}{
		{"", Set{}, ""},
		{"  ;  ", Set{}, ""},
		{"before-manifest:sleep=5s", Set{BeforeManifest: 5 * time.Second}, ""},
		{"a:sleep=1s; b:sleep=250ms", Set{"a": time.Second, "b": 250 * time.Millisecond}, ""},
		{"before-manifest", nil, "write name:sleep=DURATION"},
		{":sleep=1s", nil, "write name:sleep=DURATION"},
		{"a:panic", nil, "the only action is sleep"},
		{"a:sleep=soon", nil, "sleep wants a duration"},
		{"a:sleep=-1s", nil, "sleep wants a duration"},
		{"a:sleep=11m", nil, "sleep wants a duration"},
		{"a:sleep=1s;a:sleep=2s", nil, "set twice"},
	} {
		got, err := Parse(tc.spec)
		if tc.err != "" {
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q): error %v, want one saying %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("Parse(%q)[%s] = %s, want %s", tc.spec, k, got[k], v)
			}
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "before-manifest:sleep=2s")
	if s, err := FromEnv(); err != nil || s[BeforeManifest] != 2*time.Second {
		t.Fatalf("FromEnv = %v, %v", s, err)
	}
	t.Setenv(EnvVar, "nonsense")
	if s, err := FromEnv(); err == nil || len(s) != 0 || !strings.Contains(err.Error(), EnvVar) {
		t.Fatalf("FromEnv of nonsense = %v, %v; want an empty set and an error naming %s", s, err, EnvVar)
	}
}

func TestPause(t *testing.T) {
	var none Set
	if _, ok := none.Pause(context.Background(), BeforeManifest); ok {
		t.Fatal("the empty set paused")
	}
	s := Set{BeforeManifest: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, ok := s.Pause(ctx, BeforeManifest); !ok || d != time.Hour {
		t.Fatalf("Pause = %s, %v; want the point reported, cut short by the context", d, ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "before-manifest:sleep=5s", "a:sleep=1s;b:sleep=2ms", "a:", ":", "a:sleep=", ";;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		for name, d := range s {
			if name == "" || d <= 0 || d > maxSleep {
				t.Fatalf("Parse(%q) accepted %q: %s", spec, name, d)
			}
		}
	})
}
