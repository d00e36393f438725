package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

// ErrNotWorkbook means a file is not an .xlsx workbook.
var ErrNotWorkbook = errors.New("not an Excel workbook (.xlsx)")

// OpenWorkbook opens an .xlsx file and counts its size as read.
func (e *Emitter) OpenWorkbook(path string) (*excelize.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotWorkbook, err)
	}
	e.Consumed(fi.Size())
	return f, nil
}

// EachRow streams the rows of a sheet (the workbook is opened once; rows
// are read one at a time). Cells are raw values when raw is set (numbers as
// stored, not as formatted). fn gets the 1-based row number.
func EachRow(ctx context.Context, f *excelize.File, sheet string, raw bool, fn func(row int, cells []string) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: raw})
		if err != nil {
			return fmt.Errorf("read sheet %q row %d: %w", sheet, n, err)
		}
		if err := fn(n, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	return nil
}

// Blank reports whether every cell is empty.
func Blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
