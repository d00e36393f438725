package airbnb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

const (
	parisFile = "testdata/listings-paris-2024.csv"
	lyonFile  = "testdata/listings-lyon-2025.csv"
)

func load(t *testing.T, db *mongo.Database, city, file string) *ingest.Report {
	t.Helper()
	l, err := New(city, file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(context.Background(), db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return rep
}

func TestLoadFixtures(t *testing.T) {
	db := ingesttest.DB(t)
	rep := load(t, db, "paris", parisFile)
	if rep.Read != 26 || rep.Inserted != 18 || rep.Rejected != 8 || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Fatalf("paris: %+v", rep)
	}
	want := map[string]int64{"bad id": 1, "bad price": 1, "bad coordinates": 1, "bad boolean": 1, "bad date": 1,
		"bad amenities": 1, "wrong number of fields": 1, "truncated record": 1}
	if got := ingesttest.Reasons(rep); !reflect.DeepEqual(got, want) {
		t.Fatalf("paris reasons %v, want %v", got, want)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "location_2dsphere") {
		t.Errorf("want the 2dsphere warning, got %q", rep.Warnings)
	}
	rep = load(t, db, "lyon", lyonFile)
	if rep.Read != 6 || rep.Inserted != 5 || rep.Rejected != 1 || ingesttest.Reasons(rep)["bad number"] != 1 {
		t.Fatalf("lyon: %+v", rep)
	}
	rep = load(t, db, "paris", parisFile)
	if rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != 18 || rep.Rejected != 8 {
		t.Fatalf("paris reload: %+v", rep)
	}
	ctx := context.Background()
	if n, _ := db.Collection("listings_rejects").CountDocuments(ctx, bson.D{}); n != 9 {
		t.Fatalf("%d rejects stored, want 9", n)
	}
	var rej bson.M
	if err := db.Collection("listings_rejects").FindOne(ctx, bson.D{{Key: "reason", Value: "truncated record"}}).Decode(&rej); err != nil {
		t.Fatal(err)
	}
	if rej["file"] != parisFile || rej["line"] != int32(30) || !strings.HasPrefix(rej["raw"].(string), "20007,") {
		t.Fatalf("truncated record reject: %v", rej)
	}
	checkTraps(t, db)
	t.Run("probes", func(t *testing.T) { checkProbes(t, db) })
	t.Run("one changed price", func(t *testing.T) {
		b, _ := os.ReadFile(parisFile)
		changed := filepath.Join(t.TempDir(), "listings.csv")
		os.WriteFile(changed, []byte(strings.Replace(string(b), "$95.00", "$96.00", 1)), 0o600)
		rep := load(t, db, "paris", changed)
		if rep.Updated != 1 || rep.Unchanged != 17 || rep.Inserted != 0 {
			t.Fatalf("%+v", rep)
		}
		var d bson.M
		_ = db.Collection(Collection).FindOne(context.Background(), bson.D{{Key: "_id", Value: "paris/7397"}}).Decode(&d)
		if d["price"] != 96.0 {
			t.Fatalf("price not updated: %v", d["price"])
		}
	})
}

// checkTraps reads back the documents of the rows that carry the traps.
func checkTraps(t *testing.T, db *mongo.Database) {
	get := func(id string) bson.M { return ingesttest.FindID(t, db.Collection(Collection), id) }
	big := get("paris/1035640283313989768")
	if big["id"] != int64(1035640283313989768) || big["price"] != 1234.0 || big["host_response_rate"] != nil ||
		big["bathrooms"] != 1.0 || big["instant_bookable"] != true || big["first_review"] != nil {
		t.Errorf("18-digit id, $1,234.00, N/A, bathrooms from text: %v", big)
	}
	want := bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{2.35, 48.86}}}
	if loc := big["location"]; !reflect.DeepEqual(loc, want) {
		t.Errorf("location %v", loc)
	}
	first := get("paris/3109")
	if !reflect.DeepEqual(first["amenities"], bson.A{"Wifi", "TV", "Hair dryer", "Dishes and silverware", "Coffee maker: Nespresso"}) ||
		!reflect.DeepEqual(first["host_verifications"], bson.A{"email", "phone"}) || first["host_response_rate"] != 1.0 ||
		!strings.Contains(first["description"].(string), "\nAu 3e étage") || first["host_is_superhost"] != true {
		t.Errorf("JSON amenities, Python list, 100%%, multi-line text: %v", first)
	}
	if d := first["last_scraped"].(bson.DateTime).Time().UTC(); !d.Equal(time.Date(2024, 6, 11, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("last_scraped %v", d)
	}
	half := get("paris/7397")
	if half["bathrooms"] != 0.5 || !strings.Contains(half["license"].(string), "\nAvailable with a mobility lease") {
		t.Errorf("half-bath, license with a newline: %v", half)
	}
	if p := get("paris/5396")["price"]; p != nil {
		t.Errorf("empty price must stay unknown, got %v", p)
	}
	lyon := get("lyon/1176093328421006597")
	if lyon["availability_eoy"] != int32(120) || lyon["estimated_revenue_l365d"] != 6000.0 || lyon["bathrooms"] != 2.5 {
		t.Errorf("2025 schema columns: %v", lyon)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(parisFile)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		content []byte
		want    []string
	}{
		"empty":           {nil, []string{"empty file"}},
		"semicolons":      {[]byte(strings.ReplaceAll(string(good[:2000]), ",", ";")), []string{":1:", "missing column", "separator"}},
		"renamed-column":  {[]byte(strings.Replace(string(good), "room_type", "roomtype", 1)), []string{":1:", `"room_type"`}},
		"binary":          {[]byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe garbage"), []string{"line 1", "binary data"}},
		"unterminated-1M": {append([]byte(strings.SplitN(string(good), "\n", 2)[0]+"\n1,\""), make([]byte, 1<<21)...), []string{"line 2", "1 MiB"}},
	}
	for name, tc := range cases {
		path := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(path, tc.content, 0o600); err != nil {
			t.Fatal(err)
		}
		l, _ := New("paris", path)
		rep, err := ingest.Run(context.Background(), nil, l, ingest.Options{DryRun: true, MaxErrorRate: 1})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range append(tc.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", name, err, w)
			}
		}
		if rep.Docs != 0 || rep.Rejected != 0 {
			t.Errorf("%s: report %+v", name, rep)
		}
	}
}

