package dvf

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
)

// SaleNatures are the natures of mutation counted as sales (not exchanges,
// expropriations or leases).
var SaleNatures = bson.A{"Vente", "Vente en l'état futur d'achèvement", "Adjudication", "Vente terrain à bâtir"}

// Probes are the canned analyses of datasets.md. Each runs a $match and
// one $sum per $group (FerretDB 1.24 computes only the first accumulator
// and has no $avg); means and growth rates are computed here.
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "apartments", Question: "apartments sold in a period (from=, to= as YYYY-MM-DD)", Run: apartments},
		{Name: "sales-per-region", Question: "sales per region", Run: salesPerRegion},
		{Name: "apartment-rooms", Question: "share of single-apartment sales by number of rooms", Run: apartmentRooms},
		{Name: "top-departments-m2", Question: "top 10 departments by mean price per m² (single dwellings)", Run: topDepartments},
		{Name: "idf-house-m2", Question: "mean price per m² of a house in Île-de-France", Run: idfHouse},
		{Name: "quarterly-growth", Question: "sales per quarter and growth over the previous quarter", Run: quarterly},
		{Name: "busy-communes", Question: "communes with at least min= (default 50) sales in a quarter", Run: busyCommunes},
	}
}

func coll(db *mongo.Database) *mongo.Collection { return db.Collection(Collection) }

func sales(extra ...bson.E) bson.D {
	return append(bson.D{{Key: "nature_mutation", Value: bson.D{{Key: "$in", Value: SaleNatures}}}}, extra...)
}

func hasPrice() bson.E {
	return bson.E{Key: "prix_m2", Value: bson.D{{Key: "$type", Value: "number"}}}
}

func apartments(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	f := sales(bson.E{Key: "nb_appartements", Value: bson.D{{Key: "$gt", Value: 0}}})
	period := bson.D{}
	for _, p := range []struct{ arg, op string }{{"from", "$gte"}, {"to", "$lte"}} {
		if s := a.Get(p.arg, ""); s != "" {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want YYYY-MM-DD", p.arg, s)
			}
			period = append(period, bson.E{Key: p.op, Value: t})
		}
	}
	if len(period) > 0 {
		f = append(f, bson.E{Key: "date", Value: period})
	}
	n, err := ingest.SumMap(ctx, coll(db), f, nil, "")
	if err != nil {
		return nil, err
	}
	units, err := ingest.SumMap(ctx, coll(db), f, nil, "nb_appartements")
	if err != nil {
		return nil, err
	}
	return &ingest.Table{Columns: []string{"from", "to", "sales", "apartments"},
		Rows: [][]any{{a.Get("from", ""), a.Get("to", ""), int64(n["<nil>"]), int64(units["<nil>"])}}}, nil
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

// means returns Σ prix_m2 / n per key over sales with a price per m².
func means(ctx context.Context, db *mongo.Database, f bson.D, key any) (map[string][2]float64, error) {
	n, err := ingest.SumMap(ctx, coll(db), f, key, "")
	if err != nil {
		return nil, err
	}
	sum, err := ingest.SumMap(ctx, coll(db), f, key, "prix_m2")
	if err != nil {
		return nil, err
	}
	out := map[string][2]float64{}
	for k, c := range n {
		out[k] = [2]float64{c, ingest.Round(sum[k]/c, 2)}
	}
	return out, nil
}

func topDepartments(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	m, err := means(ctx, db, sales(hasPrice()), "$code_departement")
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]][1] != m[keys[j]][1] {
			return m[keys[i]][1] > m[keys[j]][1]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > 10 {
		keys = keys[:10]
	}
	t := &ingest.Table{Columns: []string{"departement", "sales", "mean_price_m2"}}
	for _, k := range keys {
		t.Add(k, int64(m[k][0]), m[k][1])
	}
	return t, nil
}

func idfHouse(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	f := sales(hasPrice(), bson.E{Key: "region", Value: "Île-de-France"}, bson.E{Key: "type_principal", Value: Maison})
	m, err := means(ctx, db, f, nil)
	if err != nil {
		return nil, err
	}
	r := m["<nil>"]
	var mean any
	if r[0] > 0 {
		mean = r[1]
	}
	return &ingest.Table{Columns: []string{"sales", "mean_price_m2"}, Rows: [][]any{{int64(r[0]), mean}}}, nil
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

func busyCommunes(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	min, err := strconv.Atoi(a.Get("min", "50"))
	if err != nil || min < 1 {
		return nil, fmt.Errorf("min=%q: want a positive number", a.Get("min", ""))
	}
	key := bson.D{{Key: "trimestre", Value: "$trimestre"}, {Key: "code_insee", Value: "$code_insee"}, {Key: "commune", Value: "$commune"}}
	gs, err := ingest.GroupSum(ctx, coll(db), sales(), key, "", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"quarter", "code_insee", "commune", "sales"}}
	for _, g := range gs {
		if g.Value >= float64(min) {
			k := g.Key.(map[string]any)
			t.Add(k["trimestre"], k["code_insee"], k["commune"], int64(g.Value))
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
