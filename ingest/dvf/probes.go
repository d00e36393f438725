package dvf

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
)

// saleNatures are the natures of mutation counted as sales (not exchanges,
// expropriations or leases).
var saleNatures = bson.A{"Vente", "Vente en l'état futur d'achèvement", "Adjudication", "Vente terrain à bâtir"}

// Probes are the canned analyses of datasets.md. Each runs a $match and
// one $sum per $group (FerretDB 1.24 computes only the first accumulator
// and has no $avg); means and growth rates are computed here.
//
// Speed (issue 16): each question is one pass over the mutations.
// Groupings with few groups (regions, quarters, rooms) stay a server-side
// $group; the means and the apartments of a period (a count and a sum: two
// accumulators, two passes as $group) and the grouping by (quarter,
// commune) (tens of thousands of groups in a year of DVF; FerretDB's
// $group compares each document with every group: over 10 minutes for
// 100,000 mutations) are one projected Scan computed here.
//
// Where the server is the limit: FerretDB sends only a filter on _id to
// SQLite, so every query here reads and decodes every mutation from JSON,
// nested lines included, whatever the filter ($in of natures, region,
// type) or projection. One pass over 100,000 generated mutations takes it
// 40 to 55 s on the 2-core test bed (BenchmarkProbes: a find projected on
// _id alone, 56 s), so every question takes about that and none can meet
// 10 s there; on MongoDB each is one collection scan (the indexes on
// date, department, region and quarter serve the filters).
func Probes() []ingest.Probe {
	date := func(name string) ingest.Arg {
		return ingest.Arg{Name: name, Form: "a date YYYY-MM-DD", Valid: ingest.Date}
	}
	min := ingest.Arg{Name: "min", Form: "a whole number of sales, at least 1", Default: "50", Valid: ingest.Positive}
	return []ingest.Probe{
		{Name: "apartments", Question: "apartments sold in a period (from=, to= as YYYY-MM-DD)",
			Run: ingest.Takes(apartments, date("from"), date("to"))},
		{Name: "sales-per-region", Question: "sales per region", Run: ingest.Takes(salesPerRegion)},
		{Name: "apartment-rooms", Question: "share of single-apartment sales by number of rooms", Run: ingest.Takes(apartmentRooms)},
		{Name: "top-departments-m2", Question: "top 10 departments by mean price per m² (single dwellings)", Run: ingest.Takes(topDepartments)},
		{Name: "idf-house-m2", Question: "mean price per m² of a house in Île-de-France", Run: ingest.Takes(idfHouse)},
		{Name: "quarterly-growth", Question: "sales per quarter and growth over the previous quarter", Run: ingest.Takes(quarterly)},
		{Name: "busy-communes", Question: "communes with at least min= (default 50) sales in a quarter", Run: ingest.Takes(busyCommunes, min)},
	}
}

func coll(db *mongo.Database) *mongo.Collection { return db.Collection(Collection) }

func sales(extra ...bson.E) bson.D {
	return append(bson.D{{Key: "nature_mutation", Value: bson.D{{Key: "$in", Value: saleNatures}}}}, extra...)
}

func hasPrice() bson.E {
	return bson.E{Key: "prix_m2", Value: bson.D{{Key: "$type", Value: "number"}}}
}

// apartments counts the sales and sums their apartments in one projected
// scan (two accumulators: two passes as $group on FerretDB).
func apartments(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	f := sales(bson.E{Key: "nb_appartements", Value: bson.D{{Key: "$gt", Value: 0}}})
	period := bson.D{}
	for _, p := range []struct{ arg, op string }{{"from", "$gte"}, {"to", "$lte"}} {
		if s := a[p.arg]; s != "" {
			t, err := time.Parse("2006-01-02", s) // checked by Takes
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want YYYY-MM-DD", p.arg, s)
			}
			period = append(period, bson.E{Key: p.op, Value: t})
		}
	}
	if len(period) > 0 {
		f = append(f, bson.E{Key: "date", Value: period})
	}
	var n, units float64
	if gs, err := ingest.ScanGroups(ctx, coll(db), f, nil, "nb_appartements"); err != nil {
		return nil, err
	} else if len(gs) == 1 {
		n, units = gs[0].N, gs[0].Sum
	}
	return &ingest.Table{Columns: []string{"from", "to", "sales", "apartments"},
		Rows: [][]any{{a["from"], a["to"], int64(n), int64(units)}}}, nil
}