func TestErrorRateThreshold(t *testing.T) {
	l, _ := New("paris", parisFile)
	rep, err := ingest.Run(context.Background(), nil, l, ingest.Options{DryRun: true, MaxErrorRate: 0.01})
	if !errors.Is(err, ingest.ErrTooManyRejects) || rep.Rejected != 8 || rep.Docs != 18 {
		t.Fatalf("err %v, report %+v", err, rep)
	}
}

func checkProbes(t *testing.T, db *mongo.Database) {
	paris := ingest.ProbeArgs{"city": "paris"}
	// "top-reviewed": row 7397 was written with the default name.
	cases := []ingesttest.ProbeCase{
		{Name: "room-types", Args: paris, Want: `[["Entire home/apt",13],["Private room",3],["Hotel room",1],["Shared room",1]]`},
		{Name: "top-reviewed", Args: paris, Want: `[["paris",7397,"Appartement lumineux",342],["paris",3109,"Charmant studio près du Luxembourg — calme",250],["paris",14250,"Appartement lumineux",200],["paris",11170,"Appartement lumineux",120],["paris",9952,"Appartement lumineux",88]]`},
		{Name: "distinct-hosts", Args: paris, Want: `[[14]]`},
		{Name: "instant-bookable", Args: paris, Want: `[[9,18,0.5]]`},
		{Name: "big-hosts", Args: paris, Want: `[["paris",107434423,152,4]]`},
		{Name: "superhosts", Args: paris, Want: `[[5,14,0.3571]]`},
		{Name: "booking-rate", Args: paris, Want: `[["Shared room",1,0.9],["Hotel room",1,0.6],["Private room",3,0.5222],["Entire home/apt",13,0.4154]]`},
		{Name: "median-reviews", Args: paris, Want: `[["all",24.5],["superhost",77],["not superhost",8]]`},
		{Name: "neighbourhoods", Args: paris, Want: `[["Buttes-Montmartre",2],["Observatoire",2],["Passy",2],["Popincourt",2],["Temple",2],["Élysée",2],["Batignolles-Monceau",1],["Gobelins",1],["Hôtel-de-Ville",1],["Opéra",1],["Reuilly",1],["Vaugirard",1]]`},
		{Name: "busiest-neighbourhoods", Args: paris, Want: `[["Buttes-Montmartre",2,0.95],["Hôtel-de-Ville",1,0.8333],["Gobelins",1,0.8],["Temple",2,0.7],["Observatoire",2,0.6],["Opéra",1,0.6],["Popincourt",2,0.5],["Passy",2,0.25],["Reuilly",1,0.1667],["Batignolles-Monceau",1,0.0667]]`},
		{Name: "distinct-hosts", Want: `[[18]]`}, // both cities
	}
	ingesttest.CheckProbes(t, db, Probes(), cases)
}
