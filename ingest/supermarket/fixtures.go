package supermarket

import (
	"fmt"
	"path/filepath"

	"github.com/xuri/excelize/v2"
)

// WriteWorkbook writes sheets (name → rows, the first row the header) in
// order. Numbers stay numbers (dates as Excel serials), text stays text.
func WriteWorkbook(path string, names []string, sheets map[string][][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("sheet %s: %w", name, err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("sheet %s: %w", name, err)
		}
		for r, row := range sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				return fmt.Errorf("sheet %s row %d: %w", name, r+1, err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Employee ids of the fixtures.
const (
	EmpMartin = "a3f1c2d4e5b60718293a4b5c6d7e8f90"
	EmpSophie = "0b1c2d3e4f5a69788796a5b4c3d2e1f0"
	EmpKarim  = "f00dbabe0123456789abcdef01234567"
)

// FixtureWorkbooks writes the sales cube and the logs workbooks into dir:
// every trap of datasets.md has a row (serial dates, text inscription
// dates, decimal-comma prices, EANs that lost their leading zeros, password
// hashes, late inserts on 14 Aug 2024, prices Excel turned into dates, log
// users that are not employees) plus bad rows.
func FixtureWorkbooks(dir string) (sales, logs string, err error) {
	sales, logs = filepath.Join(dir, "SuperSmartMarket.xlsx"), filepath.Join(dir, "SuperSmartMarket-logs.xlsx")
	if err := WriteWorkbook(sales, FixtureSheetNames(), FixtureCube()); err != nil {
		return "", "", err
	}
	if err := WriteWorkbook(logs, []string{SheetLogs}, map[string][][]any{SheetLogs: FixtureLogs()}); err != nil {
		return "", "", err
	}
	return sales, logs, nil
}

// FixtureSheetNames are the sheets of the fixture cube, in order.
func FixtureSheetNames() []string {
	return []string{SheetSales, SheetProducts, SheetCustomers, SheetCalendar, SheetEmployees}
}

// FixtureCube is the fixture sales cube: sheet name → rows, header first.
// Numbers are Excel serials where the column is a date.
func FixtureCube() map[string][][]any {
	return map[string][][]any{
		SheetSales: {
			{"ID_BDD", "CUSTOMER_ID", "id_employe", "EAN", "Date achat", "ID ticket"},
			{"1001", "CUST-0A1B2C3D4E5F", EmpMartin, "3017620422003", 45517.40, "t_5001"},
			{"1002", "CUST-0A1B2C3D4E5F", EmpMartin, "7622210449283", 45517.40, "t_5001"},
			{"1003", "CUST-9Z8Y7X6W5V4U", EmpSophie, "3560070048861", 45517.71, "t_5002"},
			{"1004", "CUST-0A1B2C3D4E5F", EmpSophie, "3017620422003", 45518.38, "t_5003"},
			{"1005", "CUST-0A1B2C3D4E5F", EmpSophie, 12345678905, 45518.38, "t_5003"},
			{"1006", "CUST-9Z8Y7X6W5V4U", EmpMartin, "5449000000996", 45518.52, "t_5004"},
			{"1007", "CUST-QWERTY123456", EmpMartin, "3274080005003", 45518.60, "t_5005"},
			{"1008", "CUST-QWERTY123456", EmpKarim, "3017620422003", 45518.85, "t_5006"},
			{"1009", "CUST-QWERTY123456", EmpKarim, "7622210449283", 45518.85, "t_5006"},
			{"1010", "CUST-9Z8Y7X6W5V4U", EmpKarim, "3560070048861", 45519.45, "t_5007"},
			{"1011", "CUST-0A1B2C3D4E5F", EmpSophie, "5449000000996", 45519.50, "t_5008"},
			{"1012", "CUST-0A1B2C3D4E5F", EmpSophie, "8710398500212", 45519.52, "t_5009"},
			{"1013", "CUST-0A1B2C3D4E5F", EmpSophie, "3017620422003", "14/08/2024", "t_5010"},
			{"1014", "CUST-0A1B2C3D4E5F", EmpSophie, "3017620422003", 45518.90, "5011"},
			{"1015", "CUST-0A1B2C3D4E5F", EmpSophie, "4000000000000", 45518.90, "t_5012"},
		},
		SheetProducts: {
			{"EAN", "categorie", "Rayon", "Libelle_produit", "prix"},
			{"3017620422003", "Épicerie sucrée", "Petit-déjeuner", "Pâte à tartiner 400 g", 3.49},
			{"7622210449283", "Biscuits", "Épicerie sucrée", "Biscuits fourrés chocolat", 2.08},
			{12345678905, "Conserves", "Épicerie salée", "Haricots verts extra-fins", "4,50"},
			{"3560070048861", "Crèmerie", "Frais", "Lait demi-écrémé 1 L", 1.05},
			{"5449000000996", "Boissons", "Liquides", "Soda cola 1,5 L", 1.89},
			{"3274080005003", "Eaux", "Liquides", "Eau minérale 1,5 L", 0.6},
			{"8710398500212", "Hygiène", "DPH", "Dentifrice", "abc"},
			{"123", "Divers", "Divers", "Code trop court", 1.0},
		},
		SheetCustomers: {
			{"CUSTUMER_ID", "date_inscription"},
			{"CUST-0A1B2C3D4E5F", "15/03/2023"}, {"CUST-9Z8Y7X6W5V4U", "01/12/2022"}, {"CUST-QWERTY123456", "29/02/2024"},
			{"CUST-BADDATE00000", "31/02/2023"}, {"C-12", "01/01/2024"},
		},
		SheetCalendar: {
			{"date", "annee", "mois", "Jour", "mois_nom", "annee_mois", "jour_semaine", "trimestre"},
			{45517, 2024, 8, "13", "août", "2024-08", "mardi", "T3"}, {45518, 2024, 8, "14", "août", "2024-08", "mercredi", "T3"},
			{45519, 2024, 8, "15", "août", "2024-08", "jeudi", "T3"},
		},
		SheetEmployees: {
			{"id_employe", "employe", "prenom", "nom", "date_debut", "hash_mdp", "mail"},
			{EmpMartin, "Martin Dupont", "Martin", "Dupont", 44927, "$2b$12$KIXQJ4b7Qx0m0vZ1yqk8UeGq6YkR3b1a9Hc2Qw8Vx7Ty6Uz5Sa4", "martin.dupont@supersmartmarket.fr"},
			{EmpSophie, "Sophie Martin", "Sophie", "Martin", 45108, "$2b$12$Zb7Qx0m0vZ1yqk8UeGq6YkR3b1a9Hc2Qw8Vx7Ty6Uz5Sa4KIXQJ4", "sophie.martin@supersmartmarket.fr"},
			{EmpKarim, "Karim Benali", "Karim", "Benali", 45292, "$2b$12$1yqk8UeGq6YkR3b1a9Hc2Qw8Vx7Ty6Uz5Sa4KIXQJ4b7Qx0m0vZ", "karim.benali@supersmartmarket.fr"},
			{"E-42", "Stagiaire", "Paul", "Durand", 45400, "$2b$12$secret", "paul.durand@supersmartmarket.fr"},
		},
	}
}

// FixtureLogs is the fixture logs sheet, header first.
func FixtureLogs() [][]any {
	rows := [][]any{{"id_user", "date", "action", "table_insert", "id_ligne", "champs", "detail", ""}}
	inserts := map[string]float64{"1001": 45517.41, "1002": 45517.41, "1003": 45517.72, "1004": 45518.39, "1005": 45518.39,
		"1006": 45518.53, "1007": 45519.30, "1008": 45519.31, "1009": 45519.31, "1010": 45519.46, "1011": 45519.51}
	for _, id := range []string{"1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010", "1011"} {
		rows = append(rows, []any{EmpMartin, inserts[id], "INSERT", SheetSales, id, "ID_BDD;CUSTOMER_ID;id_employe;EAN;Date achat;ID ticket", ""})
	}
	return append(rows,
		[]any{EmpSophie, 45516.60, "UPDATE", SheetProducts, "7622210449283", "prix", "2.08", ""},
		[]any{EmpSophie, 45516.61, "UPDATE", SheetProducts, "3017620422003", "prix", "03/49", ""},
		[]any{EmpSophie, 45516.62, "UPDATE", SheetProducts, "5449000000996", "prix", "01/89/2024", ""},
		[]any{"admin", 45516.90, "DELETE", SheetCustomers, "CUST-OLDOLDOLD000", "", "", ""},
		[]any{"batch_etl", 45519.95, "INSERT", SheetCalendar, "45520", "date", "", ""},
		[]any{EmpKarim, "hier", "UPDATE", SheetProducts, "3274080005003", "prix", "0.60", ""},
		[]any{EmpKarim, 45517.10, "UPDATE", SheetProducts, "3274080005003", "prix", "soixante", ""},
	)
}
