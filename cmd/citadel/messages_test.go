package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/test/testbed"
)

// msgCase is one command line and what the user must see: the exit code,
// the first line of output (stdout on success, stderr on failure, else the
// other one), and optionally text that must or must not appear anywhere.
type msgCase struct {
	name   string
	args   []string
	env    map[string]string
	stdin  string
	code   int
	first  string // a substring of the first line
	has    []string
	hasNot []string
	check  func(t *testing.T, stdout, stderr string)
	// interrupt cancels the command's context (Ctrl-C) once it returns true.
	interrupt func() bool
}

var exitCodeLine = regexp.MustCompile(`(?m)^\s+(0|1|2|3|4|130)\s+\S`)

// helpShowsExitCodes: the help text lists the six exit codes of cli.md,
// and no flag states two defaults.
func helpShowsExitCodes(t *testing.T, stdout, _ string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range exitCodeLine.FindAllStringSubmatch(stdout[strings.Index(stdout, "EXIT CODES")+1:], -1) {
		seen[m[1]] = true
	}
	if len(seen) != 6 {
		t.Errorf("exit codes listed: %v, want 0 1 2 3 4 130 in:\n%s", seen, stdout)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Count(l, "(default:") > 1 {
			t.Errorf("two defaults for one flag: %q", l)
		}
	}
}

// commandPaths lists every command of the app, groups included.
func commandPaths(cmds []*cli.Command, prefix []string) [][]string {
	var out [][]string
	for _, c := range cmds {
		if c.Hidden || c.Name == "help" {
			continue
		}
		p := append(append([]string{}, prefix...), c.Name)
		out = append(out, p)
		out = append(out, commandPaths(c.Subcommands, p)...)
	}
	return out
}

