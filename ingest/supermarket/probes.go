package supermarket

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
)

// Probes are the canned analyses of datasets.md (one $sum per $group, for
// FerretDB 1.24; the late-insert join is done here, FerretDB has no $lookup).
//
// Speed (issue 16): each question is one pass over each collection it
// reads. The revenue of a day reads the day's sales once (it was a count
// and a sum, two passes as $group, plus the whole join); the revenue per
// customer has thousands of groups (FerretDB's $group compares each
// document with every group: quadratic) and is one projected Scan computed
// here. The join of sales with their INSERT log rows reads each collection
// once (no $lookup on FerretDB; an $in of sale ids would cost it a
// comparison per log row and id).
//
// Where the server is the limit: FerretDB sends only a filter on _id to
// SQLite, so every query reads and decodes every document of its
// collection. The sales (41,377, the real size) take it about 4 s a pass
// on the 2-core test bed, the logs (100,000 rows of the real 207,489)
// about 9 s: log-actions, day-revenue and late-inserts, which must read
// the logs, are at or over 10 s there (BenchmarkProbes); on MongoDB they
// are one collection scan of each.
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "day-revenue", Question: "revenue of day= (2024-08-14), with and without the sales inserted later", Run: ingest.Takes(dayRevenue,
			ingest.Arg{Name: "day", Form: "a day YYYY-MM-DD", Default: "2024-08-14", Valid: ingest.Date})},
		{Name: "top-customers", Question: "top 10 customers by revenue", Run: ingest.Takes(topCustomers)},
		{Name: "revenue-per-employee", Question: "revenue per employee", Run: ingest.Takes(perEmployee)},
		{Name: "log-actions", Question: "log actions per table", Run: ingest.Takes(logActions)},
		{Name: "late-inserts", Question: "sales inserted on a later day than their purchase", Run: ingest.Takes(lateInserts)},
	}
}

// dayRevenue reads the day's sales once (count, revenue and ids) and the
// INSERT log rows once.
func dayRevenue(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	day := a["day"]
	sales, err := readSales(ctx, db, bson.D{{Key: "day", Value: day}})
	if err != nil {
		return nil, err
	}
	inserted, err := insertDays(ctx, db)
	if err != nil {
		return nil, err
	}
	var total, lateRev float64
	late := lateOf(sales, inserted)
	for _, s := range sales {
		total += s.Prix
	}
	for _, l := range late {
		lateRev += l.Prix
	}
	return &ingest.Table{Columns: []string{"day", "sales", "revenue", "late_sales", "revenue_known_that_day"},
		Rows: [][]any{{day, int64(len(sales)), ingest.Round(total, 2), int64(len(late)), ingest.Round(total-lateRev, 2)}}}, nil
}

// topCustomers sums revenue per customer in Go from one projected scan
// (thousands of customers: FerretDB's $group is quadratic in groups).
func topCustomers(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.ScanGroups(ctx, db.Collection(Sales), nil, []string{"customer_id"}, "prix")
	if err != nil {
		return nil, err
	}
	ingest.SortGroups(gs, func(g *ingest.Agg) float64 { return g.Sum })
	t := &ingest.Table{Columns: []string{"customer", "revenue"}}
	for i, g := range gs {
		if i == 10 {
			break
		}
		t.Add(g.Key[0], ingest.Round(g.Sum, 2))
	}
	return t, nil
}

// perEmployee stays a server-side $group: a few dozen employees.
func perEmployee(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, db.Collection(Sales), nil, "$employee_id", "prix", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"employee", "revenue"}}
	for _, g := range gs {
		t.Add(g.Key, ingest.Round(g.Value, 2))
	}
	return t, nil
}

func logActions(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	key := bson.D{{Key: "table", Value: "$table"}, {Key: "action", Value: "$action"}}
	gs, err := ingest.GroupSum(ctx, db.Collection(Logs), nil, key, "", false, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"table", "action", "count"}}
	for _, g := range gs {
		k := g.Key.(map[string]any)
		t.Add(k["table"], k["action"], int64(g.Value))
	}
	return t, nil
}

// Late is a sale inserted on a later day than its purchase.
type Late struct {
	ID       string  `bson:"_id"`
	Day      string  `bson:"day"`
	Prix     float64 `bson:"prix"`
	Inserted string
}

// insertDays maps each sale id to the UTC day of its INSERT log row (the
// last one when there are several), in one pass over the logs.
func insertDays(ctx context.Context, db *mongo.Database) (map[string]string, error) {
	inserted := map[string]string{}
	logs := bson.D{{Key: "table", Value: SheetSales}, {Key: "action", Value: "INSERT"}}
	err := ingest.Scan(ctx, db.Collection(Logs), logs, []string{"id_ligne", "date"}, func(d bson.Raw) error {
		id, _ := ingest.Field(d, "id_ligne").(string)
		if at, ok := ingest.Field(d, "date").(time.Time); ok {
			inserted[id] = at.Format("2006-01-02")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read insert logs: %w", err)
	}
	return inserted, nil
}

// readSales reads the id, day and price of the sales matching f in one pass.
func readSales(ctx context.Context, db *mongo.Database, f bson.D) ([]Late, error) {
	var out []Late
	err := ingest.Scan(ctx, db.Collection(Sales), f, []string{"_id", "day", "prix"}, func(d bson.Raw) error {
		var s Late
		if err := bson.Unmarshal(d, &s); err != nil {
			return fmt.Errorf("read sale: %w", err)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// lateOf joins sales with their INSERT days, in Go (FerretDB has no
// $lookup; an $in of sale ids would cost it a comparison per log row and
// id): the sales inserted on a later day than their purchase, by id.
func lateOf(sales []Late, inserted map[string]string) []Late {
	var out []Late
	for _, s := range sales {
		if at, ok := inserted[s.ID]; ok && at > s.Day {
			s.Inserted = at
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func lateInserts(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	sales, err := readSales(ctx, db, bson.D{})
	if err != nil {
		return nil, err
	}
	inserted, err := insertDays(ctx, db)
	if err != nil {
		return nil, err
	}
	late := lateOf(sales, inserted)
	t := &ingest.Table{Columns: []string{"sale", "purchase_day", "inserted_day", "prix"}}
	for _, l := range late {
		t.Add(l.ID, l.Day, l.Inserted, l.Prix)
	}
	return t, nil
}
