package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/noscites/citadel/ingest"
)

// loadReport is the JSON shape of `citadel ingest ... -o json`.
type loadReport struct {
	*ingest.Report
	Database string `json:"database,omitempty"`
}

func (e *env) printReport(rep *ingest.Report, t *ingestTarget) error {
	if rep == nil {
		return nil
	}
	db := ""
	if t.db != nil {
		db = t.db.Name()
	}
	if e.json {
		return printJSON(e.stdout, loadReport{Report: rep, Database: db})
	}
	w := e.stdout
	mode := "into " + db
	if rep.DryRun {
		mode = "dry run, nothing written"
	}
	if rep.Interrupted {
		mode += ", INTERRUPTED"
	}
	fmt.Fprintf(w, "%s (%s): %s\n", rep.Dataset, mode, strings.Join(rep.Files, ", "))
	fmt.Fprintf(w, "read %d  documents %d  inserted %d  updated %d  unchanged %d  skipped %d  rejected %d\n",
		rep.Read, rep.Docs, rep.Inserted, rep.Updated, rep.Unchanged, rep.Skipped, rep.Rejected)
	fmt.Fprintf(w, "error rate %.2f%% (threshold %.2f%%)  %.1f MB in %.1f s: %.0f docs/s, %.1f MB/s\n",
		100*rep.ErrorRate, 100*rep.MaxErrorRate, float64(rep.Bytes)/1e6, rep.Seconds, rep.DocsPerSec, rep.MBPerSec)
	if len(rep.Collections) > 1 {
		names := make([]string, 0, len(rep.Collections))
		for n := range rep.Collections {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := rep.Collections[n]
			fmt.Fprintf(w, "  %-22s documents %d  inserted %d  updated %d  unchanged %d  skipped %d  rejected %d\n",
				n, c.Docs, c.Inserted, c.Updated, c.Unchanged, c.Skipped, c.Rejected)
		}
	}
	if rep.Interrupted {
		fmt.Fprintln(w, "interrupted: the counts are what the server acknowledged (the batches in flight were waited for);"+
			" the rest of the input was not loaded: run the same command again to finish (a reload leaves loaded documents unchanged)")
	}
	if rep.Unacknowledged > 0 {
		fmt.Fprintf(w, "%d document(s) were sent without an answer from the server: they may or may not be stored\n", rep.Unacknowledged)
	}
	if len(rep.Reasons) > 0 {
		fmt.Fprintf(w, "rejected, by reason (%s):\n", rejectsWhere(rep, db))
		for _, r := range rep.Reasons {
			fmt.Fprintf(w, "  %6d  %s\n", r.Count, r.Reason)
		}
		fmt.Fprintln(w, "first rejects:")
		for _, s := range rep.Samples {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// rejectsWhere names the collections that hold the rejects of a load.
func rejectsWhere(rep *ingest.Report, db string) string {
	if rep.DryRun {
		return "a dry run stores none"
	}
	var names []string
	for n, c := range rep.Collections {
		if c.Rejected > 0 {
			names = append(names, db+"."+n+ingest.RejectsSuffix)
		}
	}
	sort.Strings(names)
	return "stored in " + strings.Join(names, ", ")
}
