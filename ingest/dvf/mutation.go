package dvf

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

type mutation struct {
	key   string
	src   ingest.Loc
	lines []Line
}

// Kinds of main property of a mutation (type_principal).
const (
	Appartement = "Appartement"
	Maison      = "Maison"
	Several     = "Plusieurs logements"
	Commercial  = "Local industriel. commercial ou assimilé"
	Dependance  = "Dépendance"
	Terrain     = "Terrain"
)

// doc builds the mutation document: the fields common to its lines, the
// lines themselves (each with its content hash), and summaries computed
// once so that probes need no $unwind: the distinct locals, the main
// type, the built surface and the price per m² (single dwelling only; a
// mutation's value repeats on every line, so lines are never summed).
func (m *mutation) doc() ingest.Doc {
	first := m.lines[0]
	lines := make(bson.A, len(m.lines))
	for i, ln := range m.lines {
		h, _ := ingest.ContentHash(ln.Body)
		lines[i] = append(bson.D{{Key: "h", Value: h}}, ln.Body...)
	}
	s := summarize(m.lines)
	body := bson.D{
		{Key: "date", Value: first.Date}, {Key: "annee", Value: int32(first.Date.Year())},
		{Key: "trimestre", Value: quarter(first.Date)}, {Key: "no_disposition", Value: first.Disposition},
		{Key: "nature_mutation", Value: first.Nature}, {Key: "valeur_fonciere", Value: first.Value},
		{Key: "code_departement", Value: first.Dept}, {Key: "region", Value: first.Region},
		{Key: "code_commune", Value: first.Commune}, {Key: "code_insee", Value: first.INSEE},
		{Key: "code_postal", Value: first.Postal}, {Key: "commune", Value: first.Name},
		{Key: "nb_lignes", Value: int32(len(m.lines))},
		{Key: "nb_appartements", Value: s.apartments}, {Key: "nb_maisons", Value: s.houses},
		{Key: "nb_dependances", Value: s.outbuildings}, {Key: "nb_locaux_commerciaux", Value: s.commercial},
		{Key: "type_principal", Value: s.main}, {Key: "surface_bati", Value: s.surface},
		{Key: "pieces", Value: s.rooms}, {Key: "prix_m2", Value: pricePerM2(first, s)},
		{Key: "lignes", Value: lines},
	}
	return ingest.Doc{ID: m.key, Body: body, Src: m.src}
}

type summary struct {
	apartments, houses, outbuildings, commercial int32
	main                                         string
	surface                                      any
	rooms                                        any
}

// summarize counts distinct locals: a local appears on one line per parcel
// of the mutation, so locals are told apart by type, surface, rooms and lot.
func summarize(lines []Line) summary {
	var s summary
	seen := map[local]bool{}
	var dwelling local
	for _, ln := range lines {
		l := ln.Local
		if l.code == "" || seen[l] {
			continue
		}
		seen[l] = true
		switch l.code {
		case "1":
			s.houses++
			dwelling = l
		case "2":
			s.apartments++
			dwelling = l
		case "3":
			s.outbuildings++
		case "4":
			s.commercial++
		}
	}
	switch n := s.apartments + s.houses; {
	case n == 1:
		s.main = dwelling.kind
		if dwelling.hasSurf && dwelling.surface > 0 {
			s.surface = dwelling.surface
		}
		s.rooms = dwelling.rooms
	case n > 1:
		s.main = Several
	case s.commercial > 0:
		s.main = Commercial
	case s.outbuildings > 0:
		s.main = Dependance
	default:
		s.main = Terrain
	}
	return s
}

func pricePerM2(first Line, s summary) any {
	v, ok := first.Value.(float64)
	surf, ok2 := s.surface.(float64)
	if !ok || !ok2 || !isSale(first.Nature) || v < TokenPrice || surf <= 0 {
		return nil
	}
	return ingest.Round(v/surf, 2)
}

func quarter(t time.Time) string { return fmt.Sprintf("%d-T%d", t.Year(), (int(t.Month())+2)/3) }

func isSale(nature string) bool {
	for _, n := range saleNatures {
		if n == nature {
			return true
		}
	}
	return false
}