func salesPerRegion(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, coll(db), sales(), "$region", "", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"region", "sales"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value))
	}
	return t, nil
}

func apartmentRooms(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, coll(db), sales(bson.E{Key: "type_principal", Value: Appartement}), "$pieces", "", false, 0)
	if err != nil {
		return nil, err
	}
	var total float64
	for _, g := range gs {
		total += g.Value
	}
	t := &ingest.Table{Columns: []string{"rooms", "sales", "share"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value), ingest.Round(g.Value/total, 4))
	}
	return t, nil
}

// means returns n and Σ prix_m2 / n per key over sales with a price per
// m², from one projected scan (a count and a sum: two accumulators).
func means(ctx context.Context, db *mongo.Database, f bson.D, key []string) ([]*ingest.Agg, error) {
	gs, err := ingest.ScanGroups(ctx, coll(db), f, key, "prix_m2")
	for _, g := range gs {
		g.Sum = ingest.Round(g.Sum/g.N, 2)
	}
	return gs, err
}

func topDepartments(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := means(ctx, db, sales(hasPrice()), []string{"code_departement"})
	if err != nil {
		return nil, err
	}
	ingest.SortGroups(gs, func(g *ingest.Agg) float64 { return g.Sum })
	t := &ingest.Table{Columns: []string{"departement", "sales", "mean_price_m2"}}
	for i, g := range gs {
		if i == 10 {
			break
		}
		t.Add(fmt.Sprint(g.Key[0]), int64(g.N), g.Sum)
	}
	return t, nil
}

func idfHouse(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	f := sales(hasPrice(), bson.E{Key: "region", Value: "Île-de-France"}, bson.E{Key: "type_principal", Value: Maison})
	gs, err := means(ctx, db, f, nil)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return &ingest.Table{Columns: []string{"sales", "mean_price_m2"}, Rows: [][]any{{int64(0), nil}}}, nil
	}
	return &ingest.Table{Columns: []string{"sales", "mean_price_m2"}, Rows: [][]any{{int64(gs[0].N), gs[0].Sum}}}, nil
}

func quarterly(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, coll(db), sales(), "$trimestre", "", false, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"quarter", "sales", "growth"}}
	for i, g := range gs {
		var growth any
		if i > 0 && gs[i-1].Value > 0 && gs[i-1].Key == previousQuarter(fmt.Sprint(g.Key)) {
			growth = ingest.Round(g.Value/gs[i-1].Value-1, 4)
		}
		t.Add(g.Key, int64(g.Value), growth)
	}
	return t, nil
}

// busyCommunes counts sales per (quarter, commune) in Go from one projected
// scan: there are tens of thousands of such groups in a year of DVF, and
// FerretDB's $group compares each document with every group (quadratic).
func busyCommunes(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	min, err := strconv.Atoi(a["min"]) // checked by Takes
	if err != nil {
		return nil, fmt.Errorf("min=%q: want a positive number", a["min"])
	}
	gs, err := ingest.ScanGroups(ctx, coll(db), sales(), []string{"trimestre", "code_insee", "commune"}, "")
	if err != nil {
		return nil, err
	}
	ingest.SortGroups(gs, func(g *ingest.Agg) float64 { return g.N })
	t := &ingest.Table{Columns: []string{"quarter", "code_insee", "commune", "sales"}}
	for _, g := range gs {
		if g.N >= float64(min) {
			t.Add(g.Key[0], g.Key[1], g.Key[2], int64(g.N))
		}
	}
	return t, nil
}

// previousQuarter of "2022-T1" is "2021-T4".
func previousQuarter(q string) string {
	var y, n int
	if _, err := fmt.Sscanf(q, "%d-T%d", &y, &n); err != nil {
		return ""
	}
	if n == 1 {
		return fmt.Sprintf("%d-T4", y-1)
	}
	return fmt.Sprintf("%d-T%d", y, n-1)
}
