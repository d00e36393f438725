// Package weather loads Hauts-de-France weather readings: Infoclimat JSON
// exports (numbers as strings, a "_params" key among the stations) and
// Weather Underground workbooks (one sheet per day named DDMMYY, values
// with units, local time). One document per (station, UTC time).
package weather

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// Collections.
const (
	Readings = "weather_readings"
	Stations = "weather_stations"
)

// Workbook is one Weather Underground file and its station.
type Workbook struct {
	File    string
	Station WUStation
}

// Loader loads Infoclimat files and Weather Underground workbooks.
type Loader struct {
	Infoclimat []string
	Workbooks  []Workbook
}

// Dataset implements ingest.Loader.
func (l *Loader) Dataset() string { return "weather" }

// Files implements ingest.Loader.
func (l *Loader) Files() []string {
	files := append([]string{}, l.Infoclimat...)
	for _, w := range l.Workbooks {
		files = append(files, w.File)
	}
	return files
}

// Collections implements ingest.Loader.
func (l *Loader) Collections() []ingest.Collection {
	return []ingest.Collection{
		{Name: Readings, Indexes: []ingest.Index{
			{Name: "station_time", Keys: bson.D{{Key: "station", Value: 1}, {Key: "time", Value: -1}}},
			{Name: "station_day", Keys: bson.D{{Key: "station", Value: 1}, {Key: "day", Value: 1}}},
		}},
		{Name: Stations, Indexes: []ingest.Index{
			{Name: "location_2dsphere", Keys: bson.D{{Key: "location", Value: "2dsphere"}}, Geo: true},
		}},
	}
}

// Load implements ingest.Loader.
func (l *Loader) Load(ctx context.Context, e *ingest.Emitter) error {
	for _, f := range l.Infoclimat {
		if err := loadInfoclimat(ctx, e, f); err != nil {
			return err
		}
	}
	for _, w := range l.Workbooks {
		if err := loadWorkbook(ctx, e, w); err != nil {
			return err
		}
	}
	return nil
}

// reading builds the common part of a reading document.
func reading(station, source string, t bson.DateTime, day string) bson.D {
	return bson.D{{Key: "station", Value: station}, {Key: "source", Value: source},
		{Key: "time", Value: t}, {Key: "day", Value: day}}
}

func readingID(station string, t bson.DateTime) string {
	return station + "/" + t.Time().UTC().Format("2006-01-02T15:04:05Z")
}
