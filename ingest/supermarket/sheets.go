package supermarket

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// Columns each sheet must have.
var sheetColumns = map[string][]string{
	SheetSales:     {"ID_BDD", "CUSTOMER_ID", "id_employe", "EAN", "Date achat", "ID ticket"},
	SheetProducts:  {"EAN", "categorie", "Rayon", "Libelle_produit", "prix"},
	SheetCustomers: {"CUSTUMER_ID", "date_inscription"},
	SheetCalendar:  {"date", "annee", "mois", "Jour", "mois_nom", "annee_mois", "jour_semaine", "trimestre"},
	SheetEmployees: {"id_employe", "employe", "prenom", "nom", "date_debut", "mail"},
	SheetLogs:      {"id_user", "date", "action", "table_insert", "id_ligne", "champs", "detail"},
}

type sheetFunc func(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error

// eachSheet checks a sheet's header and calls read for each non-blank row
// with raw cell values (serial numbers, not formatted dates).
func eachSheet(ctx context.Context, e *ingest.Emitter, f *excelize.File, file, sheet string, read sheetFunc) error {
	var h *ingest.Header
	err := ingest.EachRow(ctx, f, sheet, true, func(n int, cells []string) error {
		if h == nil {
			h = ingest.NewHeader(cells)
			if err := h.Require(0, sheetColumns[sheet]...); err != nil {
				return fmt.Errorf("sheet %s row %d: %w", sheet, n, err)
			}
			return nil
		}
		if ingest.Blank(cells) {
			return nil
		}
		for len(cells) < len(h.Names) {
			cells = append(cells, "") // excelize drops trailing empty cells
		}
		e.Read(1)
		loc := ingest.Loc{File: file, Sheet: sheet, Row: n, Raw: strings.Join(cells, "\t")}
		return read(ctx, e, &ingest.Row{H: h, Fields: cells}, loc)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if h == nil {
		return fmt.Errorf("%s: sheet %s is empty (no header row)", file, sheet)
	}
	return nil
}

// emit rejects the row when it has a field error, else writes the document.
func emit(ctx context.Context, e *ingest.Emitter, coll string, r *ingest.Row, loc ingest.Loc, id string, body bson.D) error {
	if r.Err != nil {
		return e.RejectField(ctx, coll, loc, r.Err)
	}
	return e.Doc(ctx, coll, ingest.Doc{ID: id, Body: body, Src: loc})
}

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ExcelDate converts an Excel serial number (day 0 = 1899-12-30; 45518 is
// 2024-08-14; a fraction is the time of day) to UTC.
func ExcelDate(r *ingest.Row, name string) any {
	s := r.Str(name)
	if s == "" {
		return nil
	}
	v, ok := ingest.ParseDecimal(s)
	if !ok || v < 1 || v > 2958465 {
		r.Fail(name, s, "bad date", "is not an Excel date serial number")
		return nil
	}
	ms := math.Round(v * 86400 * 1000)
	return excelEpoch.Add(time.Duration(ms) * time.Millisecond)
}

var (
	eanDigits  = regexp.MustCompile(`^\d{8,13}$`)
	customerID = regexp.MustCompile(`^CUST-[0-9A-Z]{12}$`)
	employeeID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	ticketID   = regexp.MustCompile(`^t_\d+$`)
)

// EAN reads a product code as a 13-digit string: Excel stored some codes
// as numbers and dropped their leading zeros (12345678905 is 0012345678905).
func EAN(r *ingest.Row, name string) string {
	s := r.Str(name)
	s = strings.TrimSuffix(s, ".0")
	if !eanDigits.MatchString(s) || len(s) < 11 {
		r.Fail(name, s, "bad EAN", "is not an EAN code of 11 to 13 digits")
		return ""
	}
	return strings.Repeat("0", 13-len(s)) + s
}

func match(r *ingest.Row, name string, re *regexp.Regexp, reason, what string) string {
	s := r.Str(name)
	if !re.MatchString(s) {
		r.Fail(name, s, reason, "is not "+what)
	}
	return s
}

// Pseudonym is the keyed hash that replaces a name or an email.
func Pseudonym(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(s))))
	return "pseudo:" + hex.EncodeToString(m.Sum(nil)[:10])
}

// personal returns s or its pseudonym.
func (l *Loader) personal(s string) any {
	if s == "" {
		return nil
	}
	if l.KeepPersonalData {
		return s
	}
	return Pseudonym(l.Key, s)
}

func (l *Loader) products(ref *refs) sheetFunc {
	return func(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
		ean := EAN(r, "EAN")
		price := r.Float("prix")
		if r.Err == nil && price == nil {
			r.Fail("prix", "", "bad price", "is empty")
		}
		if r.Err != nil && r.Err.Field == "prix" {
			r.Err.Reason = "bad price"
		}
		if p, ok := price.(float64); ok && r.Err == nil {
			ref.prices[ean] = p
		}
		return emit(ctx, e, Products, r, loc, ean, bson.D{{Key: "ean", Value: ean}, {Key: "categorie", Value: r.Opt("categorie")},
			{Key: "rayon", Value: r.Opt("Rayon")}, {Key: "libelle", Value: r.Opt("Libelle_produit")}, {Key: "prix", Value: price}})
	}
}

// employees never reads hash_mdp; names and email are pseudonymised.
func (l *Loader) employees(ref *refs) sheetFunc {
	return func(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
		id := match(r, "id_employe", employeeID, "bad employee id", "32 hexadecimal characters")
		if r.Err == nil {
			ref.employees[id] = true
		}
		loc.Raw = strings.Join([]string{id, "<personal data not kept in rejects>"}, "\t")
		return emit(ctx, e, Employees, r, loc, id, bson.D{
			{Key: "employe", Value: l.personal(r.Str("employe"))}, {Key: "prenom", Value: l.personal(r.Str("prenom"))},
			{Key: "nom", Value: l.personal(r.Str("nom"))}, {Key: "mail", Value: l.personal(r.Str("mail"))},
			{Key: "pseudonymised", Value: !l.KeepPersonalData}, {Key: "date_debut", Value: ExcelDate(r, "date_debut")}})
	}
}

func customers(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
	id := match(r, "CUSTUMER_ID", customerID, "bad customer id", "an id like CUST-0A1B2C3D4E5F")
	return emit(ctx, e, Customers, r, loc, id, bson.D{{Key: "date_inscription", Value: r.Date("date_inscription", "02/01/2006")}})
}

// calendar keeps numbers as numbers: annee, mois, jour and trimestre are
// integers (the sheet writes the quarter as T3 or 3), so that each field
// has one type and sorts as a number.
func calendar(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
	d := ExcelDate(r, "date")
	id := ""
	if t, ok := d.(time.Time); ok {
		id = t.Format("2006-01-02")
	}
	return emit(ctx, e, Calendar, r, loc, id, bson.D{{Key: "date", Value: d}, {Key: "annee", Value: r.Int("annee")},
		{Key: "mois", Value: r.Int("mois")}, {Key: "jour", Value: r.Int("Jour")}, {Key: "mois_nom", Value: r.Opt("mois_nom")},
		{Key: "annee_mois", Value: r.Opt("annee_mois")}, {Key: "jour_semaine", Value: r.Opt("jour_semaine")},
		{Key: "trimestre", Value: Quarter(r, "trimestre")}})
}

var quarterText = regexp.MustCompile(`^[TtQq]?([1-4])$`)

// Quarter reads a quarter written T3, Q3 or 3 as the integer 3 (nil when
// empty).
func Quarter(r *ingest.Row, name string) any {
	s := r.Str(name)
	if s == "" {
		return nil
	}
	m := quarterText.FindStringSubmatch(s)
	if m == nil {
		r.Fail(name, s, "bad quarter", "is not a quarter like T3 or 3")
		return nil
	}
	return int32(m[1][0] - '0')
}

// sales carry the product's price (a sale line is one item) and the day.
func (l *Loader) sales(ref *refs) sheetFunc {
	return func(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
		id := r.Str("ID_BDD")
		if id == "" {
			r.Fail("ID_BDD", "", "missing key", "is empty")
		}
		cust := match(r, "CUSTOMER_ID", customerID, "bad customer id", "an id like CUST-0A1B2C3D4E5F")
		emp := match(r, "id_employe", employeeID, "bad employee id", "32 hexadecimal characters")
		ean := EAN(r, "EAN")
		when := ExcelDate(r, "Date achat")
		ticket := match(r, "ID ticket", ticketID, "bad ticket", "a ticket like t_1234")
		price, known := ref.prices[ean]
		if r.Err == nil && !known {
			r.Fail("EAN", ean, "unknown product", "is not in the Produits sheet")
		}
		day := ""
		if t, ok := when.(time.Time); ok {
			day = t.Format("2006-01-02")
		}
		return emit(ctx, e, Sales, r, loc, id, bson.D{{Key: "customer_id", Value: cust}, {Key: "employee_id", Value: emp},
			{Key: "employee_known", Value: ref.employees[emp]}, {Key: "ean", Value: ean}, {Key: "date", Value: when},
			{Key: "day", Value: day}, {Key: "ticket", Value: ticket}, {Key: "prix", Value: price}})
	}
}
