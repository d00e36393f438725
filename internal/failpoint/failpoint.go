// Package failpoint holds test-only pauses at named points of citadel's
// work, so that an end-to-end test can kill a process at a moment that
// otherwise lasts milliseconds (between the coordinator's fence and the
// manifest write). The points are read once, when a component starts,
// from the CITADEL_FAILPOINT environment variable:
//
//	CITADEL_FAILPOINT=before-manifest:sleep=4s
//
// (several points separated by ";"). A component keeps the parsed Set in
// its own options; nothing here is global or mutable. Production never
// sets the variable: an unset or empty variable is the empty Set, whose
// Pause does nothing.
package failpoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// EnvVar is the environment variable the points are read from.
const EnvVar = "CITADEL_FAILPOINT"

// Points citadel knows.
const (
	// BeforeManifest: a coordinator backup run has passed its fence (every
	// data and oplog object is written) and not yet written its manifest.
	BeforeManifest = "before-manifest"
)

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("bad failpoint")

// maxSleep bounds a pause: a failpoint holds a run, never hangs it.
const maxSleep = 10 * time.Minute

// Set is the failpoints in force, by name, each with its pause.
type Set map[string]time.Duration

// Parse reads "name:sleep=DURATION[;name:sleep=DURATION…]"; "" is the
// empty Set.
func Parse(spec string) (Set, error) {
	s := Set{}
	for part := range strings.SplitSeq(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, action, ok := strings.Cut(part, ":")
		if !ok || name == "" || strings.ContainsAny(name, " =") {
			return nil, fmt.Errorf("%w %q: write name:sleep=DURATION, e.g. %s:sleep=5s", ErrSyntax, part, BeforeManifest)
		}
		val, ok := strings.CutPrefix(action, "sleep=")
		if !ok {
			return nil, fmt.Errorf("%w %q: the only action is sleep=DURATION", ErrSyntax, part)
		}
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 || d > maxSleep {
			return nil, fmt.Errorf("%w %q: sleep wants a duration between 0 and %s, such as 5s", ErrSyntax, part, maxSleep)
		}
		if _, dup := s[name]; dup {
			return nil, fmt.Errorf("%w %q: %s is set twice", ErrSyntax, part, name)
		}
		s[name] = d
	}
	return s, nil
}

// FromEnv parses EnvVar.
func FromEnv() (Set, error) {
	s, err := Parse(os.Getenv(EnvVar))
	if err != nil {
		return Set{}, fmt.Errorf("read %s: %w", EnvVar, err)
	}
	return s, nil
}

// Pause sleeps for the pause of point name, if it is set, or until ctx
// ends. It reports whether the point was set (the caller logs it and
// redoes what the pause may have outdated).
func (s Set) Pause(ctx context.Context, name string) (time.Duration, bool) {
	d, ok := s[name]
	if !ok {
		return 0, false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return d, true
}
