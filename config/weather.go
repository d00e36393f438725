package config

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// WeatherStation is a Weather Underground personal station, whose
// workbooks `citadel ingest weather --wunderground FILE --station ID`
// loads: its time zone turns the sheets' local times into UTC, its units
// say how the values are written. Without ingest.weather_stations citadel
// knows ILAMAD25 (La Madeleine) and IICHTE19 (Ichtegem).
type WeatherStation struct {
	ID        string   `yaml:"id"`
	Name      string   `yaml:"name"`
	Country   string   `yaml:"country"` // ISO 3166 alpha-2: FR, BE
	Latitude  *float64 `yaml:"latitude"`
	Longitude *float64 `yaml:"longitude"`
	Elevation *float64 `yaml:"elevation_m"`
	TimeZone  string   `yaml:"time_zone"` // IANA name: Europe/Paris
	Units     string   `yaml:"units"`     // imperial (°F, mph, inHg, in; the default) or metric (°C, km/h, hPa, mm)
}

// Units of a Weather Underground export.
const (
	UnitsImperial = "imperial"
	UnitsMetric   = "metric"
)

var (
	stationID   = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
)

func (v *validator) weatherStations() {
	seen := map[string]int{}
	for i, s := range v.c.Ingest.WeatherStations {
		p := fmt.Sprintf("ingest.weather_stations[%d]", i)
		switch {
		case s.ID == "":
			v.ps.at(p+".id", "write the station's Weather Underground id, like ILAMAD25", "id is missing")
		case !stationID.MatchString(s.ID):
			v.ps.at(p+".id", "Weather Underground ids are letters and digits, like ILAMAD25", "invalid station id %q", s.ID)
		default:
			id := strings.ToUpper(s.ID)
			if first, dup := seen[id]; dup {
				v.ps.at(p+".id", "give each station once", "duplicate station id %q (first at ingest.weather_stations[%d])", s.ID, first)
			} else {
				seen[id] = i
			}
		}
		if strings.TrimSpace(s.Name) == "" {
			v.ps.at(p+".name", "", "name is missing")
		}
		if s.Country != "" && !countryCode.MatchString(s.Country) {
			v.ps.at(p+".country", "write an ISO 3166 two-letter code such as FR or BE", "invalid country %q", s.Country)
		}
		v.stationPlace(p, s)
		switch {
		case s.TimeZone == "":
			v.ps.at(p+".time_zone", "the sheets' times are local: name the station's IANA time zone, such as Europe/Paris", "time_zone is missing")
		default:
			if _, err := time.LoadLocation(s.TimeZone); err != nil {
				v.ps.at(p+".time_zone", "use an IANA name such as Europe/Paris", "unknown time zone %q", s.TimeZone)
			}
		}
		if s.Units != "" && s.Units != UnitsImperial && s.Units != UnitsMetric {
			v.ps.at(p+".units", "use imperial (°F, mph, inHg, in) or metric (°C, km/h, hPa, mm)", "unknown units %q", s.Units)
		}
	}
}

func (v *validator) stationPlace(p string, s WeatherStation) {
	if (s.Latitude == nil) != (s.Longitude == nil) {
		v.ps.at(p, "give both latitude and longitude, or neither", "only one of latitude and longitude is set")
	}
	if s.Latitude != nil && (*s.Latitude < -90 || *s.Latitude > 90) {
		v.ps.at(p+".latitude", "degrees north, between -90 and 90", "latitude %v out of range", *s.Latitude)
	}
	if s.Longitude != nil && (*s.Longitude < -180 || *s.Longitude > 180) {
		v.ps.at(p+".longitude", "degrees east, between -180 and 180", "longitude %v out of range", *s.Longitude)
	}
	if s.Elevation != nil && (*s.Elevation < -500 || *s.Elevation > 9000 || math.IsNaN(*s.Elevation)) {
		v.ps.at(p+".elevation_m", "metres above sea level", "elevation_m %v out of range", *s.Elevation)
	}
}
