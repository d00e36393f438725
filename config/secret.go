package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Duration is a time.Duration written in the file as a Go duration ("10s", "1m30s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes a Go duration, so JSON and YAML output read like the input.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ErrSecretMissing is returned when a secret's variable or file is empty or absent.
var ErrSecretMissing = errors.New("secret missing")

// Secret is a reference to a secret: an environment variable name or a file path.
type Secret struct {
	Env  string
	File string
}

// Resolve reads the secret. A file's trailing newline is removed.
func (s Secret) Resolve() (string, error) {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("read environment variable %s: %w: export it before running citadel", s.Env, ErrSecretMissing)
		}
		return v, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("read secret file %s: %w: the file is empty", s.File, ErrSecretMissing)
		}
		return v, nil
	}
	return "", nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// looksLikeEnvName reports whether s can be an environment variable name.
func looksLikeEnvName(s string) bool { return envName.MatchString(s) }
