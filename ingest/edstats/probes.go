package edstats

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest"
)

// Probes are the canned analyses of datasets.md. Fill rates divide counts of
// values by the cells of the full table (countries × years, countries ×
// indicators); one $sum per $group, divisions here (FerretDB 1.24).
//
// Speed (issue 16): each question is one pass over edstats_data (plus
// counts of the small countries and series collections), and stays
// server-side: its groupings have one key with a few hundred groups
// (indicators, countries, years), which FerretDB's $group handles at the
// cost of the pass (its $group compares each document with every group:
// fine for hundreds, quadratic trouble for tens of thousands). Measured,
// a projected Scan computed in Go was slower here (sending every values
// array cost FerretDB more than its $unwind).
//
// Where the server is the limit: FerretDB sends only a filter on _id to
// SQLite, so every query on edstats_data, even top-countries' filter on
// one indicator, reads and decodes every data document from JSON with its
// values. One pass over the benchmark's 57,600 data documents takes it
// 15 to 20 s on the 2-core test bed (BenchmarkProbes), so no question can
// meet 10 s there; on MongoDB top-countries uses the indicator_aggregate
// index and the others are one collection scan.
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "fill-rate-indicator", Question: "fill rate per indicator (values / (countries × years))", Run: ingest.Takes(fillPerIndicator)},
		{Name: "fill-rate-year", Question: "fill rate per year (values / (countries × indicators))", Run: ingest.Takes(fillPerYear)},
		{Name: "most-complete-countries", Question: "the 10 countries (not aggregates) with the most complete indicators", Run: ingest.Takes(mostComplete)},
		{Name: "top-countries", Question: "top 10 countries (not aggregates) for indicator= (SE.PRM.ENRR) and year= (2015)", Run: ingest.Takes(topCountries,
			ingest.Arg{Name: "indicator", Form: "an indicator code like SE.PRM.ENRR", Default: "SE.PRM.ENRR"},
			ingest.Arg{Name: "year", Form: "a year like 2015", Default: "2015", Valid: isYear})},
	}
}

func isYear(s string) bool {
	y, err := strconv.Atoi(s)
	return err == nil && y >= 1900 && y < 2200
}

type sizes struct{ countries, series, years float64 }

func tableSizes(ctx context.Context, db *mongo.Database) (sizes, error) {
	var s sizes
	nc, err := db.Collection(Countries).CountDocuments(ctx, bson.D{})
	if err != nil {
		return s, fmt.Errorf("count countries: %w", err)
	}
	ns, err := db.Collection(Series).CountDocuments(ctx, bson.D{})
	if err != nil {
		return s, fmt.Errorf("count series: %w", err)
	}
	var meta struct {
		Years []int32 `bson:"years"`
	}
	if err := db.Collection(Meta).FindOne(ctx, bson.D{{Key: "_id", Value: "data"}}).Decode(&meta); err != nil && err != mongo.ErrNoDocuments {
		return s, fmt.Errorf("read edstats_meta: %w", err)
	}
	return sizes{float64(nc), float64(ns), float64(len(meta.Years))}, nil
}

func rate(n, cells float64) float64 {
	if cells == 0 {
		return 0
	}
	return ingest.Round(n/cells, 4)
}

func fillPerIndicator(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	sz, err := tableSizes(ctx, db)
	if err != nil {
		return nil, err
	}
	gs, err := ingest.GroupSum(ctx, db.Collection(Data), nil, "$indicator_code", "n_values", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"indicator", "values", "fill_rate"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value), rate(g.Value, sz.countries*sz.years))
	}
	return t, nil
}

func fillPerYear(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	sz, err := tableSizes(ctx, db)
	if err != nil {
		return nil, err
	}
	pipe := mongo.Pipeline{
		{{Key: "$unwind", Value: "$values"}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$values.year"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
	}
	cur, err := db.Collection(Data).Aggregate(ctx, pipe)
	if err != nil {
		return nil, fmt.Errorf("aggregate values per year: %w", err)
	}
	var rows []struct {
		Year int32 `bson:"_id"`
		N    int32 `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read values per year: %w", err)
	}
	t := &ingest.Table{Columns: []string{"year", "values", "fill_rate"}}
	for _, r := range rows {
		t.Add(r.Year, int64(r.N), rate(float64(r.N), sz.countries*sz.series))
	}
	return t, nil
}

func mostComplete(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	sz, err := tableSizes(ctx, db)
	if err != nil {
		return nil, err
	}
	gs, err := ingest.GroupSum(ctx, db.Collection(Data), bson.D{{Key: "aggregate", Value: false}}, "$country_code", "n_values", true, 10)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"country", "values", "completeness"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value), rate(g.Value, sz.series*sz.years))
	}
	return t, nil
}

func topCountries(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	indicator := a["indicator"]
	year, err := strconv.Atoi(a["year"]) // checked by Takes
	if err != nil {
		return nil, fmt.Errorf("year=%q: want a year", a["year"])
	}
	// At most one document per country for an indicator: read them and
	// pick the year here (no $filter on FerretDB).
	cur, err := db.Collection(Data).Find(ctx, bson.D{{Key: "indicator_code", Value: indicator}, {Key: "aggregate", Value: false}},
		options.Find().SetProjection(bson.D{{Key: "country_code", Value: 1}, {Key: "country_name", Value: 1}, {Key: "values", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", indicator, err)
	}
	var docs []struct {
		Code   string `bson:"country_code"`
		Name   string `bson:"country_name"`
		Values []struct {
			Year  int32   `bson:"year"`
			Value float64 `bson:"value"`
		} `bson:"values"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read %s: %w", indicator, err)
	}
	type hit struct {
		code, name string
		v          float64
	}
	var hits []hit
	for _, d := range docs {
		for _, v := range d.Values {
			if int(v.Year) == year {
				hits = append(hits, hit{d.Code, d.Name, v.Value})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].v != hits[j].v {
			return hits[i].v > hits[j].v
		}
		return hits[i].code < hits[j].code
	})
	t := &ingest.Table{Columns: []string{"country", "name", "value"}}
	for i, h := range hits {
		if i == 10 {
			break
		}
		t.Add(h.code, h.name, h.v)
	}
	return t, nil
}
