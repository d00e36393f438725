package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileSize bounds what Load reads; a configuration is never this large.
const MaxFileSize = 4 << 20

// Load reads, decodes and validates the file at path ("-" reads stdin,
// the reader the caller gives: the command's standard input). On any
// problem it returns an *Error listing every problem found. A missing file
// gets a hint naming --config: Load is for the file the global flag names.
func Load(path string, stdin io.Reader) (*Config, error) {
	if path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("read config from stdin: %w: no standard input here; pass --config FILE", os.ErrInvalid)
		}
		return Read("-", stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read config: %w: pass --config FILE or set CITADEL_CONFIG (citadel config example prints one)", err)
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads, decodes and validates a configuration from r; path names it
// in every problem ("-" is shown as <stdin>).
func Read(path string, r io.Reader) (*Config, error) {
	name := path
	if path == "-" {
		name = StdinName
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Problems: []Problem{{File: name, Message: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}}}
	}
	return Parse(name, data)
}

// StdinName names standard input in problems and reports.
const StdinName = "<stdin>"

// byteOrderMark is what Windows editors put before UTF-8 text.
const byteOrderMark = "\ufeff"

// Parse decodes and validates data, naming it file in every problem. A
// leading UTF-8 byte-order mark is skipped; editors do not show it, so
// lines and columns stay those the user sees.
func Parse(file string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte(byteOrderMark))
	cfg, ps := decodeFile(file, data)
	if cfg == nil {
		return nil, ps.err()
	}
	validate(cfg, ps)
	cfg.Warnings = ps.warn
	if err := ps.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeFile parses YAML into a Config without validating it.
func decodeFile(file string, data []byte) (*Config, *problems) {
	ps := &problems{file: file, pos: positions{"": {Line: 1, Column: 1}}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		ps.list = append(ps.list, syntaxProblem(file, err))
		return nil, ps
	}
	cfg := &Config{File: file, pos: ps.pos}
	if len(f.Docs) > 1 {
		ps.at("", "keep the whole configuration in one YAML document", "found %d YAML documents", len(f.Docs))
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return cfg, ps
	}
	d := &decoder{ps: ps, anchors: map[string]ast.Node{}}
	d.decode(f.Docs[0].Body, reflect.ValueOf(cfg).Elem(), "")
	return cfg, ps
}

func syntaxProblem(file string, err error) Problem {
	p := Problem{File: file, Message: "YAML syntax error: " + err.Error()}
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		p.Message = "YAML syntax error: " + se.Message
		if se.Token != nil {
			p.Line, p.Column = se.Token.Position.Line, se.Token.Position.Column
		}
	}
	var de *yaml.DuplicateKeyError
	if errors.As(err, &de) {
		p.Message = de.Message
		if de.Token != nil {
			p.Line, p.Column = de.Token.Position.Line, de.Token.Position.Column
		}
		p.Hint = "each key may appear once per section"
	}
	return p
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range sortedStrings(candidates) {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
