package fixtureset

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/ingest/ingesttest/fods"
	"github.com/noscites/citadel/test/testbed"
)

// csvFilter is LibreOffice's CSV export: comma, double quotes, UTF-8
// (76), cells as shown, every sheet to its own file (the last token, -1:
// LibreOffice 7.2 and later name them BASE-SHEET.csv).
const csvFilter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"

// SheetsAsCSV converts a workbook back to CSV with LibreOffice (through
// fods.Convert, the project's one soffice wrapper) and returns each named
// sheet's rows, as LibreOffice shows the cells. A workbook LibreOffice
// cannot open gives no sheets and fails the test. Without soffice the
// test fails under CI=true and is skipped otherwise (testbed.Unavailable).
func SheetsAsCSV(t testing.TB, xlsx string, sheets []string) map[string][][]string {
	t.Helper()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	msg, err := fods.Convert(ctx, xlsx, out, csvFilter)
	if errors.Is(err, exec.ErrNotFound) {
		testbed.Unavailable(t, "LibreOffice (soffice, Debian package libreoffice-calc-nogui)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(filepath.Base(xlsx), filepath.Ext(xlsx))
	got := map[string][][]string{}
	for _, sheet := range sheets {
		p := filepath.Join(out, base+"-"+sheet+".csv")
		f, err := os.Open(p)
		if err != nil {
			entries, _ := os.ReadDir(out)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("soffice wrote no CSV for sheet %s of %s (files: %v)\n%s", sheet, xlsx, names, msg)
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		got[sheet] = rows
	}
	return got
}
