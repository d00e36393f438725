package dictionary

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/noscites/citadel/internal/atomicfile"
)

// ListSheet is the name of the workbook's first sheet, which lists the
// collections.
const ListSheet = "Collections"

// FieldColumns are the columns of a collection's sheet.
var FieldColumns = []string{"Field", "Description", "Unit", "Source", "Types seen", "Fill rate", "Documents",
	"Distinct values", "Exact or estimated", "Min", "Max", "Example"}

// listColumns are the columns of the first sheet.
var listColumns = []string{"Collection", "What a document is", "Documents", "Scanned", "Fields", "Natural key", "Sheet"}

// Write saves the dictionary as an Excel workbook: a first sheet listing
// the collections, then one sheet per loaded collection with a row per
// field path. Header rows are frozen, columns sized, numbers and dates
// stored as numbers (integers beyond Excel's 15 significant digits as
// text, so that no digit is lost). The workbook is written to a temporary
// file beside path and renamed into place: a failed write leaves no
// partial file.
func Write(d *Dictionary, path string) error {
	f := excelize.NewFile()
	defer f.Close()
	w := &book{f: f}
	if err := w.styles(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	sheets := sheetNames(d.Collections)
	if err := w.list(d, sheets); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for i, c := range d.Collections {
		if sheets[i] == "" {
			continue
		}
		if err := w.collection(sheets[i], c); err != nil {
			return fmt.Errorf("write %s: sheet %s: %w", path, sheets[i], err)
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: "Data dictionary of dataset " + d.Dataset, Creator: "citadel",
		Created: d.GeneratedAt.Format(time.RFC3339), Description: "citadel dictionary " + d.Dataset + " (database " + d.Database + ")"}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return saveAtomically(f, path)
}

func saveAtomically(f *excelize.File, path string) error {
	return atomicfile.Write(path, ".citadel-dictionary-*.xlsx", func(w io.Writer) error { _, err := f.WriteTo(w); return err })
}

// book writes cells with the workbook's styles.
type book struct {
	f                             *excelize.File
	header, pct, count, date, txt int
}

func (w *book) styles() error {
	var err error
	add := func(s *excelize.Style) int {
		id, e := w.f.NewStyle(s)
		if err == nil {
			err = e
		}
		return id
	}
	top := &excelize.Alignment{Vertical: "top"}
	w.header = add(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E2F3"}},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}})
	w.pct = add(&excelize.Style{NumFmt: 10, Alignment: top})  // 0.00%
	w.count = add(&excelize.Style{NumFmt: 3, Alignment: top}) // #,##0
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	w.date = add(&excelize.Style{CustomNumFmt: &dateFmt, Alignment: top})
	w.txt = add(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	return err
}

// sheetNames gives each loaded collection a valid, unique sheet name
// (at most 31 characters, none of : \ / ? * [ ]); "" for the others.
func sheetNames(cs []Collection) []string {
	out := make([]string, len(cs))
	used := map[string]bool{strings.ToLower(ListSheet): true}
	for i, c := range cs {
		if !c.Loaded {
			continue
		}
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`:\/?*[]`, r) {
				return '_'
			}
			return r
		}, c.Name)
		base = truncRunes(base, 31)
		name := base
		for n := 2; used[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf("~%d", n)
			name = truncRunes(base, 31-len(suffix)) + suffix
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (w *book) list(d *Dictionary, sheets []string) error {
	if err := w.f.SetSheetName("Sheet1", ListSheet); err != nil {
		return err
	}
	t := w.table(ListSheet, listColumns, plain, wrap, count, count, count, plain, plain)
	for i, c := range d.Collections {
		row := []any{c.Name, c.Document, c.Documents, c.Scanned, len(c.Fields), strings.Join(c.Key, ", "), sheets[i]}
		if !c.Loaded {
			row[2], row[3], row[6] = nil, nil, "not loaded"
		}
		t.add(row...)
		if sheets[i] != "" {
			cell, _ := excelize.CoordinatesToCellName(7, t.row)
			t.err(w.f.SetCellHyperLink(ListSheet, cell, "'"+sheets[i]+"'!A1", "Location"))
		}
	}
	t.add()
	for _, note := range notes(d) {
		t.add(note[0], note[1])
	}
	return t.finish([]float64{24, 60, 12, 12, 8, 30, 24})
}

// notes explain the figures, under the list of collections.
func notes(d *Dictionary) [][2]string {
	sample := "every document of each collection"
	if d.Sample > 0 {
		sample = fmt.Sprintf("at most %d documents of each collection (the first in natural order)", d.Sample)
	}
	return [][2]string{
		{"Dataset", d.Dataset}, {"Database", d.Database}, {"Generated (UTC)", d.GeneratedAt.Format("2006-01-02 15:04:05")},
		{"Read", sample + ", in one pass"},
		{"Types seen", "BSON types of the values that are not null ($type names), with their shares; null when the field never holds a value. Paths ending in [] are the elements of an array"},
		{"Fill rate", "share of the documents read whose field holds a value that is not null"},
		{"Distinct values", fmt.Sprintf("exact up to %d values, estimated beyond (K-minimum-values sketch, about 1.6 %% error): the column Exact or estimated says which", d.DistinctBound)},
		{"Examples", "the first value read; never shown for personal data, nor its min and max"},
	}
}

func (w *book) collection(sheet string, c Collection) error {
	if _, err := w.f.NewSheet(sheet); err != nil {
		return err
	}
	t := w.table(sheet, FieldColumns, plain, wrap, wrap, wrap, plain, share, count, count, plain, plain, plain, plain)
	for _, fl := range c.Fields {
		var distinct, kind any
		if fl.Distinct != nil {
			distinct, kind = *fl.Distinct, "estimated"
			if fl.DistinctExact {
				kind = "exact"
			}
		}
		example := fl.Example
		if fl.Personal {
			example = "(personal data: not shown)"
		}
		t.add(fl.Path, fl.Description, fl.Unit, fl.Source, fl.TypesText(), fl.FillRate, fl.Documents, distinct, kind,
			fl.Min, fl.Max, example)
	}
	return t.finish([]float64{0, 60, 14, 36, 18, 10, 11, 10, 10, 20, 20, 36})
}

// kind says how a column's values are stored.
type kind int

const (
	plain kind = iota // as they come (numbers as numbers, dates as dates)
	wrap              // text wrapped in its width
	count             // integers with thousands separators
	share             // fractions shown as percentages
)

// table fills a sheet row by row, remembering the widest text of each
// column.
type table struct {
	w      *book
	sheet  string
	kinds  []kind
	row    int
	widths []int
	first  error
}

func (w *book) table(sheet string, header []string, kinds ...kind) *table {
	t := &table{w: w, sheet: sheet, kinds: kinds, widths: make([]int, len(header))}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		t.err(w.f.SetCellValue(sheet, cell, h))
		t.widths[i] = utf8.RuneCountInString(h)
	}
	last, _ := excelize.CoordinatesToCellName(len(header), 1)
	t.err(w.f.SetCellStyle(sheet, "A1", last, w.header))
	t.row = 1
	return t
}

func (t *table) err(err error) {
	if t.first == nil {
		t.first = err
	}
}

func (t *table) add(vals ...any) {
	t.row++
	for i, v := range vals {
		k := plain
		if i < len(t.kinds) {
			k = t.kinds[i]
		}
		value, style, text := t.w.cell(v, k)
		if value == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, t.row)
		t.err(t.w.f.SetCellValue(t.sheet, cell, value))
		if style != 0 {
			t.err(t.w.f.SetCellStyle(t.sheet, cell, cell, style))
		}
		if i < len(t.widths) {
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(text))
		}
	}
}

// finish freezes the header row and sets the column widths: the widest
// text, within caps (0: no cap).
func (t *table) finish(caps []float64) error {
	t.err(t.w.f.SetPanes(t.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}))
	for i, n := range t.widths {
		width := math.Max(8, float64(n)+2)
		if i < len(caps) && caps[i] > 0 {
			width = math.Min(width, caps[i])
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		t.err(t.w.f.SetColWidth(t.sheet, col, col, width))
	}
	return t.first
}

// maxExactInt is the largest integer Excel keeps every digit of (it keeps
// 15 significant digits).
const maxExactInt = 999_999_999_999_999

// cell is the value to store, its style and its text (for the width).
func (w *book) cell(v any, k kind) (any, int, string) {
	style := map[kind]int{wrap: w.txt, count: w.count, share: w.pct}[k]
	switch x := v.(type) {
	case nil:
		return nil, 0, ""
	case string:
		if k != wrap {
			style = 0
		}
		return x, style, x
	case int:
		return int64(x), style, fmt.Sprint(x)
	case int32:
		return int64(x), style, fmt.Sprint(x)
	case int64:
		if x > maxExactInt || x < -maxExactInt {
			return fmt.Sprint(x), 0, fmt.Sprint(x)
		}
		return x, style, fmt.Sprint(x)
	case float64:
		if k == share {
			return x, style, "100.00%"
		}
		return x, 0, fmt.Sprint(x)
	case time.Time:
		return x.UTC(), w.date, "2006-01-02 15:04:05"
	case bool:
		return x, 0, fmt.Sprint(x)
	}
	return fmt.Sprint(v), 0, fmt.Sprint(v)
}
