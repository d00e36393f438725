package edstats

import (
	"context"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

var dataKey = []string{"Country Name", "Country Code", "Indicator Name", "Indicator Code"}

// data loads EdStatsData.csv: one document per (country, indicator) with
// only the years that have a value, as an array of {year, value} (so that
// fill rates per year are one $unwind and one $group); all-empty rows are
// skipped, not rejected. The year columns are read from the header and
// recorded in edstats_meta.
func (l *Loader) data(ctx context.Context, e *ingest.Emitter, file string, aggregates map[string]bool) error {
	f := ingest.CSVFile{Path: file, Required: append(dataKey, "1970", "2017"), Coll: Data}
	var years []int
	return e.EachCSV(ctx, f, func(h *ingest.Header, rec ingest.CSVRecord, loc ingest.Loc) error {
		if years == nil {
			years = yearColumns(h)
			if err := e.Doc(ctx, Meta, metaDoc(years, loc)); err != nil {
				return err
			}
		}
		doc, skip, fe := convertData(h, rec.Fields, years, aggregates)
		switch {
		case fe != nil:
			return e.RejectField(ctx, Data, loc, fe)
		case skip:
			e.Skip(Data, 1)
			return nil
		}
		doc.Src = loc
		return e.Doc(ctx, Data, doc)
	})
}

func yearColumns(h *ingest.Header) []int {
	var ys []int
	for _, n := range h.Names {
		if y, err := strconv.Atoi(n); err == nil && y > 1900 && y < 2200 {
			ys = append(ys, y)
		}
	}
	return ys
}

func metaDoc(years []int, loc ingest.Loc) ingest.Doc {
	a := make(bson.A, len(years))
	for i, y := range years {
		a[i] = int32(y)
	}
	return ingest.Doc{ID: "data", Body: bson.D{{Key: "years", Value: a}}, Src: loc}
}

// convertData returns the document, or skip for a row without any value.
func convertData(h *ingest.Header, fields []string, years []int, aggregates map[string]bool) (ingest.Doc, bool, *ingest.FieldError) {
	r := &ingest.Row{H: h, Fields: fields}
	country, indicator := r.Str("Country Code"), r.Str("Indicator Code")
	agg, known := aggregates[country]
	if !known {
		return ingest.Doc{}, false, &ingest.FieldError{Field: "Country Code", Value: country, Reason: "unknown country",
			Why: "is not in EdStatsCountry.csv"}
	}
	if indicator == "" {
		return ingest.Doc{}, false, &ingest.FieldError{Field: "Indicator Code", Reason: "missing key", Why: "is empty"}
	}
	vals := bson.A{}
	for _, y := range years {
		name := strconv.Itoa(y)
		if v := r.Float(name); v != nil {
			vals = append(vals, bson.D{{Key: "year", Value: int32(y)}, {Key: "value", Value: v}})
		}
	}
	if r.Err != nil {
		return ingest.Doc{}, false, r.Err
	}
	if len(vals) == 0 {
		return ingest.Doc{}, true, nil
	}
	body := bson.D{
		{Key: "country_code", Value: country}, {Key: "country_name", Value: r.Str("Country Name")},
		{Key: "indicator_code", Value: indicator}, {Key: "indicator_name", Value: r.Str("Indicator Name")},
		{Key: "aggregate", Value: agg}, {Key: "n_values", Value: int32(len(vals))}, {Key: "values", Value: vals},
	}
	return ingest.Doc{ID: country + "/" + indicator, Body: body}, false, nil
}
