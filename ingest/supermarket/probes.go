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
// Speed (issue 16): FerretDB reads and decodes every document for any
// query but one by _id, so each question is written to take one pass per
// collection it reads. The revenue of a day is a count and a sum (two
// accumulators: two passes as $group on FerretDB) and the revenue per
// customer has thousands of groups (FerretDB's $group compares each
// document with every group: quadratic); both are one projected Scan
// computed here. The join of sales with their INSERT log rows reads each
// collection once (no $lookup on FerretDB; an $in of a day's sale ids
// would cost FerretDB a comparison per log row and id).
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

func dayRevenue(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	day := a["day"]
	var n, total float64
	if gs, err := ingest.ScanGroups(ctx, db.Collection(Sales), bson.D{{Key: "day", Value: day}}, nil, "prix"); err != nil {
		return nil, err
	} else if len(gs) == 1 {
		n, total = gs[0].N, gs[0].Sum
	}
	late, err := findLate(ctx, db, day)
	if err != nil {
		return nil, err
	}
	var lateRev float64
	for _, l := range late {
		lateRev += l.Prix
	}
	return &ingest.Table{Columns: []string{"day", "sales", "revenue", "late_sales", "revenue_known_that_day"},
		Rows: [][]any{{day, int64(n), ingest.Round(total, 2), int64(len(late)), ingest.Round(total-lateRev, 2)}}}, nil
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

// findLate joins, in Go, the sales (of one day, or all when day is "")
// with the INSERT log rows of the sales sheet: one pass over each.
func findLate(ctx context.Context, db *mongo.Database, day string) ([]Late, error) {
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
	f := bson.D{}
	if day != "" {
		f = bson.D{{Key: "day", Value: day}}
	}
	var out []Late
	err = ingest.Scan(ctx, db.Collection(Sales), f, []string{"_id", "day", "prix"}, func(d bson.Raw) error {
		var s Late
		if err := bson.Unmarshal(d, &s); err != nil {
			return fmt.Errorf("read sale: %w", err)
		}
		if at, ok := inserted[s.ID]; ok && at > s.Day {
			s.Inserted = at
			out = append(out, s)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

func lateInserts(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	late, err := findLate(ctx, db, "")
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"sale", "purchase_day", "inserted_day", "prix"}}
	for _, l := range late {
		t.Add(l.ID, l.Day, l.Inserted, l.Prix)
	}
	return t, nil
}
