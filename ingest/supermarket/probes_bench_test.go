package supermarket

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkProbes loads generated workbooks of the real audit's sizes
// (41,377 sale lines, 18,040 products, 2,297 customers, 56 employees, one
// year of calendar) and 100,000 log rows (the real file has 207,489;
// CITADEL_BENCH_PROBE_LOGS sets it) into FerretDB and times each canned
// question, as `citadel report supermarket` runs them, against one full
// scan of the sales measured in the same run. Target: every question
// under 10 s.
func BenchmarkProbes(b *testing.B) {
	nLogs := 100_000
	if s := os.Getenv("CITADEL_BENCH_PROBE_LOGS"); s != "" {
		fmt.Sscan(s, &nLogs)
	}
	dir := b.TempDir()
	sales, logs := filepath.Join(dir, "SuperSmartMarket.xlsx"), filepath.Join(dir, "SuperSmartMarket-logs.xlsx")
	if err := writeAudit(sales, logs, 41_377, nLogs, 1); err != nil {
		b.Fatal(err)
	}
	l, err := New(sales, logs, testKey, false)
	if err != nil {
		b.Fatal(err)
	}
	db := ingesttest.DB(b)
	ingesttest.Load(b, db, l)
	for range b.N {
		ingesttest.TimeProbes(b, db, "supermarket", Sales, Probes(), nil)
	}
}

// streamBook writes sheets with excelize's stream writer (WriteWorkbook
// keeps every cell in memory, too slow for 100,000 rows).
func streamBook(path string, names []string, rows func(sheet string, put func(...any))) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range names {
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		n := 0
		rows(name, func(cells ...any) {
			n++
			cell, _ := excelize.CoordinatesToCellName(1, n)
			if err == nil {
				err = sw.SetRow(cell, cells)
			}
		})
		if err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}

// writeAudit writes the sales cube and the logs: sales of 2024 in tickets
// of 1 to 8 lines, each sale's INSERT logged within the hour (3 % the next
// morning: late inserts), the other log rows product price updates (some
// turned into dates by Excel), customer deletions and calendar inserts.
func writeAudit(sales, logs string, nSales, nLogs int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 9))
	hex := func() string { return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()) }
	emps := make([]string, 56)
	for i := range emps {
		emps[i] = hex()
	}
	custs := make([]string, 2297)
	for i := range custs {
		custs[i] = fmt.Sprintf("CUST-%012X", rng.Uint64()>>16)
	}
	eans := make([]string, 18_040)
	for i := range eans {
		eans[i] = fmt.Sprintf("%013d", 3_000_000_000_000+rng.Int64N(999_999_999_999))
	}
	type sale struct {
		id  string
		at  float64
		emp string
	}
	var all []sale
	err := streamBook(sales, []string{SheetSales, SheetProducts, SheetCustomers, SheetCalendar, SheetEmployees}, func(sheet string, put func(...any)) {
		switch sheet {
		case SheetSales:
			put("ID_BDD", "CUSTOMER_ID", "id_employe", "EAN", "Date achat", "ID ticket")
			for t := 0; len(all) < nSales; t++ {
				at := 45292 + float64(rng.IntN(366)) + 0.35 + rng.Float64()*0.5
				cust, emp := custs[rng.IntN(len(custs))], emps[rng.IntN(len(emps))]
				for range 1 + rng.IntN(8) {
					s := sale{fmt.Sprint(100_000 + len(all)), at, emp}
					put(s.id, cust, emp, eans[rng.IntN(len(eans))], at, fmt.Sprintf("t_%d", 10_000+t))
					all = append(all, s)
				}
			}
		case SheetProducts:
			put("EAN", "categorie", "Rayon", "Libelle_produit", "prix")
			for i, e := range eans {
				put(e, "Épicerie", "Rayon "+fmt.Sprint(i%40), "Produit "+fmt.Sprint(i), float64(50+rng.IntN(2000))/100)
			}
		case SheetCustomers:
			put("CUSTUMER_ID", "date_inscription")
			for _, c := range custs {
				put(c, fmt.Sprintf("%02d/%02d/20%02d", 1+rng.IntN(28), 1+rng.IntN(12), 18+rng.IntN(6)))
			}
		case SheetCalendar:
			put("date", "annee", "mois", "Jour", "mois_nom", "annee_mois", "jour_semaine", "trimestre")
			for d := range 366 {
				put(45292+d, 2024, 1+d/31, fmt.Sprint(1+d%31), "mois", "2024-01", "lundi", "T1")
			}
		case SheetEmployees:
			put("id_employe", "employe", "prenom", "nom", "date_debut", "hash_mdp", "mail")
			for i, e := range emps {
				put(e, fmt.Sprint("Employé ", i), "Prénom", fmt.Sprint("Nom", i), 44927, "$2b$12$x", fmt.Sprintf("e%d@supersmartmarket.fr", i))
			}
		}
	})
	if err != nil {
		return err
	}
	return streamBook(logs, []string{SheetLogs}, func(_ string, put func(...any)) {
		put("id_user", "date", "action", "table_insert", "id_ligne", "champs", "detail", "")
		for i := 0; i < nLogs; i++ {
			if i < len(all) {
				s := all[i]
				at := s.at + 0.01
				if rng.IntN(100) < 3 {
					at = float64(int(s.at)) + 1.3
				}
				put(s.emp, at, "INSERT", SheetSales, s.id, "ID_BDD;CUSTOMER_ID;id_employe;EAN;Date achat;ID ticket", "", "")
				continue
			}
			at := 45292 + rng.Float64()*366
			switch rng.IntN(10) {
			case 0:
				put("admin", at, "DELETE", SheetCustomers, custs[rng.IntN(len(custs))], "", "", "")
			case 1:
				put("batch_etl", at, "INSERT", SheetCalendar, fmt.Sprint(int(at)), "date", "", "")
			case 2:
				put(emps[rng.IntN(len(emps))], at, "UPDATE", SheetProducts, eans[rng.IntN(len(eans))], "prix", fmt.Sprintf("%02d/%02d", 1+rng.IntN(12), rng.IntN(60)), "")
			default:
				put(emps[rng.IntN(len(emps))], at, "UPDATE", SheetProducts, eans[rng.IntN(len(eans))], "prix", fmt.Sprintf("%d.%02d", rng.IntN(20), rng.IntN(100)), "")
			}
		}
	})
}
