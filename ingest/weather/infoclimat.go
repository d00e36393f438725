package weather

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// ErrNotInfoclimat means a JSON file does not have Infoclimat's shape.
var ErrNotInfoclimat = errors.New("not an Infoclimat export")

// Infoclimat record fields: name in the file, stored name, unit.
var infoFields = []struct{ src, dst string }{
	{"temperature", "temperature_c"}, {"pression", "pressure_hpa"}, {"humidite", "humidity_pct"},
	{"point_de_rosee", "dew_point_c"}, {"visibilite", "visibility_m"}, {"vent_moyen", "wind_kmh"},
	{"vent_rafales", "gust_kmh"}, {"vent_direction", "wind_dir_deg"}, {"pluie_3h", "rain_3h_mm"},
	{"pluie_1h", "rain_1h_mm"}, {"neige_au_sol", "snow_cm"}, {"nebulosite", "cloud_octas"},
	{"temps_omm", "weather_code"},
}

// loadInfoclimat streams one export: the top-level object is read key by
// key and "hourly" station by station, record by record, so memory holds
// one record at a time. "_params" under "hourly" is not a station.
func loadInfoclimat(ctx context.Context, e *ingest.Emitter, path string) error {
	in, err := e.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer in.Close()
	dec := json.NewDecoder(in)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrNotInfoclimat, err)
	}
	sawHourly := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: offset %d: %w", path, dec.InputOffset(), err)
		}
		switch key {
		case "stations":
			err = loadStations(ctx, e, dec, path)
		case "hourly":
			sawHourly = true
			err = loadHourly(ctx, e, dec, path)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fmt.Errorf("%s: offset %d: %w", path, dec.InputOffset(), err)
		}
	}
	if !sawHourly {
		return fmt.Errorf("%s: %w: no \"hourly\" key", path, ErrNotInfoclimat)
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("found %v where %q was expected", t, string(d))
	}
	return nil
}

type infoStation struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Latitude  json.Number     `json:"latitude"`
	Longitude json.Number     `json:"longitude"`
	Elevation json.Number     `json:"elevation"`
	Type      string          `json:"type"`
	License   json.RawMessage `json:"license"`
}

func loadStations(ctx context.Context, e *ingest.Emitter, dec *json.Decoder, path string) error {
	var list []infoStation
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("read stations: %w", err)
	}
	for i, s := range list {
		e.Read(1)
		loc := ingest.Loc{File: path, Sheet: "stations", Row: i + 1, Raw: fmt.Sprintf("%+v", s)}
		lat, err1 := s.Latitude.Float64()
		lon, err2 := s.Longitude.Float64()
		if s.ID == "" || err1 != nil || err2 != nil {
			if err := e.Reject(ctx, Stations, ingest.Rejectf(loc, "bad station", "station %q without id or coordinates", s.ID)); err != nil {
				return err
			}
			continue
		}
		elev, _ := s.Elevation.Float64()
		body := bson.D{{Key: "name", Value: s.Name}, {Key: "source", Value: "infoclimat"}, {Key: "type", Value: s.Type},
			{Key: "latitude", Value: lat}, {Key: "longitude", Value: lon}, {Key: "elevation_m", Value: elev},
			{Key: "location", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{lon, lat}}}},
			{Key: "license", Value: string(s.License)}}
		if err := e.Doc(ctx, Stations, ingest.Doc{ID: s.ID, Body: body, Src: loc}); err != nil {
			return err
		}
	}
	return nil
}

func loadHourly(ctx context.Context, e *ingest.Emitter, dec *json.Decoder, path string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		station, _ := t.(string)
		if station == "_params" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := loadStationRecords(ctx, e, dec, path, station); err != nil {
			return err
		}
	}
	_, err := dec.Token() // closing brace
	return err
}

func loadStationRecords(ctx context.Context, e *ingest.Emitter, dec *json.Decoder, path, station string) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("hourly %q: %w", station, err)
	}
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("hourly %q record %d: truncated file: %w", station, i, err)
			}
			return fmt.Errorf("hourly %q record %d: %w", station, i, err)
		}
		e.Read(1)
		loc := ingest.Loc{File: path, Sheet: "hourly/" + station, Row: i, Raw: string(raw)}
		doc, fe := ConvertInfoclimat(station, raw)
		if fe != nil {
			if err := e.RejectField(ctx, Readings, loc, fe); err != nil {
				return err
			}
			continue
		}
		doc.Src = loc
		if err := e.Doc(ctx, Readings, doc); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// ConvertInfoclimat converts one record: numbers come as strings, missing
// values as null or "".
func ConvertInfoclimat(station string, raw []byte) (ingest.Doc, *ingest.FieldError) {
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		return ingest.Doc{}, &ingest.FieldError{Field: "record", Value: string(raw), Reason: "bad record", Why: "is not a JSON object"}
	}
	if id, _ := rec["id_station"].(string); id != station {
		return ingest.Doc{}, &ingest.FieldError{Field: "id_station", Value: fmt.Sprint(rec["id_station"]), Reason: "station mismatch",
			Why: "differs from the station it is listed under (" + station + ")"}
	}
	dh, _ := rec["dh_utc"].(string)
	t, err := time.ParseInLocation("2006-01-02 15:04:05", dh, time.UTC)
	if err != nil {
		return ingest.Doc{}, &ingest.FieldError{Field: "dh_utc", Value: dh, Reason: "bad date", Why: "is not a time like YYYY-MM-DD hh:mm:ss"}
	}
	when := bson.NewDateTimeFromTime(t)
	body := reading(station, "infoclimat", when, t.Format("2006-01-02"))
	for _, f := range infoFields {
		v, fe := stringNumber(f.src, rec[f.src])
		if fe != nil {
			return ingest.Doc{}, fe
		}
		if v != nil {
			body = append(body, bson.E{Key: f.dst, Value: v})
		}
	}
	return ingest.Doc{ID: readingID(station, when), Body: body}, nil
}

// stringNumber reads "12.4" (or a bare number) as float64; null and "" are
// missing (nil).
func stringNumber(name string, v any) (any, *ingest.FieldError) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case string:
		if x == "" {
			return nil, nil
		}
		if f, ok := ingest.ParseDecimal(x); ok {
			return f, nil
		}
		return nil, &ingest.FieldError{Field: name, Value: x, Reason: "bad number", Why: "is not a number"}
	}
	return nil, &ingest.FieldError{Field: name, Value: fmt.Sprint(v), Reason: "bad number", Why: "is not a number or a string"}
}
