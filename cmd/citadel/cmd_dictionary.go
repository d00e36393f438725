package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/dictionary"
	"github.com/noscites/citadel/internal/fault"
)

func dictionaryCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "dictionary",
		Usage:     "describe every field of a loaded dataset: types, fill rate, distinct values, range, example (a spreadsheet with --out)",
		ArgsUsage: "DATASET",
		Flags: append(targetFlags(),
			&cli.StringFlag{Name: "out", Usage: "also write the dictionary to `FILE.xlsx`: a sheet listing the collections, then one per collection"},
			&cli.Int64Flag{Name: "sample", Usage: "read at most `N` documents of each collection (the first ones), for large collections", DefaultText: "every document"}),
		Action: e.dictionary,
	}
}

// dictionaryJSON is `citadel dictionary -o json`.
type dictionaryJSON struct {
	*dictionary.Dictionary
	File string `json:"file,omitempty"`
}

func (e *env) dictionary(c *cli.Context) error {
	pos, err := positional(c, 1, 1, "DATASET")
	if err != nil {
		return err
	}
	ds, err := catalog.Find(pos[0])
	if err != nil {
		return fault.Usage(err.Error())
	}
	out, sample := c.String("out"), c.Int64("sample")
	if out != "" && !strings.EqualFold(filepath.Ext(out), ".xlsx") {
		return fault.Usage(fmt.Sprintf("dictionary: --out %s: name an .xlsx file", out))
	}
	if sample < 0 {
		return fault.Usage(fmt.Sprintf("dictionary: --sample %d: give a number of documents, at least 1 (0 reads them all)", sample))
	}
	spec, err := dictionary.SpecFor(ds.Name)
	if err != nil {
		return err
	}
	t, err := e.openTarget(c, true)
	if err != nil {
		return err
	}
	defer t.close()
	if err := ingest.RequireCollections(c.Context, t.db, ds.Name, ds.Collections); err != nil {
		return fmt.Errorf("dictionary %s: %w", ds.Name, err)
	}
	d, err := dictionary.Build(c.Context, t.db, ds.Name, ds.Collections, spec, dictionary.Options{Sample: sample})
	if err != nil {
		return fmt.Errorf("dictionary %s: %w", ds.Name, err)
	}
	if out != "" {
		if err := dictionary.Write(d, out); err != nil {
			return fmt.Errorf("dictionary %s: %w", ds.Name, err)
		}
	}
	if e.json {
		return printJSON(e.stdout, dictionaryJSON{Dictionary: d, File: out})
	}
	if err := dictionary.WriteText(e.stdout, d); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(e.stdout, "dictionary written to %s\n", out)
	}
	return nil
}
