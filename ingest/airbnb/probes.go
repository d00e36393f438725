package airbnb

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/ingest"
)

// Probes are the canned analyses of datasets.md, each optionally limited to
// one city (argument city=paris|lyon). They use only what FerretDB 1.24 also
// runs: one $sum per $group, ratios and medians computed here.
func Probes() []ingest.Probe {
	return []ingest.Probe{
		{Name: "room-types", Question: "listings per room_type", Run: roomTypes},
		{Name: "top-reviewed", Question: "top 5 listings by number_of_reviews", Run: topReviewed},
		{Name: "distinct-hosts", Question: "number of distinct hosts", Run: distinctHosts},
		{Name: "instant-bookable", Question: "share of listings instantly bookable", Run: instantBookable},
		{Name: "big-hosts", Question: "hosts with more than 100 listings (calculated_host_listings_count)", Run: bigHosts},
		{Name: "superhosts", Question: "share of superhosts among hosts", Run: superhosts},
		{Name: "booking-rate", Question: "booking rate per room type: (30 - availability_30) / 30", Run: bookingRate},
		{Name: "median-reviews", Question: "median number_of_reviews, overall and by superhost status", Run: medianReviews},
		{Name: "neighbourhoods", Question: "listings per neighbourhood_cleansed", Run: neighbourhoods},
		{Name: "busiest-neighbourhoods", Question: "the 10 neighbourhoods with the highest booking rate", Run: busiest},
	}
}

func filter(a ingest.ProbeArgs) bson.D {
	if c := a.Get("city", ""); c != "" {
		return bson.D{{Key: "city", Value: c}}
	}
	return bson.D{}
}

func with(f bson.D, k string, v any) bson.D {
	return append(append(bson.D{}, f...), bson.E{Key: k, Value: v})
}

func coll(db *mongo.Database) *mongo.Collection { return db.Collection(Collection) }

func roomTypes(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, coll(db), filter(a), "$room_type", "", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"room_type", "listings"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value))
	}
	return t, nil
}

