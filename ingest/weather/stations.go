package weather

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Units of a Weather Underground workbook: how its values are written.
const (
	Imperial = "imperial" // °F, mph, inHg, in (the default)
	Metric   = "metric"   // °C, km/h, hPa, mm
)

// WUStation is a Weather Underground personal station: its time zone
// converts the sheets' local times to UTC, its units say how the values
// are written. Latitude, longitude and elevation are optional.
type WUStation struct {
	ID, Name, Country, TZ string
	Latitude, Longitude   *float64
	Elevation             *float64 // metres
	Units                 string   // Imperial ("" too) or Metric
}

// StationTable is the stations workbooks can belong to, by upper-case id.
type StationTable map[string]WUStation

// KnownWUStations are the personal stations the association follows, the
// table used when the config names none (ingest.weather_stations).
func KnownWUStations() StationTable {
	return StationTable{
		"ILAMAD25": {ID: "ILAMAD25", Name: "La Madeleine", Country: "FR", TZ: "Europe/Paris", Units: Imperial},
		"IICHTE19": {ID: "IICHTE19", Name: "Ichtegem", Country: "BE", TZ: "Europe/Brussels", Units: Imperial},
	}
}

// NewStations builds a station table from a list (the config's), checking what
// loading needs: an id, once; a time zone that loads; known units.
func NewStations(list []WUStation) (StationTable, error) {
	out := StationTable{}
	for i, s := range list {
		id := strings.ToUpper(strings.TrimSpace(s.ID))
		if id == "" {
			return nil, fmt.Errorf("weather station %d: no id", i+1)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("weather station %s: listed twice", id)
		}
		if _, err := time.LoadLocation(s.TZ); err != nil || s.TZ == "" {
			return nil, fmt.Errorf("weather station %s: time zone %q does not load: name an IANA zone such as Europe/Paris", id, s.TZ)
		}
		switch s.Units {
		case "":
			s.Units = Imperial
		case Imperial, Metric:
		default:
			return nil, fmt.Errorf("weather station %s: units %q: use %s or %s", id, s.Units, Imperial, Metric)
		}
		s.ID = id
		out[id] = s
	}
	return out, nil
}

// Workbook pairs a workbook with one of the stations.
func (s StationTable) Workbook(file, station string) (Workbook, error) {
	st, ok := s[strings.ToUpper(strings.TrimSpace(station))]
	if !ok {
		known := make([]string, 0, len(s))
		for id := range s {
			known = append(known, id)
		}
		sort.Strings(known)
		return Workbook{}, fmt.Errorf("unknown Weather Underground station %q: known stations are %s (a new one goes in the config's ingest.weather_stations)",
			station, strings.Join(known, ", "))
	}
	return Workbook{File: file, Station: st}, nil
}

// NewWorkbook pairs a workbook with one of the known stations
// (KnownWUStations).
func NewWorkbook(file, station string) (Workbook, error) {
	return KnownWUStations().Workbook(file, station)
}

// doc is the station's document in weather_stations.
func (s WUStation) doc() bson.D {
	units := s.Units
	if units == "" {
		units = Imperial
	}
	d := bson.D{{Key: "name", Value: s.Name}, {Key: "source", Value: "wunderground"}, {Key: "type", Value: "personal"},
		{Key: "country", Value: optional(s.Country)}, {Key: "time_zone", Value: s.TZ}, {Key: "units", Value: units}}
	if s.Latitude != nil && s.Longitude != nil {
		d = append(d, bson.E{Key: "latitude", Value: *s.Latitude}, bson.E{Key: "longitude", Value: *s.Longitude},
			bson.E{Key: "location", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{*s.Longitude, *s.Latitude}}}})
	}
	if s.Elevation != nil {
		d = append(d, bson.E{Key: "elevation_m", Value: *s.Elevation})
	}
	return d
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
