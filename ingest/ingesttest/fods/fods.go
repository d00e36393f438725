// Package fods writes spreadsheets as flat OpenDocument (.fods, one XML
// file), the input from which LibreOffice writes the test workbooks of the
// Excel loaders: converted by `soffice --headless --convert-to xlsx`, they
// come from a writer other than excelize, the library that reads them (so
// with shared strings, LibreOffice's styles, dates as styled serials).
package fods

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Sheet is a named grid of cells: string, float64, int, Date or Time.
type Sheet struct {
	Name string
	Rows [][]any
}

// Date is an Excel serial date (day 0 = 1899-12-30, the fraction the time
// of day); it is written as a date cell with a date style, which
// LibreOffice saves to .xlsx as a number with a date format.
type Date float64

// Time is a fraction of a day written as a time cell (h:mm).
type Time float64

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

const header = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:date-style style:name="N1"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
<number:time-style style:name="N2"><number:hours/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>
<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N1"/>
<style:style style:name="ce2" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N2"/>
<style:style style:name="ro1" style:family="table-row"><style:table-row-properties style:row-height="0.178in" fo:break-before="auto" style:use-optimal-row-height="true"/></style:style>
<style:style style:name="ro2" style:family="table-row"><style:table-row-properties style:row-height="0.3in" fo:break-before="auto" style:use-optimal-row-height="false"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
`

// Write writes sheets to path. Each sheet ends with an empty row of its
// own height, which LibreOffice keeps as an empty trailing row.
func Write(path string, sheets []Sheet) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(header)
	for _, s := range sheets {
		fmt.Fprintf(w, "<table:table table:name=%q>\n", s.Name)
		for _, row := range s.Rows {
			w.WriteString(`<table:table-row table:style-name="ro1">`)
			for _, v := range row {
				if err := cell(w, v); err != nil {
					f.Close()
					return fmt.Errorf("write %s sheet %s: %w", path, s.Name, err)
				}
			}
			w.WriteString("</table:table-row>\n")
		}
		w.WriteString(`<table:table-row table:style-name="ro2"><table:table-cell/></table:table-row>` + "\n</table:table>\n")
	}
	w.WriteString("</office:spreadsheet></office:body></office:document>\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func cell(w *bufio.Writer, v any) error {
	switch x := v.(type) {
	case nil:
		w.WriteString("<table:table-cell/>")
	case string:
		if x == "" {
			w.WriteString("<table:table-cell/>")
			return nil
		}
		w.WriteString(`<table:table-cell office:value-type="string"><text:p>`)
		if err := xml.EscapeText(w, []byte(x)); err != nil {
			return err
		}
		w.WriteString("</text:p></table:table-cell>")
	case int:
		fmt.Fprintf(w, `<table:table-cell office:value-type="float" office:value="%d"><text:p>%d</text:p></table:table-cell>`, x, x)
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		fmt.Fprintf(w, `<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>`, s, s)
	case Date:
		t := excelEpoch.Add(time.Duration(math.Round(float64(x)*86400)) * time.Second)
		fmt.Fprintf(w, `<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="%s"><text:p>%s</text:p></table:table-cell>`,
			t.Format("2006-01-02T15:04:05"), t.Format("02/01/2006 15:04"))
	case Time:
		secs := int(math.Round(float64(x) * 86400))
		fmt.Fprintf(w, `<table:table-cell table:style-name="ce2" office:value-type="time" office:time-value="PT%02dH%02dM%02dS"><text:p>%d:%02d</text:p></table:table-cell>`,
			secs/3600, secs/60%60, secs%60, secs/3600, secs/60%60)
	default:
		return fmt.Errorf("cell value %v of type %T", v, v)
	}
	return nil
}

// ToXLSX converts a .fods file into an .xlsx in outDir with LibreOffice
// and returns the new file's path.
func ToXLSX(ctx context.Context, fods, outDir string) (string, error) {
	out, err := Convert(ctx, fods, outDir, "xlsx:Calc MS Excel 2007 XML")
	if err != nil {
		return "", err
	}
	xlsx := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(fods), filepath.Ext(fods))+".xlsx")
	if _, err := os.Stat(xlsx); err != nil {
		return "", fmt.Errorf("convert %s with soffice: no %s written\n%s", fods, xlsx, out)
	}
	return xlsx, nil
}

// Convert runs `soffice --headless --convert-to FILTER` on in, writing
// into outDir, with its own throwaway profile so that it runs beside a
// desktop session, and returns what soffice printed. It is the project's
// one way to run LibreOffice: ToXLSX writes the Excel fixtures with it, and
// tests of workbooks citadel writes convert them back to CSV with it. An
// error wraps exec.ErrNotFound when soffice is not installed.
func Convert(ctx context.Context, in, outDir, filter string) ([]byte, error) {
	bin, err := exec.LookPath("soffice")
	if err != nil {
		return nil, fmt.Errorf("convert %s: LibreOffice's soffice not found (apt-get install libreoffice-calc-nogui): %w", in, err)
	}
	profile, err := os.MkdirTemp("", "citadel-soffice-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	cmd := exec.CommandContext(ctx, bin, "-env:UserInstallation=file://"+profile, "--headless", "--norestore",
		"--convert-to", filter, "--outdir", outDir, in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("convert %s with soffice: %w\n%s", in, err, out)
	}
	return out, nil
}
