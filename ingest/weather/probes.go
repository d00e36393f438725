package weather

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

// Probes are the canned analyses of datasets.md. Days are UTC days (field
// day). One $sum per $group; means computed here (FerretDB 1.24).
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "data-quality", Question: "rejected / processed readings, by reason", Run: quality},
		{Name: "latest", Question: "latest reading per station", Run: latest},
		{Name: "station-day", Question: "readings of one station= (07015) on one day= (2024-10-27, UTC)", Run: stationDay},
		{Name: "daily-mean-temperature", Question: "daily mean temperature (°C) per station", Run: dailyMean},
		{Name: "readings-per-day", Question: "readings per station per day", Run: perDay},
	}
}

func quality(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	n, err := db.Collection(Readings).CountDocuments(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("count readings: %w", err)
	}
	gs, err := ingest.GroupSum(ctx, db.Collection(Readings+"_rejects"), nil, "$reason", "", true, 0)
	if err != nil {
		return nil, err
	}
	var rejected float64
	for _, g := range gs {
		rejected += g.Value
	}
	processed := float64(n) + rejected
	t := &ingest.Table{Columns: []string{"reason", "rejected", "processed", "rate"}}
	t.Add("all", int64(rejected), int64(processed), ratio(rejected, processed))
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value), int64(processed), ratio(g.Value, processed))
	}
	return t, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return ingest.Round(a/b, 4)
}

type row struct {
	Station string    `bson:"station"`
	Time    time.Time `bson:"time"`
	Temp    *float64  `bson:"temperature_c"`
	Hum     *float64  `bson:"humidity_pct"`
	Press   *float64  `bson:"pressure_hpa"`
	Wind    *float64  `bson:"wind_kmh"`
}

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func latest(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	var stations []string
	if err := db.Collection(Readings).Distinct(ctx, "station", bson.D{}).Decode(&stations); err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
	}
	sort.Strings(stations)
	t := &ingest.Table{Columns: []string{"station", "time", "temperature_c"}}
	for _, s := range stations {
		var r row
		err := db.Collection(Readings).FindOne(ctx, bson.D{{Key: "station", Value: s}},
			options.FindOne().SetSort(bson.D{{Key: "time", Value: -1}})).Decode(&r)
		if err != nil {
			return nil, fmt.Errorf("latest of %s: %w", s, err)
		}
		t.Add(s, r.Time.UTC().Format(time.RFC3339), val(r.Temp))
	}
	return t, nil
}

func stationDay(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	f := bson.D{{Key: "station", Value: a.Get("station", "07015")}, {Key: "day", Value: a.Get("day", "2024-10-27")}}
	cur, err := db.Collection(Readings).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "time", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find readings: %w", err)
	}
	var rows []row
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read readings: %w", err)
	}
	t := &ingest.Table{Columns: []string{"time", "temperature_c", "humidity_pct", "pressure_hpa", "wind_kmh"}}
	for _, r := range rows {
		t.Add(r.Time.UTC().Format(time.RFC3339), val(r.Temp), val(r.Hum), val(r.Press), val(r.Wind))
	}
	return t, nil
}

var stationDayKey = bson.D{{Key: "station", Value: "$station"}, {Key: "day", Value: "$day"}}

func dailyMean(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	f := bson.D{{Key: "temperature_c", Value: bson.D{{Key: "$type", Value: "number"}}}}
	n, err := ingest.GroupSum(ctx, db.Collection(Readings), f, stationDayKey, "", false, 0)
	if err != nil {
		return nil, err
	}
	sum, err := ingest.SumMap(ctx, db.Collection(Readings), f, stationDayKey, "temperature_c")
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"station", "day", "readings", "mean_temperature_c"}}
	for _, g := range n {
		k := g.Key.(map[string]any)
		t.Add(k["station"], k["day"], int64(g.Value), ingest.Round(sum[fmt.Sprint(g.Key)]/g.Value, 2))
	}
	return t, nil
}

func perDay(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, db.Collection(Readings), nil, stationDayKey, "", false, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"station", "day", "readings"}}
	for _, g := range gs {
		k := g.Key.(map[string]any)
		t.Add(k["station"], k["day"], int64(g.Value))
	}
	return t, nil
}
