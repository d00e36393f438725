// Package metadata is the <collection>.metadata.json file of a backup, in
// mongodump's shape (canonical Extended JSON v2) so mongorestore reads it:
// the collection's options, its index specifications (including partial
// and TTL options) and, for a view, its viewOn and pipeline.
package metadata

import (
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrInvalid means a metadata file does not parse or lacks required fields.
var ErrInvalid = errors.New("invalid collection metadata")

// Metadata describes one collection or view.
type Metadata struct {
	Options        bson.D   `bson:"options"`
	Indexes        []bson.D `bson:"indexes"`
	UUID           string   `bson:"uuid,omitempty"`
	CollectionName string   `bson:"collectionName"`
	Type           string   `bson:"type"` // collection, view
}

// Marshal writes canonical Extended JSON, like mongodump.
func (m *Metadata) Marshal() ([]byte, error) {
	if m.Options == nil {
		m.Options = bson.D{}
	}
	if m.Indexes == nil {
		m.Indexes = []bson.D{}
	}
	b, err := bson.MarshalExtJSON(m, true, false)
	if err != nil {
		return nil, fmt.Errorf("encode metadata of %s: %w", m.CollectionName, err)
	}
	return b, nil
}

// Parse reads a metadata file.
func Parse(b []byte) (*Metadata, error) {
	var m Metadata
	if err := bson.UnmarshalExtJSON(b, true, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if m.CollectionName == "" {
		return nil, fmt.Errorf("%w: no collectionName", ErrInvalid)
	}
	switch m.Type {
	case "", "collection", "view":
	default:
		return nil, fmt.Errorf("%w: collection %s: type %q", ErrInvalid, m.CollectionName, m.Type)
	}
	for i, ix := range m.Indexes {
		if _, ok := lookup(ix, "key").(bson.D); !ok {
			return nil, fmt.Errorf("%w: collection %s: index %d has no key document", ErrInvalid, m.CollectionName, i)
		}
		if name, ok := lookup(ix, "name").(string); !ok || name == "" {
			return nil, fmt.Errorf("%w: collection %s: index %d has no name", ErrInvalid, m.CollectionName, i)
		}
	}
	return &m, nil
}

func lookup(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// IsView reports whether the metadata describes a view.
func (m *Metadata) IsView() bool { return m.Type == "view" }

// IndexName returns an index specification's name.
func IndexName(ix bson.D) string {
	s, _ := lookup(ix, "name").(string)
	return s
}
