package weather

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// A Weather Underground column: its unit and how it becomes a metric value.
type wuColumn struct {
	col, unit, field string
	convert          func(float64) float64
}

// wuColumns are the columns of an imperial workbook (Weather
// Underground's default), wuMetric those of a metric one.
var wuColumns = []wuColumn{
	{"Temperature", "°F", "temperature_c", fahrenheitToC},
	{"Dew Point", "°F", "dew_point_c", fahrenheitToC},
	{"Humidity", "%", "humidity_pct", same},
	{"Speed", "mph", "wind_kmh", func(v float64) float64 { return ingest.Round(v*1.60934, 2) }},
	{"Gust", "mph", "gust_kmh", func(v float64) float64 { return ingest.Round(v*1.60934, 2) }},
	{"Pressure", "in", "pressure_hpa", func(v float64) float64 { return ingest.Round(v*33.8639, 2) }},
	{"Precip. Rate.", "in", "precip_rate_mmh", func(v float64) float64 { return ingest.Round(v*25.4, 2) }},
	{"Precip. Accum.", "in", "precip_accum_mm", func(v float64) float64 { return ingest.Round(v*25.4, 2) }},
	{"UV", "", "uv", same},
	{"Solar", "w/m²", "solar_wm2", same},
}

var wuMetric = []wuColumn{
	{"Temperature", "°C", "temperature_c", same},
	{"Dew Point", "°C", "dew_point_c", same},
	{"Humidity", "%", "humidity_pct", same},
	{"Speed", "km/h", "wind_kmh", same},
	{"Gust", "km/h", "gust_kmh", same},
	{"Pressure", "hPa", "pressure_hpa", same},
	{"Precip. Rate.", "mm", "precip_rate_mmh", same},
	{"Precip. Accum.", "mm", "precip_accum_mm", same},
	{"UV", "", "uv", same},
	{"Solar", "w/m²", "solar_wm2", same},
}

func fahrenheitToC(f float64) float64 { return ingest.Round((f-32)*5/9, 2) }
func same(v float64) float64          { return v }

// compass maps Weather Underground's wind words and abbreviations to degrees.
var compass = map[string]float64{
	"N": 0, "NNE": 22.5, "NE": 45, "ENE": 67.5, "E": 90, "ESE": 112.5, "SE": 135, "SSE": 157.5,
	"S": 180, "SSW": 202.5, "SW": 225, "WSW": 247.5, "W": 270, "WNW": 292.5, "NW": 315, "NNW": 337.5,
	"NORTH": 0, "EAST": 90, "SOUTH": 180, "WEST": 270,
}

// convertValues reads "56.8 °F" (no-break space before the unit) and keeps
// the source text next to the metric value; units is the workbook's.
func convertValues(r *ingest.Row, units string) bson.D {
	cols := wuColumns
	if units == Metric {
		cols = wuMetric
	}
	var d, src bson.D
	for _, c := range cols {
		text := r.Str(c.col)
		if text == "" {
			continue
		}
		src = append(src, bson.E{Key: c.field, Value: text})
		num, unit, _ := strings.Cut(strings.ReplaceAll(text, "\u00a0", " "), " ")
		if unit != c.unit {
			r.Fail(c.col, text, "bad unit", "does not end with the unit "+c.unit)
			continue
		}
		v, ok := ingest.ParseDecimal(num)
		if !ok {
			r.Fail(c.col, text, "bad number", "is not a number")
			continue
		}
		d = append(d, bson.E{Key: c.field, Value: c.convert(v)})
	}
	if w := r.Str("Wind"); w != "" {
		deg, ok := compass[strings.ToUpper(w)]
		if !ok {
			r.Fail("Wind", w, "bad wind direction", "is not a compass point")
		}
		d = append(d, bson.E{Key: "wind_dir", Value: w}, bson.E{Key: "wind_dir_deg", Value: deg})
	}
	return append(d, bson.E{Key: "source_values", Value: src})
}
