package dictionary

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/fixtureset"
	"github.com/noscites/citadel/ingest/ingesttest"
)

// TestFixtureDictionaries builds the dictionary of each of the five
// datasets from its loaded fixtures: every field has one type, every
// field met is described, and the workbook opens in LibreOffice (converted
// back to CSV by soffice) with the figures counted here independently.
func TestFixtureDictionaries(t *testing.T) {
	db := ingesttest.DB(t)
	dir := t.TempDir()
	fixtureset.Load(t, db, dir)
	ctx := context.Background()
	for _, ds := range catalog.All() {
		t.Run(ds.Name, func(t *testing.T) {
			spec, err := SpecFor(ds.Name)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Build(ctx, db, ds.Name, ds.Collections, spec, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range d.Collections {
				checkCollection(t, db, c)
			}
			book := filepath.Join(dir, ds.Name+"-dictionary.xlsx")
			if err := Write(d, book); err != nil {
				t.Fatal(err)
			}
			checkWorkbook(t, book, d)
			sheets := fixtureset.SheetsAsCSV(t, book, append([]string{ListSheet}, ds.Collections...))
			checkListSheet(t, db, sheets[ListSheet], ds.Collections)
			switch ds.Name {
			case "dvf":
				checkDVF(t, db, sheets["mutations"])
			case "airbnb":
				checkAirbnbPrice(t, db, sheets["listings"])
			case "supermarket":
				checkPersonal(t, sheets["sm_employees"])
				// Numbers as numbers: the calendar's parts of a date alike.
				for _, f := range []string{"annee", "mois", "jour", "trimestre"} {
					if got := rowOf(t, sheets["sm_calendar"], f)["Types seen"]; got != "int 100%" {
						t.Errorf("sm_calendar.%s: types %q, want int 100%%", f, got)
					}
				}
			}
		})
	}
}

// checkCollection: one type per field, each field met described, the
// document count right.
func checkCollection(t *testing.T, db *mongo.Database, c Collection) {
	t.Helper()
	n, err := db.Collection(c.Name).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Loaded || c.Documents != n || c.Scanned != n || n == 0 {
		t.Errorf("%s: loaded %v, %d documents (%d read), the collection holds %d", c.Name, c.Loaded, c.Documents, c.Scanned, n)
	}
	for _, f := range c.Fields {
		if len(f.Types) > 1 {
			t.Errorf("%s.%s has %d types: %s", c.Name, f.Path, len(f.Types), f.TypesText())
		}
		if f.Documents > 0 && f.Description == "" {
			t.Errorf("%s.%s holds values but the data file does not describe it", c.Name, f.Path)
		}
	}
}

// checkWorkbook reads the workbook back: header rows frozen, columns
// sized, fill rates and counts stored as numbers.
func checkWorkbook(t *testing.T, path string, d *Dictionary) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); got[0] != ListSheet || len(got) != len(d.Collections)+1 {
		t.Errorf("sheets %v", got)
	}
	for _, sheet := range f.GetSheetList() {
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header row not frozen: %+v %v", sheet, panes, err)
		}
		if w, _ := f.GetColWidth(sheet, "B"); w < 20 { // the default is 9.14
			t.Errorf("%s: column B width %v", sheet, w)
		}
		if sheet == ListSheet {
			continue
		}
		for _, cell := range []string{"F2", "G2"} { // fill rate, documents of _id
			if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("%s!%s is stored as %v, want a number", sheet, cell, typ)
			}
			if v, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true}); v == "" {
				t.Errorf("%s!%s is empty", sheet, cell)
			} else if _, err := strconv.ParseFloat(v, 64); err != nil {
				t.Errorf("%s!%s = %q, want a number", sheet, cell, v)
			}
		}
	}
}

// rowOf returns the CSV row whose first cell is key, with the header.
func rowOf(t *testing.T, rows [][]string, key string) map[string]string {
	t.Helper()
	for _, r := range rows[1:] {
		if len(r) > 0 && r[0] == key {
			m := map[string]string{}
			for i, h := range rows[0] {
				if i < len(r) {
					m[h] = r[i]
				}
			}
			return m
		}
	}
	t.Fatalf("no row %q in the CSV LibreOffice wrote", key)
	return nil
}

func checkListSheet(t *testing.T, db *mongo.Database, rows [][]string, colls []string) {
	t.Helper()
	for _, c := range colls {
		n, _ := db.Collection(c).CountDocuments(context.Background(), bson.D{})
		if got := rowOf(t, rows, c)["Documents"]; got != strconv.FormatInt(n, 10) {
			t.Errorf("%s: %s documents in the list sheet, the collection holds %d", ListSheet, got, n)
		}
	}
}

