// Package airbnb loads Inside Airbnb's detailed listings.csv (Paris, Lyon):
// one document per listing keyed by (city, id), with a GeoJSON location,
// and ships the dataset's canned analyses as probes.
package airbnb

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// Collection is where listings go.
const Collection = "listings"

// Cities are the scrapes the association loads.
func Cities() []string { return []string{"paris", "lyon"} }

// required are the columns a listings file must have (both the 2023-2024
// and the 2025 schema have them; columns are found by name, not position).
var required = []string{"id", "last_scraped", "name", "host_id", "host_name", "host_is_superhost",
	"neighbourhood_cleansed", "latitude", "longitude", "room_type", "price", "availability_30",
	"number_of_reviews", "instant_bookable", "calculated_host_listings_count"}

// Loader loads one city's listings file.
type Loader struct {
	City string
	File string
}

// New checks the city and returns a loader.
func New(city, file string) (*Loader, error) {
	city = strings.ToLower(strings.TrimSpace(city))
	for _, c := range Cities() {
		if c == city {
			return &Loader{City: city, File: file}, nil
		}
	}
	return nil, fmt.Errorf("unknown city %q: use %s", city, strings.Join(Cities(), " or "))
}

// Dataset implements ingest.Loader.
func (l *Loader) Dataset() string { return "airbnb" }

// Files implements ingest.Loader.
func (l *Loader) Files() []string { return []string{l.File} }

// Parameters implements ingest.Parameterized (the audit record).
func (l *Loader) Parameters() map[string]any { return map[string]any{"city": l.City} }

// Collections implements ingest.Loader.
func (l *Loader) Collections() []ingest.Collection {
	return []ingest.Collection{{Name: Collection, Indexes: []ingest.Index{
		{Name: "city_room_type", Keys: bson.D{{Key: "city", Value: 1}, {Key: "room_type", Value: 1}}},
		{Name: "city_neighbourhood", Keys: bson.D{{Key: "city", Value: 1}, {Key: "neighbourhood_cleansed", Value: 1}}},
		{Name: "city_host", Keys: bson.D{{Key: "city", Value: 1}, {Key: "host_id", Value: 1}}},
		{Name: "city_reviews", Keys: bson.D{{Key: "city", Value: 1}, {Key: "number_of_reviews", Value: -1}}},
		{Name: "location_2dsphere", Keys: bson.D{{Key: "location", Value: "2dsphere"}}, Geo: true},
	}}}
}

// Load implements ingest.Loader.
func (l *Loader) Load(ctx context.Context, e *ingest.Emitter) error {
	f := ingest.CSVFile{Path: l.File, Required: required, Coll: Collection}
	return e.EachCSV(ctx, f, func(h *ingest.Header, rec ingest.CSVRecord, loc ingest.Loc) error {
		doc, fe := Convert(l.City, h, rec.Fields)
		if fe != nil {
			return e.RejectField(ctx, Collection, loc, fe)
		}
		doc.Src = loc
		return e.Doc(ctx, Collection, doc)
	})
}
