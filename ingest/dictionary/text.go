package dictionary

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the dictionary as one table per collection, for a
// terminal: path, types, fill rate, distinct values ("~" when estimated),
// range, example, unit and the start of the description.
func WriteText(out io.Writer, d *Dictionary) error {
	for _, c := range d.Collections {
		if !c.Loaded {
			fmt.Fprintf(out, "%s: not loaded\n\n", c.Name)
			continue
		}
		read := ""
		if c.Sampled {
			read = fmt.Sprintf(", %d read (--sample)", c.Scanned)
		}
		fmt.Fprintf(out, "%s: %d documents%s, %d field paths\n", c.Name, c.Documents, read, len(c.Fields))
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  FIELD\tTYPES\tFILL\tDISTINCT\tMIN\tMAX\tEXAMPLE\tUNIT\tDESCRIPTION")
		for _, f := range c.Fields {
			distinct := "-"
			if f.Distinct != nil {
				distinct = strconv.FormatInt(*f.Distinct, 10)
				if !f.DistinctExact {
					distinct = "~" + distinct
				}
			}
			example := text(f.Example)
			if f.Personal {
				example = "(personal)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.1f%%\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Path, f.TypesText(), f.FillRate*100, distinct,
				text(f.Min), text(f.Max), example, dash(f.Unit), shorten(f.Description, 50))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	_, err := fmt.Fprintf(out, "distinct values exact up to %d, estimated (~) beyond\n", d.DistinctBound)
	return err
}

// text is a value on one short line.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case float64:
		return strconv.FormatFloat(x, 'g', 10, 64)
	case string:
		return shorten(strings.Join(strings.Fields(x), " "), 30)
	}
	return fmt.Sprint(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
