package weather

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

// The Weather Underground workbooks under testdata/libreoffice were written
// by LibreOffice, not by excelize (the library that reads them): from
// FixtureSheets as flat ODS, converted by soffice. Regenerate them after
// changing the fixtures with
//
//	go test ./ingest/weather -run TestLibreOfficeWorkbooks -regenerate-libreoffice
var regenerate = flag.Bool("regenerate-libreoffice", false, "rewrite testdata/libreoffice with LibreOffice")

const loDir = "testdata/libreoffice"

func TestLibreOfficeWorkbooks(t *testing.T) {
	if *regenerate {
		regenerateLibreOffice(t)
	}
	books, err := FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	client := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	load := func(dbName string, file func(id string) string) map[string][]string {
		l := &Loader{}
		for _, id := range []string{"ILAMAD25", "IICHTE19"} {
			w, err := NewWorkbook(file(id), id)
			if err != nil {
				t.Fatal(err)
			}
			l.Workbooks = append(l.Workbooks, w)
		}
		db := client.Database(dbName)
		if _, err := ingest.Run(context.Background(), db, l, ingest.Options{MaxErrorRate: 1}); err != nil {
			t.Fatalf("load %s workbooks: %v", dbName, err)
		}
		// Rejects name their file and run; the raw text of a numeric cell
		// is each writer's own spelling of the number.
		return ingesttest.Dump(t, db, "_run", "file", "run", "at", "raw")
	}
	want := load("excelize", func(id string) string { return books[id] })
	got := load("libreoffice", func(id string) string { return filepath.Join(loDir, "wunderground-"+id+".xlsx") })
	if len(want[Readings]) == 0 {
		t.Fatal("the excelize workbooks loaded no readings")
	}
	ingesttest.SameDumps(t, "LibreOffice-written workbooks", got, want)
}

func regenerateLibreOffice(t *testing.T) {
	tmp := t.TempDir()
	if err := os.MkdirAll(loDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for id, sheets := range FixtureSheets() {
		var out []fods.Sheet
		for _, s := range sheets {
			header := make([]any, len(wuHeader)) // as WriteWorkbook: on every sheet
			for i, c := range wuHeader {
				header[i] = c
			}
			rows := [][]any{header}
			for _, r := range s.Rows {
				cells := append([]any{}, r...)
				if f, ok := cells[0].(float64); ok {
					cells[0] = fods.Time(f)
				}
				rows = append(rows, cells)
			}
			out = append(out, fods.Sheet{Name: s.Name, Rows: rows})
		}
		src := filepath.Join(tmp, "wunderground-"+id+".fods")
		if err := fods.Write(src, out); err != nil {
			t.Fatal(err)
		}
		if _, err := fods.ToXLSX(context.Background(), src, loDir); err != nil {
			t.Fatal(err)
		}
	}
}
