package dictionary

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Spec is one dataset's data file (fields.yaml in the dataset's package):
// what each collection holds and what each field means. It is data, not
// code, so that a data owner can read and correct it without Go.
type Spec struct {
	Dataset     string                     `yaml:"dataset"`
	Collections map[string]*CollectionSpec `yaml:"collections"`
	// File names the data file in messages ("ingest/airbnb/fields.yaml").
	File string `yaml:"-"`
}

// CollectionSpec describes one collection.
type CollectionSpec struct {
	// Document says what one document is ("one listing of one city's scrape").
	Document string `yaml:"document"`
	// Key are the fields that identify a record in the source (the natural
	// key _id is built from): `citadel quality` counts the documents that
	// share them.
	Key []string `yaml:"key"`
	// Required are the fields a data owner expects in every record:
	// `citadel quality` checks their fill rate.
	Required []string `yaml:"required"`
	// Freshness is the date (or year) field that dates a record.
	Freshness string `yaml:"freshness"`
	// Fields by path: "price", "location.coordinates[]", "lignes[].voie".
	Fields map[string]FieldSpec `yaml:"fields"`
}

// FieldSpec is one field path's meaning.
type FieldSpec struct {
	Description string `yaml:"description"`
	Unit        string `yaml:"unit"`
	// Source is the source column or JSON key the field comes from, or how
	// the loader computes it.
	Source string `yaml:"source"`
	// Personal marks personal data (pseudonymised by default): the
	// dictionary never shows an example of it.
	Personal bool `yaml:"personal"`
}

// ParseSpec reads a data file; file names it in errors. Unknown keys are
// errors (a misspelled "descripton" would silently drop a description),
// and every path named as key, required or freshness must be described.
func ParseSpec(file string, data []byte) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		return nil, fmt.Errorf("read data dictionary %s: %s", file, oneLine(err))
	}
	s.File = file
	if s.Dataset == "" {
		return nil, fmt.Errorf("read data dictionary %s: no dataset name (dataset: NAME)", file)
	}
	for _, name := range s.CollectionNames() {
		c := s.Collections[name]
		if c == nil {
			return nil, fmt.Errorf("read data dictionary %s: collection %s is empty", file, name)
		}
		named := append(append(append([]string{}, c.Key...), c.Required...), c.Freshness)
		for _, p := range named {
			if _, ok := c.Fields[p]; p != "" && !ok {
				return nil, fmt.Errorf("read data dictionary %s: collection %s names field %q (key, required or freshness) that has no description", file, name, p)
			}
		}
	}
	return &s, nil
}

// CollectionNames are the described collections, sorted.
func (s *Spec) CollectionNames() []string {
	names := make([]string, 0, len(s.Collections))
	for n := range s.Collections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Collection returns a collection's description (an empty one when the
// data file does not describe it).
func (s *Spec) Collection(name string) *CollectionSpec {
	if s != nil {
		if c := s.Collections[name]; c != nil {
			return c
		}
	}
	return &CollectionSpec{}
}

// oneLine keeps the first line of goccy/go-yaml's error, which follows it
// with an excerpt of the file.
func oneLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return string(bytes.TrimSpace([]byte(msg)))
}