func topReviewed(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	cur, err := coll(db).Find(ctx, filter(a), options.Find().
		SetSort(bson.D{{Key: "number_of_reviews", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(5).
		SetProjection(bson.D{{Key: "city", Value: 1}, {Key: "id", Value: 1}, {Key: "name", Value: 1}, {Key: "number_of_reviews", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find top reviewed: %w", err)
	}
	var rows []struct {
		City    string `bson:"city"`
		ID      int64  `bson:"id"`
		Name    string `bson:"name"`
		Reviews int64  `bson:"number_of_reviews"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read top reviewed: %w", err)
	}
	t := &ingest.Table{Columns: []string{"city", "id", "name", "number_of_reviews"}}
	for _, r := range rows {
		t.Add(r.City, r.ID, r.Name, r.Reviews)
	}
	return t, nil
}

// hostGroups counts listings per host (key: {city, host_id}).
func hostGroups(ctx context.Context, db *mongo.Database, f bson.D, extra string) ([]ingest.Group, error) {
	key := bson.D{{Key: "city", Value: "$city"}, {Key: "host", Value: "$host_id"}}
	if extra != "" {
		key = append(key, bson.E{Key: extra, Value: "$" + extra})
	}
	return ingest.GroupSum(ctx, coll(db), f, key, "", false, 0)
}

func distinctHosts(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := hostGroups(ctx, db, filter(a), "")
	if err != nil {
		return nil, err
	}
	return &ingest.Table{Columns: []string{"hosts"}, Rows: [][]any{{int64(len(gs))}}}, nil
}

func instantBookable(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	m, err := ingest.SumMap(ctx, coll(db), filter(a), "$instant_bookable", "")
	if err != nil {
		return nil, err
	}
	yes, total := m["true"], m["true"]+m["false"]+m["<nil>"]
	return &ingest.Table{Columns: []string{"instant_bookable", "listings", "share"},
		Rows: [][]any{{int64(yes), int64(total), share(yes, total)}}}, nil
}

func bigHosts(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	f := with(filter(a), "calculated_host_listings_count", bson.D{{Key: "$gt", Value: 100}})
	gs, err := hostGroups(ctx, db, f, "calculated_host_listings_count")
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"city", "host_id", "listings", "loaded"}}
	for _, g := range gs {
		k := g.Key.(map[string]any)
		t.Add(k["city"], k["host"], ingest.Number(k["calculated_host_listings_count"]), int64(g.Value))
	}
	return t, nil
}

func superhosts(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := hostGroups(ctx, db, filter(a), "host_is_superhost")
	if err != nil {
		return nil, err
	}
	hosts := map[string]bool{}
	for _, g := range gs {
		k := g.Key.(map[string]any)
		id := fmt.Sprint(k["city"], "/", k["host"])
		hosts[id] = hosts[id] || k["host_is_superhost"] == true
	}
	var yes float64
	for _, s := range hosts {
		if s {
			yes++
		}
	}
	return &ingest.Table{Columns: []string{"superhosts", "hosts", "share"},
		Rows: [][]any{{int64(yes), int64(len(hosts)), share(yes, float64(len(hosts)))}}}, nil
}

// rates computes (30·n − Σ availability_30) / (30·n) per key: two $group
// passes (a count and a sum) because FerretDB computes one accumulator.
func rates(ctx context.Context, db *mongo.Database, f bson.D, key string) (map[string][2]float64, error) {
	f = with(f, "availability_30", bson.D{{Key: "$type", Value: "number"}})
	n, err := ingest.SumMap(ctx, coll(db), f, key, "")
	if err != nil {
		return nil, err
	}
	free, err := ingest.SumMap(ctx, coll(db), f, key, "availability_30")
	if err != nil {
		return nil, err
	}
	out := map[string][2]float64{}
	for k, c := range n {
		out[k] = [2]float64{c, ingest.Round((30*c-free[k])/(30*c), 4)}
	}
	return out, nil
}

func bookingRate(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	r, err := rates(ctx, db, filter(a), "$room_type")
	if err != nil {
		return nil, err
	}
	return rateTable("room_type", r, 0), nil
}

func busiest(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	r, err := rates(ctx, db, filter(a), "$neighbourhood_cleansed")
	if err != nil {
		return nil, err
	}
	return rateTable("neighbourhood", r, 10), nil
}

func rateTable(name string, r map[string][2]float64, limit int) *ingest.Table {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r[keys[i]][1] != r[keys[j]][1] {
			return r[keys[i]][1] > r[keys[j]][1]
		}
		return keys[i] < keys[j]
	})
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	t := &ingest.Table{Columns: []string{name, "listings", "booking_rate"}}
	for _, k := range keys {
		t.Add(k, int64(r[k][0]), r[k][1])
	}
	return t
}

func medianReviews(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	t := &ingest.Table{Columns: []string{"hosts", "median_reviews"}}
	for _, g := range []struct {
		name string
		f    bson.D
	}{{"all", filter(a)}, {"superhost", with(filter(a), "host_is_superhost", true)},
		{"not superhost", with(filter(a), "host_is_superhost", false)}} {
		m, ok, err := ingest.Median(ctx, coll(db), g.f, "number_of_reviews")
		if err != nil {
			return nil, err
		}
		if ok {
			t.Add(g.name, m)
		} else {
			t.Add(g.name, nil)
		}
	}
	return t, nil
}

func neighbourhoods(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	gs, err := ingest.GroupSum(ctx, coll(db), filter(a), "$neighbourhood_cleansed", "", true, 0)
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"neighbourhood", "listings"}}
	for _, g := range gs {
		t.Add(g.Key, int64(g.Value))
	}
	return t, nil
}

func share(part, total float64) float64 {
	if total == 0 {
		return 0
	}
	return ingest.Round(part/total, 4)
}