// checkDVF: the fill rate of surface_bati (set only when a mutation sells
// exactly one dwelling) as LibreOffice shows it.
func checkDVF(t *testing.T, db *mongo.Database, rows [][]string) {
	t.Helper()
	ctx := context.Background()
	coll := db.Collection("mutations")
	total, _ := coll.CountDocuments(ctx, bson.D{})
	var filled int64
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for cur.Next(ctx) {
		if v := cur.Current.Lookup("surface_bati"); v.Type == bson.TypeDouble {
			filled++
		}
	}
	row := rowOf(t, rows, "surface_bati")
	want := fmt.Sprintf("%.2f%%", 100*float64(filled)/float64(total))
	if filled == 0 || filled == total || row["Fill rate"] != want || row["Documents"] != strconv.FormatInt(filled, 10) {
		t.Errorf("dvf surface_bati: fill rate %q over %s documents, want %s (%d of %d)", row["Fill rate"], row["Documents"], want, filled, total)
	}
	if row["Types seen"] != "double 100%" || row["Unit"] != "m²" {
		t.Errorf("dvf surface_bati: %v", row)
	}
}

// checkAirbnbPrice: the price is a double, its range the cheapest and
// dearest listing found by sorted queries.
func checkAirbnbPrice(t *testing.T, db *mongo.Database, rows [][]string) {
	t.Helper()
	ctx := context.Background()
	coll := db.Collection("listings")
	priced := bson.D{{Key: "price", Value: bson.D{{Key: "$type", Value: "double"}}}}
	bound := func(dir int) float64 {
		var d struct{ Price float64 }
		err := coll.FindOne(ctx, priced, options.FindOne().SetSort(bson.D{{Key: "price", Value: dir}})).Decode(&d)
		if err != nil {
			t.Fatal(err)
		}
		return d.Price
	}
	lo, hi := bound(1), bound(-1)
	row := rowOf(t, rows, "price")
	gotLo, err1 := strconv.ParseFloat(strings.ReplaceAll(row["Min"], ",", ""), 64)
	gotHi, err2 := strconv.ParseFloat(strings.ReplaceAll(row["Max"], ",", ""), 64)
	if row["Types seen"] != "double 100%" || err1 != nil || err2 != nil || math.Abs(gotLo-lo) > 1e-9 || math.Abs(gotHi-hi) > 1e-9 {
		t.Errorf("airbnb price: types %q, range %q..%q, want double 100%%, %v..%v", row["Types seen"], row["Min"], row["Max"], lo, hi)
	}
	if lo == hi {
		t.Errorf("the fixtures' prices should differ: %v", lo)
	}
}

// checkPersonal: no example of a personal field, pseudonymised or not.
func checkPersonal(t *testing.T, rows [][]string) {
	t.Helper()
	for _, field := range []string{"employe", "prenom", "nom", "mail"} {
		if ex := rowOf(t, rows, field)["Example"]; ex != "(personal data: not shown)" {
			t.Errorf("sm_employees.%s: example %q", field, ex)
		}
	}
	for _, r := range rows {
		line := strings.Join(r, ",")
		if strings.Contains(line, "pseudo:") || strings.Contains(line, "Dupont") || strings.Contains(line, "@supersmartmarket.fr") {
			t.Errorf("personal data in the dictionary: %s", line)
		}
	}
}

// TestSample: --sample reads the first N documents and says so.
func TestSample(t *testing.T) {
	db := ingesttest.DB(t)
	fixtureset.Load(t, db, t.TempDir(), "airbnb")
	spec, _ := SpecFor("airbnb")
	d, err := Build(context.Background(), db, "airbnb", []string{"listings", "absent"}, spec, Options{Sample: 5})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Collections[0]
	if !c.Sampled || c.Scanned != 5 || c.Documents != 23 || c.Fields[0].Documents != 5 || c.Fields[0].FillRate != 1 {
		t.Errorf("sample: sampled %v, read %d of %d, _id in %d (%v)", c.Sampled, c.Scanned, c.Documents, c.Fields[0].Documents, c.Fields[0].FillRate)
	}
	if d.Collections[1].Loaded || len(d.Collections[1].Fields) == 0 && d.Collections[1].Name != "absent" {
		t.Errorf("absent collection: %+v", d.Collections[1])
	}
	var out strings.Builder
	if err := WriteText(&out, d); err != nil || !strings.Contains(out.String(), "23 documents, 5 read (--sample)") || !strings.Contains(out.String(), "absent: not loaded") {
		t.Errorf("text:\n%s", out.String())
	}
}
