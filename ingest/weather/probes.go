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
//
// Speed (issue 16): each question is one pass over the readings.
// "latest" is one projected scan keeping each station's newest reading (it
// was a distinct then one sorted find per station, a pass each; FerretDB
// has no $max, and its distinct failed on 95,000 readings with "error
// decoding key arr: unexpected EOF"); the groupings by (station, day),
// hundreds of groups that FerretDB's $group compares each document with,
// and the daily mean (a count and a sum: two accumulators) are computed
// here from one projected scan.
//
// Where the server is the limit: FerretDB sends only a filter on _id to
// SQLite, so every query here, station-day's {station, day} included,
// reads and decodes every reading from JSON. One pass over 95,000 readings
// (92 days, six stations) takes it 15 to 30 s on the 2-core test bed
// (BenchmarkProbes prints it), so no question can meet 10 s there; on
// MongoDB station-day uses the station_day index and the others are one
// collection scan.
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "data-quality", Question: "rejected / processed readings, by reason", Run: ingest.Takes(quality)},
		{Name: "latest", Question: "latest reading per station", Run: ingest.Takes(latest)},
		{Name: "station-day", Question: "readings of one station= (07015) on one day= (2024-10-27, UTC)", Run: ingest.Takes(stationDay,
			ingest.Arg{Name: "station", Form: "a station id like 07015 or ILAMAD25", Default: "07015"},
			ingest.Arg{Name: "day", Form: "a UTC day YYYY-MM-DD", Default: "2024-10-27", Valid: ingest.Date})},
		{Name: "daily-mean-temperature", Question: "daily mean temperature (°C) per station", Run: ingest.Takes(dailyMean)},
		{Name: "readings-per-day", Question: "readings per station per day", Run: ingest.Takes(perDay)},
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

// latest keeps each station's newest reading from one projected scan.
func latest(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	type last struct {
		at   time.Time
		temp any
	}
	newest := map[string]*last{}
	err := ingest.Scan(ctx, db.Collection(Readings), nil, []string{"station", "time", "temperature_c"}, func(d bson.Raw) error {
		st, ok := ingest.Field(d, "station").(string)
		at, ok2 := ingest.Field(d, "time").(time.Time)
		if !ok || !ok2 {
			return nil
		}
		if l := newest[st]; l == nil || at.After(l.at) {
			newest[st] = &last{at, ingest.Field(d, "temperature_c")}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("latest readings: %w", err)
	}
	stations := make([]string, 0, len(newest))
	for s := range newest {
		stations = append(stations, s)
	}
	sort.Strings(stations)
	t := &ingest.Table{Columns: []string{"station", "time", "temperature_c"}}
	for _, s := range stations {
		t.Add(s, newest[s].at.Format(time.RFC3339), newest[s].temp)
	}
	return t, nil
}

func stationDay(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	f := bson.D{{Key: "station", Value: a["station"]}, {Key: "day", Value: a["day"]}}
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

var stationDayKey = []string{"station", "day"}

func dailyMean(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	f := bson.D{{Key: "temperature_c", Value: bson.D{{Key: "$type", Value: "number"}}}}
	gs, err := ingest.ScanGroups(ctx, db.Collection(Readings), f, stationDayKey, "temperature_c")
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"station", "day", "readings", "mean_temperature_c"}}
	for _, g := range gs {
		t.Add(g.Key[0], g.Key[1], int64(g.N), ingest.Round(g.Sum/g.N, 2))
	}
	return t, nil
}

func perDay(ctx context.Context, db *mongo.Database, _ ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.ScanGroups(ctx, db.Collection(Readings), nil, stationDayKey, "")
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"station", "day", "readings"}}
	for _, g := range gs {
		t.Add(g.Key[0], g.Key[1], int64(g.N))
	}
	return t, nil
}
