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
//
// Speed (issue 16): each question is one pass over the listings.
// Groupings with few groups (room types, neighbourhoods, instant_bookable)
// stay a server-side $group; the groupings by host (16,600 hosts for
// 50,000 listings: FerretDB's $group compares each document with every
// group found so far, 6.4 minutes), the booking rates (a count and a sum:
// two accumulators, two passes as $group) and the medians (a count and a
// sorted skip each: six passes) are one projected Scan computed here.
//
// Where the server is the limit: FerretDB sends only a filter on _id to
// SQLite, so any other query, even {city: "paris"} or a projection on one
// field, reads and decodes every listing from JSON (a listing is large:
// description, amenities, about 75 fields). One pass over 50,000
// generated listings takes it 20 to 25 s on the 2-core test bed
// (BenchmarkProbes: a find projected on _id alone, 24 s), so every
// question here takes about that and none can meet 10 s there; on MongoDB
// each is one collection scan sending a few small fields.
func Probes() []ingest.Probe {
	city := ingest.Arg{Name: "city", Form: "paris or lyon", Valid: ingest.OneOf(Cities()...)}
	probe := func(name, question string, run ingest.RunFunc) ingest.Probe {
		return ingest.Probe{Name: name, Question: question, Run: ingest.Takes(run, city)}
	}
	return []ingest.Probe{
		probe("room-types", "listings per room_type", roomTypes),
		probe("top-reviewed", "top 5 listings by number_of_reviews", topReviewed),
		probe("distinct-hosts", "number of distinct hosts", distinctHosts),
		probe("instant-bookable", "share of listings instantly bookable", instantBookable),
		probe("big-hosts", "hosts with more than 100 listings (calculated_host_listings_count)", bigHosts),
		probe("superhosts", "share of superhosts among hosts", superhosts),
		probe("booking-rate", "booking rate per room type: (30 - availability_30) / 30", bookingRate),
		probe("median-reviews", "median number_of_reviews, overall and by superhost status", medianReviews),
		probe("neighbourhoods", "listings per neighbourhood_cleansed", neighbourhoods),
		probe("busiest-neighbourhoods", "the 10 neighbourhoods with the highest booking rate", busiest),
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

// hostGroups counts listings per host (key: city, host_id[, extra]) in Go
// from one projected scan: there are nearly as many hosts as listings, and
// FerretDB's $group is quadratic in the number of groups.
func hostGroups(ctx context.Context, db *mongo.Database, f bson.D, extra string) ([]*ingest.Agg, error) {
	key := []string{"city", "host_id"}
	if extra != "" {
		key = append(key, extra)
	}
	return ingest.ScanGroups(ctx, coll(db), f, key, "")
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
		t.Add(g.Key[0], g.Key[1], ingest.Number(g.Key[2]), int64(g.N))
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
		id := fmt.Sprint(g.Key[0], "/", g.Key[1])
		hosts[id] = hosts[id] || g.Key[2] == true
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

// rates computes (30·n − Σ availability_30) / (30·n) per key in Go from
// one projected scan: a count and a sum are two accumulators, which one
// FerretDB $group cannot compute (it would take two passes).
func rates(ctx context.Context, db *mongo.Database, f bson.D, key string) (map[string][2]float64, error) {
	f = with(f, "availability_30", bson.D{{Key: "$type", Value: "number"}})
	gs, err := ingest.ScanGroups(ctx, coll(db), f, []string{key}, "availability_30")
	if err != nil {
		return nil, err
	}
	out := map[string][2]float64{}
	for _, g := range gs {
		out[fmt.Sprint(g.Key[0])] = [2]float64{g.N, ingest.Round((30*g.N-g.Sum)/(30*g.N), 4)}
	}
	return out, nil
}

func bookingRate(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	r, err := rates(ctx, db, filter(a), "room_type")
	if err != nil {
		return nil, err
	}
	return rateTable("room_type", r, 0), nil
}

func busiest(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	r, err := rates(ctx, db, filter(a), "neighbourhood_cleansed")
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

// medianReviews reads number_of_reviews and host_is_superhost in one
// projected scan and takes the medians here (no $median on FerretDB, nor on
// MongoDB before 7.0; a count and a sorted skip per median took six passes).
func medianReviews(ctx context.Context, db *mongo.Database, a ingest.ProbeArgs) (*ingest.Table, error) {
	var all, super, not []float64
	f := with(filter(a), "number_of_reviews", bson.D{{Key: "$type", Value: "number"}})
	err := ingest.Scan(ctx, coll(db), f, []string{"number_of_reviews", "host_is_superhost"}, func(d bson.Raw) error {
		n := ingest.Number(d.Lookup("number_of_reviews"))
		all = append(all, n)
		switch ingest.Field(d, "host_is_superhost") {
		case true:
			super = append(super, n)
		case false:
			not = append(not, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &ingest.Table{Columns: []string{"hosts", "median_reviews"}}
	t.Add("all", ingest.MedianOf(all))
	t.Add("superhost", ingest.MedianOf(super))
	t.Add("not superhost", ingest.MedianOf(not))
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
