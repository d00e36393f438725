package supermarket

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
	"github.com/noscites/citadel/ingest/ingesttest/fods"
	"github.com/noscites/citadel/test/testbed"
)

// The workbooks under testdata/libreoffice were written by LibreOffice, not
// by excelize (the library that reads them): from FixtureCube and
// FixtureLogs as flat ODS, with the date columns as date cells (LibreOffice
// saves them as serials with a date format), converted by soffice.
// Regenerate them after changing the fixtures with
//
//	go test ./ingest/supermarket -run TestLibreOfficeWorkbooks -regenerate-libreoffice
var regenerate = flag.Bool("regenerate-libreoffice", false, "rewrite testdata/libreoffice with LibreOffice")

const loDir = "testdata/libreoffice"

// dateColumns hold Excel serial dates in the fixtures.
var dateColumns = map[string]bool{"Date achat": true, "date_debut": true, "date": true}

func TestLibreOfficeWorkbooks(t *testing.T) {
	if *regenerate {
		regenerateLibreOffice(t)
	}
	sales, logs, err := FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	client := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	load := func(dbName, sales, logs string) map[string][]string {
		l, err := New(sales, logs, testKey, false)
		if err != nil {
			t.Fatal(err)
		}
		db := client.Database(dbName)
		if _, err := ingest.Run(context.Background(), db, l, ingest.Options{MaxErrorRate: 1}); err != nil {
			t.Fatalf("load %s workbooks: %v", dbName, err)
		}
		// Rejects name their file and run; the raw text of a numeric cell
		// is each writer's own spelling of the number.
		return ingesttest.Dump(t, db, "_run", "file", "run", "at", "raw")
	}
	want := load("excelize", sales, logs)
	got := load("libreoffice", filepath.Join(loDir, "SuperSmartMarket.xlsx"), filepath.Join(loDir, "SuperSmartMarket-logs.xlsx"))
	if len(want[Sales]) == 0 {
		t.Fatal("the excelize workbooks loaded no sales")
	}
	ingesttest.SameDumps(t, "LibreOffice-written workbooks", got, want)
}

func regenerateLibreOffice(t *testing.T) {
	tmp := t.TempDir()
	if err := os.MkdirAll(loDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cube := FixtureCube()
	var sheets []fods.Sheet
	for _, name := range FixtureSheetNames() {
		sheets = append(sheets, fods.Sheet{Name: name, Rows: typedRows(cube[name])})
	}
	for file, s := range map[string][]fods.Sheet{"SuperSmartMarket": sheets, "SuperSmartMarket-logs": {{Name: SheetLogs, Rows: typedRows(FixtureLogs())}}} {
		src := filepath.Join(tmp, file+".fods")
		if err := fods.Write(src, s); err != nil {
			t.Fatal(err)
		}
		if _, err := fods.ToXLSX(context.Background(), src, loDir); err != nil {
			t.Fatal(err)
		}
	}
}

// typedRows makes the numbers of date columns date cells.
func typedRows(rows [][]any) [][]any {
	out := [][]any{rows[0]}
	for _, r := range rows[1:] {
		cells := append([]any{}, r...)
		for i, v := range cells {
			if i >= len(rows[0]) || !dateColumns[rows[0][i].(string)] {
				continue
			}
			switch x := v.(type) {
			case float64:
				cells[i] = fods.Date(x)
			case int:
				cells[i] = fods.Date(float64(x))
			}
		}
		out = append(out, cells)
	}
	return out
}
