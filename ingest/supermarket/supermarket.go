// Package supermarket loads the SuperSmartMarket audit data: the sales
// cube workbook (sales, products, customers, calendar, employees) and the
// logs workbook. Password hashes are never loaded; employee names and
// emails are pseudonymised with a keyed hash unless told otherwise.
package supermarket

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// Collections.
const (
	Sales     = "sm_sales"
	Products  = "sm_products"
	Customers = "sm_customers"
	Employees = "sm_employees"
	Calendar  = "sm_calendar"
	Logs      = "sm_logs"
)

// Sheets of the sales workbook, and of the logs workbook.
const (
	SheetSales     = "Vente Détail"
	SheetProducts  = "Produits"
	SheetCustomers = "Clients"
	SheetCalendar  = "Calendrier"
	SheetEmployees = "Employé"
	SheetLogs      = "Logs"
)

// ErrMissingSheet means a workbook lacks an expected sheet.
var ErrMissingSheet = errors.New("missing sheet")

// ErrNoPseudonymKey means names would be pseudonymised without a key.
var ErrNoPseudonymKey = errors.New("no pseudonymisation key")

// ErrShortPseudonymKey means the key is too short to be a secret.
var ErrShortPseudonymKey = errors.New("pseudonymisation key too short")

// MinKeyBytes is the shortest pseudonymisation key accepted.
const MinKeyBytes = 16

// Loader loads the sales workbook and, optionally, the logs workbook.
type Loader struct {
	File     string
	LogsFile string
	// Key pseudonymises employee names and emails (HMAC-SHA256); required
	// unless KeepPersonalData.
	Key              []byte
	KeepPersonalData bool
}

// New checks the options.
func New(file, logs string, key []byte, keep bool) (*Loader, error) {
	switch {
	case keep:
	case len(key) == 0:
		return nil, fmt.Errorf("%w: set a secret of at least %d bytes (environment variable CITADEL_PSEUDONYM_KEY) or pass --keep-personal-data", ErrNoPseudonymKey, MinKeyBytes)
	case len(key) < MinKeyBytes:
		return nil, fmt.Errorf("%w (%d bytes, %d needed): use a longer secret or pass --keep-personal-data", ErrShortPseudonymKey, len(key), MinKeyBytes)
	}
	return &Loader{File: file, LogsFile: logs, Key: key, KeepPersonalData: keep}, nil
}

// Dataset implements ingest.Loader.
func (l *Loader) Dataset() string { return "supermarket" }

// Files implements ingest.Loader.
func (l *Loader) Files() []string {
	if l.LogsFile == "" {
		return []string{l.File}
	}
	return []string{l.File, l.LogsFile}
}

// Parameters implements ingest.Parameterized (the audit record): whether
// names and emails were kept; never the key.
func (l *Loader) Parameters() map[string]any {
	return map[string]any{"keep_personal_data": l.KeepPersonalData}
}

// Collections implements ingest.Loader.
func (l *Loader) Collections() []ingest.Collection {
	return []ingest.Collection{
		{Name: Sales, Indexes: []ingest.Index{
			{Name: "day", Keys: bson.D{{Key: "day", Value: 1}}},
			{Name: "customer", Keys: bson.D{{Key: "customer_id", Value: 1}}},
			{Name: "employee", Keys: bson.D{{Key: "employee_id", Value: 1}}},
		}},
		{Name: Products}, {Name: Customers}, {Name: Employees}, {Name: Calendar},
		{Name: Logs, Indexes: []ingest.Index{
			{Name: "table_action", Keys: bson.D{{Key: "table", Value: 1}, {Key: "action", Value: 1}}},
		}},
	}
}

// Load implements ingest.Loader: products first (sales carry their price),
// employees before sales and logs (ids are checked against them).
func (l *Loader) Load(ctx context.Context, e *ingest.Emitter) error {
	f, err := e.OpenWorkbook(l.File)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := requireSheets(l.File, f.GetSheetList(), SheetSales, SheetProducts, SheetCustomers, SheetCalendar, SheetEmployees); err != nil {
		return err
	}
	ref := &refs{prices: map[string]float64{}, employees: map[string]bool{}}
	steps := []struct {
		sheet string
		read  sheetFunc
	}{
		{SheetProducts, l.products(ref)}, {SheetEmployees, l.employees(ref)}, {SheetCustomers, customers},
		{SheetCalendar, calendar}, {SheetSales, l.sales(ref)},
	}
	for _, s := range steps {
		if err := eachSheet(ctx, e, f, l.File, s.sheet, s.read); err != nil {
			return err
		}
	}
	if l.LogsFile == "" {
		return nil
	}
	return l.loadLogs(ctx, e, ref)
}

// refs are the small reference tables kept while loading.
type refs struct {
	prices    map[string]float64 // EAN → price
	employees map[string]bool
}

func requireSheets(file string, have []string, want ...string) error {
	set := map[string]bool{}
	for _, s := range have {
		set[s] = true
	}
	var missing []string
	for _, w := range want {
		if !set[w] {
			missing = append(missing, fmt.Sprintf("%q", w))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w %s; sheets found: %s", file, ErrMissingSheet, strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return nil
}