// TestMessages is the table of what a new sysadmin sees when trying the
// CLI: command line → exit code → first line of output.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	uri := testbed.StartFerretDBT(t).URI()
	client := testbed.Connect(t, uri)
	t.Setenv("CITADEL_CONFIG", filepath.Join(dir, "absent.yaml"))
	t.Setenv("CITADEL_INGEST_URI", uri)
	t.Setenv("CITADEL_PSEUDONYM_KEY", "")
	listings := filepath.Join("..", "..", "ingest", "airbnb", "testdata", "listings-paris-2024.csv")
	edFile := filepath.Join("..", "..", "ingest", "edstats", "testdata", "edstats", "EdStatsCountry.csv")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prio := write("prio.yaml", "sites: [{name: paris}]\nreplica_sets:\n  - name: main\n    members:\n      - {host: \"a:1\", site: paris, priority: \"high\"}\n")
	bom := write("bom.yaml", "\ufeff"+string(config.Example()))
	noCollections := func(db string) func(*testing.T, string, string) {
		return func(t *testing.T, _, _ string) {
			names, err := client.Database(db).ListCollectionNames(context.Background(), bson.D{})
			if err != nil || len(names) != 0 {
				t.Errorf("database %s: collections %v (%v), want none", db, names, err)
			}
		}
	}
	big := bigListings(t, dir)

	cases := []msgCase{
		{name: "no arguments", code: 2, first: "NAME:", has: []string{"EXIT CODES", "130"}},
		{name: "usage names the whole command", args: []string{"backup", "show"}, code: 2, first: "usage: citadel backup show ID|latest"},
		{name: "usage of ingest dvf", args: []string{"ingest", "dvf"}, code: 2, first: "usage: citadel ingest dvf FILE..."},
		{name: "usage of cluster status", args: []string{"cluster", "status", "extra"}, code: 2, first: "usage: citadel cluster status"},
		{name: "priority type error alone", args: []string{"config", "validate", prio}, code: 2,
			first: `replica_sets[0].members[0].priority: expected a number, found "high"`, has: []string{"1 problem"}, hasNot: []string{"no electable member"}},
		{name: "byte-order mark", args: []string{"config", "validate", bom}, code: 0, first: bom + ": valid"},
		{name: "short pseudonym key", args: []string{"ingest", "supermarket", "--dry-run", "sales.xlsx"},
			env: map[string]string{"CITADEL_PSEUDONYM_KEY": "short12"}, code: 2, first: "too short (7 bytes, 16 needed)"},
		{name: "airbnb without --city", args: []string{"ingest", "airbnb", "--dry-run", listings}, code: 2, first: "--city is required (paris or lyon)"},
		{name: "edstats given a file", args: []string{"ingest", "edstats", "--dry-run", edFile}, code: 2, first: "not a directory"},
		{name: "wrong file type creates nothing", args: []string{"ingest", "supermarket", "--keep-personal-data", "--database", "wrongtype", listings},
			code: 1, first: listings, check: noCollections("wrongtype")},
		{name: "workbook given to airbnb creates nothing", args: []string{"ingest", "airbnb", "--city", "lyon", "--database", "wrongtype2", write("book.xlsx", "PK\x03\x04 not a csv\n")},
			code: 1, first: "book.xlsx", check: noCollections("wrongtype2")},
		{name: "missing input prints no summary", args: []string{"ingest", "airbnb", "--city", "paris", "--database", "missing", filepath.Join(dir, "missing.csv")},
			code: 1, first: "missing.csv", hasNot: []string{"read 0", "error rate"}, check: noCollections("missing")},
		{name: "summary names the rejects collection", args: []string{"ingest", "airbnb", "--city", "paris", "--database", "rj", listings},
			code: 3, first: "8 of 26 records rejected", has: []string{"stored in rj.listings_rejects"}, hasNot: []string{"<collection>"}},
		{name: "stdin is <stdin>", args: []string{"config", "validate", "-"}, stdin: "sites: [\n", code: 2,
			first: "error: <stdin>:", has: []string{"<stdin>: 1 problem"}, hasNot: []string{"\n-: "}},
		{name: "missing file given to validate", args: []string{"config", "validate", filepath.Join(dir, "missing.yaml")}, code: 1,
			first: "missing.yaml", hasNot: []string{"--config"}},
		{name: "json example", args: []string{"-o", "json", "config", "example"}, code: 2, first: "-o json"},
		{name: "interrupt", args: []string{"ingest", "airbnb", "--city", "paris", "--database", "intr", big}, code: 130,
			first: "citadel: interrupted", hasNot: []string{"pool", "context canceled"},
			interrupt: func() bool { return count(client, "intr") > 0 },
			check: func(t *testing.T, stdout, stderr string) {
				if n := strings.Count(stderr, "interrupted"); n != 1 {
					t.Errorf("interrupted said %d times:\n%s", n, stderr)
				}
				// The summary counts what the server acknowledged.
				m := regexp.MustCompile(`inserted (\d+)`).FindStringSubmatch(stdout)
				if m == nil || m[1] != strconv.FormatInt(count(client, "intr"), 10) {
					t.Errorf("summary %v, collection holds %d:\n%s", m, count(client, "intr"), stdout)
				}
			}},
	}
	for _, p := range commandPaths(newApp(nil, io.Discard, io.Discard).Commands, nil) {
		cases = append(cases, msgCase{name: "help of " + strings.Join(p, " "), args: append(p, "--help"), code: 0,
			first: "NAME:", has: []string{"citadel " + strings.Join(p, " ")}, check: helpShowsExitCodes})
	}
	cases = append(cases, msgCase{name: "help of citadel", args: []string{"--help"}, code: 0, first: "NAME:", check: helpShowsExitCodes})

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runInterruptible(t, tc)
			out, other := stderr, stdout
			if code == 0 {
				out, other = stdout, stderr
			}
			if out == "" {
				out = other
			}
			first, _, _ := strings.Cut(out, "\n")
			if code != tc.code || !strings.Contains(first, tc.first) {
				t.Fatalf("citadel %s: exit %d (want %d), first line %q (want %q)\nstdout:\n%s\nstderr:\n%s",
					strings.Join(tc.args, " "), code, tc.code, first, tc.first, stdout, stderr)
			}
			all := stdout + "\n" + stderr
			for _, s := range tc.has {
				if !strings.Contains(all, s) {
					t.Errorf("missing %q in:\n%s", s, all)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(all, s) {
					t.Errorf("%q should not appear in:\n%s", s, all)
				}
			}
			if tc.check != nil {
				tc.check(t, stdout, stderr)
			}
		})
	}
}

// runInterruptible runs a case in-process; with tc.interrupt, the context
// is cancelled (as Ctrl-C does) once the condition holds.
func runInterruptible(t *testing.T, tc msgCase) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if tc.interrupt != nil {
		go func() {
			for i := 0; i < 1200 && ctx.Err() == nil; i++ {
				if tc.interrupt() {
					cancel()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"citadel"}, tc.args...), strings.NewReader(tc.stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func count(c *mongo.Client, db string) int64 {
	n, _ := c.Database(db).Collection(airbnb.Collection).CountDocuments(context.Background(), bson.D{})
	return n
}

// bigListings writes a generated Airbnb file long enough to interrupt.
func bigListings(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "listings-big.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := airbnb.Generate(f, 30000, 1); err != nil {
		t.Fatal(err)
	}
	return p
}
