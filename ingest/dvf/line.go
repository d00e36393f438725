package dvf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// TokenPrice: below it a sale's price is symbolic (DVF has "1,00" sales)
// and the mutation is kept out of price-per-m² figures.
const TokenPrice = 1000.0

// Line is one typed DVF line.
type Line struct {
	Key         string // mutation key: hash of date, disposition, value, commune
	Date        time.Time
	Disposition int32
	Nature      string
	Value       any // float64 or nil
	Dept        string
	Commune     string // 3-digit code
	INSEE       string
	Postal      any // 5-digit string or nil
	Name        string
	Region      string
	Body        bson.D // the line's own fields (parcel, lots, local)
	Local       local
}

type local struct {
	code    string
	kind    string
	surface float64
	hasSurf bool
	rooms   int32
	lot1    string
}

// ParseLine converts one record; the error names the field.
func ParseLine(h *ingest.Header, fields []string, regions map[string]string) (Line, *ingest.FieldError) {
	r := &ingest.Row{H: h, Fields: fields}
	var ln Line
	date := r.Str("Date mutation")
	t, err := time.ParseInLocation("02/01/2006", date, time.UTC)
	if err != nil {
		return ln, &ingest.FieldError{Field: "Date mutation", Value: date, Reason: "bad date", Why: "is not a date like DD/MM/YYYY"}
	}
	ln.Date = t
	disp := r.Int("No disposition")
	ln.Disposition, _ = disp.(int32)
	ln.Nature = r.Str("Nature mutation")
	ln.Value = r.Float("Valeur fonciere")
	ln.Dept = strings.ToUpper(r.Str("Code departement"))
	if len(ln.Dept) == 1 {
		ln.Dept = "0" + ln.Dept
	}
	ln.Region = regions[ln.Dept]
	if ln.Region == "" {
		r.Fail("Code departement", ln.Dept, "bad department", "is not a French department code")
	}
	ln.Commune, ln.INSEE = communeCodes(r, ln.Dept)
	ln.Postal = postal(r)
	ln.Name = r.Str("Commune")
	ln.Body, ln.Local = lineBody(r)
	if r.Err != nil {
		return Line{}, r.Err
	}
	ln.Key = ingest.KeyHash(date, strconv.Itoa(int(ln.Disposition)), r.Str("Valeur fonciere"), ln.INSEE, ln.Nature)
	return ln, nil
}

// communeCodes pads "Code commune" to 3 digits and builds the INSEE code
// (department + commune; overseas "971" + "101" gives "97101").
func communeCodes(r *ingest.Row, dept string) (string, string) {
	s := r.Str("Code commune")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 999 {
		r.Fail("Code commune", s, "bad commune", "is not a commune number")
		return "", ""
	}
	c := fmt.Sprintf("%03d", n)
	if len(dept) == 3 {
		return c, dept[:2] + c
	}
	return c, dept + c
}

// postal restores the leading zero of "Code postal" ("1000" is 01000).
func postal(r *ingest.Row) any {
	s := r.Str("Code postal")
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 99999 {
		r.Fail("Code postal", s, "bad postal code", "is not a postal code")
		return nil
	}
	return fmt.Sprintf("%05d", n)
}

func lineBody(r *ingest.Row) (bson.D, local) {
	var lots bson.A
	for i, name := range []string{"1er", "2eme", "3eme", "4eme", "5eme"} {
		lot := r.Str(name + " lot")
		carrez := r.Float("Surface Carrez du " + name + " lot")
		if lot != "" || carrez != nil {
			lots = append(lots, bson.D{{Key: "rang", Value: int32(i + 1)}, {Key: "numero", Value: lot}, {Key: "surface_carrez", Value: carrez}})
		}
	}
	surf := r.Float("Surface reelle bati")
	rooms := r.Int("Nombre pieces principales")
	l := local{code: r.Str("Code type local"), kind: r.Str("Type local"), lot1: r.Str("1er lot")}
	l.surface, l.hasSurf = surf.(float64)
	l.rooms, _ = rooms.(int32)
	return bson.D{
		{Key: "no_voie", Value: r.Opt("No voie")}, {Key: "btq", Value: r.Opt("B/T/Q")},
		{Key: "type_voie", Value: r.Opt("Type de voie")}, {Key: "code_voie", Value: r.Opt("Code voie")},
		{Key: "voie", Value: r.Opt("Voie")},
		{Key: "prefixe_section", Value: r.Opt("Prefixe de section")}, {Key: "section", Value: r.Opt("Section")},
		{Key: "no_plan", Value: r.Opt("No plan")}, {Key: "no_volume", Value: r.Opt("No Volume")},
		{Key: "lots", Value: lots}, {Key: "nombre_lots", Value: r.Int("Nombre de lots")},
		{Key: "code_type_local", Value: r.Opt("Code type local")}, {Key: "type_local", Value: r.Opt("Type local")},
		{Key: "identifiant_local", Value: r.Opt("Identifiant local")},
		{Key: "surface_reelle_bati", Value: surf}, {Key: "nombre_pieces_principales", Value: rooms},
		{Key: "nature_culture", Value: r.Opt("Nature culture")},
		{Key: "nature_culture_speciale", Value: r.Opt("Nature culture speciale")},
		{Key: "surface_terrain", Value: r.Float("Surface terrain")},
	}, l
}
