// Package dvf loads DVF real-estate transactions (valeursfoncieres-YYYY.txt):
// '|'-separated lines, one per parcel, lot or local, grouped into one
// document per mutation with its lines nested, and ships the dataset's
// canned analyses as probes.
package dvf

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// Collection is where mutations go.
const Collection = "mutations"

// required are the columns a DVF file must have (the first column, "Code
// service CH" before 2022 and "Identifiant de document" since, is not used).
var required = []string{"No disposition", "Date mutation", "Nature mutation", "Valeur fonciere", "No voie",
	"B/T/Q", "Type de voie", "Code voie", "Voie", "Code postal", "Commune", "Code departement", "Code commune",
	"Prefixe de section", "Section", "No plan", "1er lot", "Surface Carrez du 1er lot", "Nombre de lots",
	"Code type local", "Type local", "Surface reelle bati", "Nombre pieces principales", "Nature culture",
	"Surface terrain"}

//go:embed departements.csv
var departementsCSV string

// Regions maps INSEE department codes ("01", "2A", "971") to region names.
func Regions() map[string]string {
	recs, err := csv.NewReader(strings.NewReader(departementsCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("embedded departements.csv: %v", err)) // a build-time asset
	}
	m := make(map[string]string, len(recs))
	for _, r := range recs[1:] {
		m[r[0]] = r[1]
	}
	return m
}

// Loader loads DVF files.
type Loader struct {
	Paths   []string
	regions map[string]string
}

// New returns a loader of the given files.
func New(paths ...string) *Loader { return &Loader{Paths: paths, regions: Regions()} }

// Dataset implements ingest.Loader.
func (l *Loader) Dataset() string { return "dvf" }

// Files implements ingest.Loader.
func (l *Loader) Files() []string { return l.Paths }

// Collections implements ingest.Loader.
func (l *Loader) Collections() []ingest.Collection {
	return []ingest.Collection{{Name: Collection, Indexes: []ingest.Index{
		{Name: "date", Keys: bson.D{{Key: "date", Value: 1}}},
		{Name: "departement_type", Keys: bson.D{{Key: "code_departement", Value: 1}, {Key: "type_principal", Value: 1}}},
		{Name: "region_type", Keys: bson.D{{Key: "region", Value: 1}, {Key: "type_principal", Value: 1}}},
		{Name: "trimestre_commune", Keys: bson.D{{Key: "trimestre", Value: 1}, {Key: "code_insee", Value: 1}}},
	}}}
}

// Load implements ingest.Loader: lines of one mutation are consecutive in
// the files, so a mutation is emitted when the next line's key differs.
// Memory holds one mutation at a time.
func (l *Loader) Load(ctx context.Context, e *ingest.Emitter) error {
	for _, p := range l.Paths {
		g := &grouper{regions: l.regions}
		f := ingest.CSVFile{Path: p, Opt: ingest.CSVOptions{Comma: '|', NoQuotes: true}, Required: required,
			Coll: Collection, Latin1: true}
		err := e.EachCSV(ctx, f, func(h *ingest.Header, rec ingest.CSVRecord, loc ingest.Loc) error {
			ln, fe := ParseLine(h, rec.Fields, l.regions)
			if fe != nil {
				return e.RejectField(ctx, Collection, loc, fe)
			}
			if done := g.add(ln, loc); done != nil {
				return e.Doc(ctx, Collection, done.doc())
			}
			return nil
		})
		if err != nil {
			return err
		}
		if g.cur != nil {
			if err := e.Doc(ctx, Collection, g.cur.doc()); err != nil {
				return err
			}
		}
	}
	return nil
}

// grouper accumulates consecutive lines of one mutation.
type grouper struct {
	regions map[string]string
	cur     *mutation
}

// add appends a line and returns the previous mutation when this line
// starts a new one.
func (g *grouper) add(ln Line, loc ingest.Loc) *mutation {
	if g.cur != nil && g.cur.key == ln.Key {
		g.cur.lines = append(g.cur.lines, ln)
		return nil
	}
	done := g.cur
	g.cur = &mutation{key: ln.Key, src: loc, lines: []Line{ln}}
	return done
}
