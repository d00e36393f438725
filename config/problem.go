package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error that means the configuration is
// unusable; the CLI maps it to exit code 2.
var ErrInvalid = errors.New("invalid configuration")

// Problem is one located mistake (or warning) in a configuration file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// String formats the problem as file:line:col: path: message (hint).
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString("; ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// Error is every problem found in one file. It wraps ErrInvalid.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	n := len(e.Problems)
	noun := "problems"
	if n == 1 {
		noun = "problem"
	}
	lines = append(lines, fmt.Sprintf("%s: %d %s", e.File, n, noun))
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// problems collects problems while loading and validating.
type problems struct {
	file string
	pos  positions
	list []Problem
	warn []Problem
}

// at records a problem at a path, located at the closest known position.
func (ps *problems) at(path, hint, format string, args ...any) {
	ps.list = append(ps.list, ps.make(path, hint, format, args...))
}

// warnAt records a warning at a path.
func (ps *problems) warnAt(path, hint, format string, args ...any) {
	ps.warn = append(ps.warn, ps.make(path, hint, format, args...))
}

func (ps *problems) make(path, hint, format string, args ...any) Problem {
	p := ps.pos.lookup(path)
	return Problem{File: ps.file, Line: p.Line, Column: p.Column, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return &Error{File: ps.file, Problems: ps.list}
}
