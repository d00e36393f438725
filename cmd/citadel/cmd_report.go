package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/internal/fault"
)

func reportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "answer a dataset's canned questions (all of them without QUESTION)",
		ArgsUsage: "DATASET [QUESTION]",
		Flags: append(targetFlags(),
			&cli.StringSliceFlag{Name: "arg", Usage: "a question's parameter as `NAME=VALUE` (for example city=paris, day=2024-08-14); without QUESTION, each question gets the ones it takes"}),
		Action: e.report,
	}
}

// answer is one probe's result in `citadel report -o json`.
func (e *env) report(c *cli.Context) error {
	pos, err := positional(c, 1, 2, "DATASET [QUESTION]")
	if err != nil {
		return err
	}
	ds, err := catalog.Find(pos[0])
	if err != nil {
		return fault.Usage(err.Error())
	}
	probes := ds.Probes
	if len(pos) == 2 {
		p, err := ds.Probe(pos[1])
		if err != nil {
			return fault.Usage(err.Error())
		}
		probes = []ingest.Probe{p}
	}
	args := ingest.ProbeArgs{}
	for _, a := range c.StringSlice("arg") {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return fault.Usage(fmt.Sprintf("--arg %q: write NAME=VALUE", a))
		}
		args[k] = v
	}
	// Arguments are checked before connecting: a misspelled name or a
	// bad value is a usage error, never an unfiltered answer.
	each, err := ingest.ArgsFor(c.Context, probes, args)
	if err != nil {
		return fmt.Errorf("report %s: %w", ds.Name, err)
	}
	t, err := e.openTarget(c, true)
	if err != nil {
		return err
	}
	defer t.close()
	if err := ingest.RequireCollections(c.Context, t.db, ds.Name, ds.Collections); err != nil {
		return fmt.Errorf("report %s: %w", ds.Name, err)
	}
	out, err := ingest.Ask(c.Context, t.db, probes, each)
	if err != nil {
		return fmt.Errorf("report %s %w", ds.Name, err)
	}
	if e.json {
		return printJSON(e.stdout, map[string]any{"dataset": ds.Name, "database": t.db.Name(), "answers": out})
	}
	for _, a := range out {
		e.printTable(a)
	}
	return nil
}

func (e *env) printTable(a ingest.Answer) {
	fmt.Fprintf(e.stdout, "%s — %s\n", a.Name, a.Question)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\n", strings.Join(a.Columns, "\t"))
	for _, r := range a.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = formatCell(v)
		}
		fmt.Fprintf(tw, "  %s\n", strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
	fmt.Fprintln(e.stdout)
}

func formatCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
