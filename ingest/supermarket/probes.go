package supermarket

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest"
)

// Probes are the canned analyses of datasets.md (one $sum per $group, for
// FerretDB 1.24; the late-insert join is done here, FerretDB has no $lookup).
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "day-revenue", Question: "revenue of day= (2024-08-14), with and without the sales inserted later", Run: dayRevenue},
		{Name: "top-customers", Question: "top 10 customers by revenue", Run: topCustomers},
		{Name: "revenue-per-employee", Question: "revenue per employee", Run: perEmployee},
		{Name: "log-actions", Question: "log actions per table", Run: logActions},
		{Name: "late-inserts", Question: "sales inserted on a later day than their purchase", Run: lateInserts},
	}
}

func dayRevenue(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	day := a.Get("day", "2024-08-14")
	f := bson.D{{Key: "day", Value: day}}
	n, err := ingest.SumMap(ctx, db.Collection(Sales), f, nil, "")
	if err != nil {
		return nil, err
	}
	rev, err := ingest.SumMap(ctx, db.Collection(Sales), f, nil, "prix")
	if err != nil {
		return nil, err
	}
	late, err := findLate(ctx, db)
	if err != nil {
		return nil, err
	}
	var lateN int64
	var lateRev float64
	for _, l := range late {
		if l.Day == day {
			lateN++
			lateRev += l.Prix
		}
	}
	total := rev["<nil>"]
	return &ingest.Table{Columns: []string{"day", "sales", "revenue", "late_sales", "revenue_known_that_day"},
		Rows: [][]any{{day, int64(n["<nil>"]), ingest.Round(total, 2), lateN, ingest.Round(total-lateRev, 2)}}}, nil
}

func topCustomers(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	return groupTable(ctx, db, "$customer_id", "customer", 10)
}

func perEmployee(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	return groupTable(ctx, db, "$employee_id", "employee", 0)
}

func groupTable(ctx context.Context, db *mongo.Database, key, name string, limit int) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, db.Collection(Sales), nil, key, "prix", true, limit)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{name, "revenue"}}
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

func findLate(ctx context.Context, db *mongo.Database) ([]Late, error) {
	cur, err := db.Collection(Logs).Find(ctx, bson.D{{Key: "table", Value: SheetSales}, {Key: "action", Value: "INSERT"}},
		options.Find().SetProjection(bson.D{{Key: "id_ligne", Value: 1}, {Key: "date", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find insert logs: %w", err)
	}
	var logs []struct {
		ID   string    `bson:"id_ligne"`
		Date time.Time `bson:"date"`
	}
	if err := cur.All(ctx, &logs); err != nil {
		return nil, fmt.Errorf("read insert logs: %w", err)
	}
	inserted := make(map[string]string, len(logs))
	for _, l := range logs {
		inserted[l.ID] = l.Date.UTC().Format("2006-01-02")
	}
	cur, err = db.Collection(Sales).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "day", Value: 1}, {Key: "prix", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find sales: %w", err)
	}
	var out []Late
	for cur.Next(ctx) {
		var s Late
		if err := cur.Decode(&s); err != nil {
			return nil, fmt.Errorf("read sale: %w", err)
		}
		if d, ok := inserted[s.ID]; ok && d > s.Day {
			s.Inserted = d
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, cur.Err()
}

func lateInserts(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	late, err := findLate(ctx, db)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"sale", "purchase_day", "inserted_day", "prix"}}
	for _, l := range late {
		t.Add(l.ID, l.Day, l.Inserted, l.Prix)
	}
	return t, nil
}
