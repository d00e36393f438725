package ingest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/internal/fault"
)

// The arguments of probes (`citadel report DATASET QUESTION --arg
// NAME=VALUE`): each probe declares what it takes next to its definition
// (Takes), so that a misspelled name or a bad value is a usage error
// naming what is known, never an unfiltered answer.

// RunFunc is what a Probe runs.
type RunFunc func(ctx context.Context, db *mongo.Database, args ProbeArgs) (*Table, error)

// Arg is a parameter a probe takes (`citadel report --arg NAME=VALUE`).
type Arg struct {
	Name    string
	Form    string            // what a value looks like, for errors and help: "YYYY-MM-DD"
	Default string            // the value when the argument is absent ("": none, no filter)
	Valid   func(string) bool // nil accepts any value
}

func (a Arg) String() string {
	s := a.Name + " (" + a.Form
	if a.Default != "" {
		s += ", default " + a.Default
	}
	return s + ")"
}

// Date accepts a day as YYYY-MM-DD.
func Date(s string) bool { _, err := time.Parse("2006-01-02", s); return err == nil }

// Positive accepts a whole number of at least 1.
func Positive(s string) bool { n, err := strconv.Atoi(s); return err == nil && n >= 1 }

// OneOf accepts exactly one of values.
func OneOf(values ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(values, s) }
}

// ArgError is an argument a probe does not take, or a value not of the
// argument's form. It is a usage error (exit 2) and names what the probe
// takes.
type ArgError struct {
	Probe string // the probe's name, when the caller knows it (ArgsFor)
	Name  string
	Value string
	Known []Arg // the probe's arguments
	Bad   *Arg  // set when the name is known and the value is not of its form
}

func (e *ArgError) Error() string {
	q := "the question"
	if e.Probe != "" {
		q = "question " + e.Probe
	}
	switch {
	case e.Bad != nil:
		return fmt.Sprintf("%s: --arg %s=%q: want %s", q, e.Name, e.Value, e.Bad.Form)
	case len(e.Known) == 0:
		return fmt.Sprintf("%s takes no argument (got --arg %s)", q, e.Name)
	}
	return fmt.Sprintf("%s has no argument %q: it takes %s", q, e.Name, argList(e.Known))
}

// Unwrap makes an ArgError a usage error.
func (e *ArgError) Unwrap() error { return fault.ErrUsage }

func argList(args []Arg) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// Takes declares the arguments of a probe function, next to the probe:
// the Run it returns refuses an unknown argument or a bad value with an
// *ArgError before any query, and gives run the arguments with their
// defaults filled in. With a nil database it only checks, so a caller can
// validate arguments before it connects (see ArgsFor).
func Takes(run RunFunc, args ...Arg) RunFunc {
	return func(ctx context.Context, db *mongo.Database, given ProbeArgs) (*Table, error) {
		full := ProbeArgs{}
		for _, a := range args {
			full[a.Name] = a.Default
		}
		for _, k := range sortedKeys(given) {
			i := slices.IndexFunc(args, func(a Arg) bool { return a.Name == k })
			if i < 0 {
				return nil, &ArgError{Name: k, Value: given[k], Known: args}
			}
			if v := given[k]; v != "" {
				if args[i].Valid != nil && !args[i].Valid(v) {
					return nil, &ArgError{Name: k, Value: v, Known: args, Bad: &args[i]}
				}
				full[k] = v
			}
		}
		if db == nil {
			return nil, nil
		}
		return run(ctx, db, full)
	}
}

// ArgsFor checks args against the probes about to run, without querying,
// and returns the arguments of each. For one probe every argument must be
// one it takes. For several (a whole dataset) every argument must be taken
// by at least one of them, and each probe gets those it takes. Every probe
// must be built with Takes.
func ArgsFor(ctx context.Context, probes []Probe, args ProbeArgs) ([]ProbeArgs, error) {
	out := make([]ProbeArgs, len(probes))
	taken := map[string]bool{}
	var refused []*ArgError
	for i, p := range probes {
		out[i] = ProbeArgs{}
		for _, k := range sortedKeys(args) {
			_, err := p.Run(ctx, nil, ProbeArgs{k: args[k]})
			ae, _ := err.(*ArgError)
			if ae != nil {
				ae.Probe = p.Name
			}
			switch {
			case err == nil:
				out[i][k], taken[k] = args[k], true
			case ae == nil:
				return nil, fmt.Errorf("check arguments of %s: %w", p.Name, err)
			case ae.Bad != nil || len(probes) == 1:
				return nil, ae
			default:
				refused = append(refused, ae)
			}
		}
	}
	for _, ae := range refused {
		if !taken[ae.Name] {
			return nil, unknownToAll(ae.Name, probes)
		}
	}
	return out, nil
}

// unknownToAll names what each probe takes: asked with the empty name,
// which is never an argument, a probe built with Takes lists its own.
func unknownToAll(name string, probes []Probe) error {
	var takes []string
	for _, p := range probes {
		_, err := p.Run(context.Background(), nil, ProbeArgs{"": ""})
		if ae, ok := err.(*ArgError); ok && len(ae.Known) > 0 {
			takes = append(takes, p.Name+" takes "+argList(ae.Known))
		}
	}
	if len(takes) == 0 {
		return fault.Usage(fmt.Sprintf("no question takes an argument (got --arg %s)", name))
	}
	return fault.Usage(fmt.Sprintf("no question takes an argument %q: %s", name, strings.Join(takes, "; ")))
}

func sortedKeys(a ProbeArgs) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// RequireCollections is a usage error when db holds none of a dataset's
// collections: a wrong --database, or a dataset not loaded yet, must not
// answer with empty tables.
func RequireCollections(ctx context.Context, db *mongo.Database, dataset string, want []string) error {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections of %s: %w", db.Name(), err)
	}
	for _, w := range want {
		if slices.Contains(names, w) {
			return nil
		}
	}
	return fault.Usage(fmt.Sprintf("database %s holds no %s data (expected collections %s): load it with `citadel ingest %s`, or name the database that holds it with --database",
		db.Name(), dataset, strings.Join(want, ", "), dataset))
}
