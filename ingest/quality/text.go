package quality

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the report for a terminal, breaches first.
func WriteText(out io.Writer, r *Report) error {
	fmt.Fprintf(out, "quality of %s (database %s) at %s\n", r.Dataset, r.Database, r.GeneratedAt.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(out, "thresholds: %s\n\n", r.Thresholds.text())
	if len(r.Breaches) == 0 {
		fmt.Fprintln(out, "no breach")
	} else {
		fmt.Fprintf(out, "BREACHES (%d):\n", len(r.Breaches))
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		for _, b := range r.Breaches {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", b.Where, b.Check, b.Message)
		}
		tw.Flush()
	}
	fmt.Fprintln(out)
	for _, c := range r.Collections {
		writeColl(out, c)
	}
	fmt.Fprintf(out, "canned questions (citadel report %s), %d runs each:\n", r.Dataset, r.Runs)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  QUESTION\tP50\tP95\tROWS\t")
	for _, q := range r.Questions {
		if q.Error != "" {
			fmt.Fprintf(tw, "  %s\t-\t-\t-\tfailed: %s\n", q.Name, q.Error)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%.3f s\t%.3f s\t%d\t\n", q.Name, q.P50Seconds, q.P95Seconds, q.Rows)
	}
	return tw.Flush()
}

func writeColl(out io.Writer, c Coll) {
	if !c.Loaded {
		fmt.Fprintf(out, "%s: not loaded\n\n", c.Name)
		return
	}
	fmt.Fprintf(out, "%s: %d documents, %d rejected (%s)", c.Name, c.Documents, c.Rejects, pct(c.RejectRate))
	if len(c.Reasons) > 0 {
		var rs []string
		for _, r := range c.Reasons {
			rs = append(rs, fmt.Sprintf("%s %d", r.Reason, r.Count))
		}
		fmt.Fprintf(out, ": %s", strings.Join(rs, ", "))
	}
	fmt.Fprintln(out)
	if len(c.Key) > 0 {
		fmt.Fprintf(out, "  duplicates by natural key (%s): %d\n", strings.Join(c.Key, ", "), c.Duplicates)
	}
	if c.Freshness != "" {
		fmt.Fprintf(out, "  oldest %s, newest %s (%s)\n", value(c.Oldest), value(c.Newest), c.Freshness)
	}
	if c.LastLoad != nil {
		fmt.Fprintf(out, "  last loaded %s\n", c.LastLoad.Format("2006-01-02 15:04:05 UTC"))
	}
	if len(c.Required) > 0 {
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  REQUIRED FIELD\tFILLED\tRATE")
		for _, f := range c.Required {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", f.Field, f.Documents, pct(f.Rate))
		}
		tw.Flush()
	}
	fmt.Fprintln(out)
}

// value writes a freshness bound: a day, a time or a number.
func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case *time.Time:
		if x == nil {
			return "-"
		}
		return value(*x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05 UTC")
	case float64:
		return fmt.Sprintf("%g", x)
	}
	return fmt.Sprint(v)
}

func (l Limits) text() string {
	s := fmt.Sprintf("required fields filled >= %s, rejects <= %s, duplicates <= %d, p95 <= %s",
		pct(l.MinFillRate), pct(l.MaxRejectRate), l.MaxDuplicates, l.MaxP95)
	if l.MaxAge > 0 {
		s += ", newest record younger than " + age(l.MaxAge)
	}
	return s
}
