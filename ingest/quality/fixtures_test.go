package quality

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/dictionary"
	"github.com/noscites/citadel/ingest/fixtureset"
	"github.com/noscites/citadel/ingest/ingesttest"
)

// TestFixtureReports measures the five datasets' loaded fixtures and
// checks every figure against counts made here from the documents
// themselves.
func TestFixtureReports(t *testing.T) {
	db := ingesttest.DB(t)
	fixtureset.Load(t, db, t.TempDir())
	ctx := context.Background()
	for _, ds := range catalog.All() {
		t.Run(ds.Name, func(t *testing.T) {
			spec, err := dictionary.SpecFor(ds.Name)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Measure(ctx, db, ds.Name, ds.Collections, spec, ds.Probes, withRuns(OptionsFor(config.DefaultQualityLimits), 3))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range r.Collections {
				checkFigures(t, db, spec.Collection(c.Name), c)
			}
			if len(r.Questions) != len(ds.Probes) {
				t.Fatalf("%d questions timed, the dataset has %d", len(r.Questions), len(ds.Probes))
			}
			for _, q := range r.Questions {
				if q.Error != "" || q.Runs != 3 || q.P50Seconds <= 0 || q.P95Seconds < q.P50Seconds {
					t.Errorf("question %s: %+v", q.Name, q)
				}
			}
			// The fixtures hold bad rows on purpose: more than 1 % rejected.
			if len(r.Breaches) == 0 || r.Breaches[0].Check != "reject_rate" && r.Breaches[0].Check != "fill_rate" {
				t.Errorf("breaches %+v", r.Breaches)
			}
		})
	}
}

// checkFigures recounts one collection in Go from a plain find.
func checkFigures(t *testing.T, db *mongo.Database, cs *dictionary.CollectionSpec, c Coll) {
	t.Helper()
	docs := all(t, db, c.Name)
	if !c.Loaded || c.Documents != int64(len(docs)) {
		t.Errorf("%s: %d documents, the collection holds %d", c.Name, c.Documents, len(docs))
	}
	for i, f := range c.Required {
		n := int64(0)
		for _, d := range docs {
			if v, ok := d[cs.Required[i]]; ok && v != nil {
				n++
			}
		}
		if f.Field != cs.Required[i] || f.Documents != n || f.Rate != float64(n)/float64(len(docs)) {
			t.Errorf("%s.%s: filled in %d (%v), counted %d", c.Name, f.Field, f.Documents, f.Rate, n)
		}
	}
	reasons := map[string]int64{}
	for _, rej := range all(t, db, c.Name+ingest.RejectsSuffix) {
		reasons[rej["reason"].(string)]++
	}
	var total int64
	for _, r := range c.Reasons {
		total += r.Count
		if reasons[r.Reason] != r.Count {
			t.Errorf("%s: %d rejects for %q, counted %d", c.Name, r.Count, r.Reason, reasons[r.Reason])
		}
	}
	if len(c.Reasons) != len(reasons) || c.Rejects != total {
		t.Errorf("%s: reasons %v, counted %v", c.Name, c.Reasons, reasons)
	}
	if c.Duplicates != 0 {
		t.Errorf("%s: %d duplicates in the fixtures", c.Name, c.Duplicates)
	}
	if cs.Freshness != "" && !strings.Contains(cs.Freshness, "[]") {
		var lo, hi any
		for _, d := range docs {
			v := plainTime(d[cs.Freshness])
			if v == nil {
				continue
			}
			if lo == nil || ingest.CompareValues(v, lo) < 0 {
				lo = v
			}
			if hi == nil || ingest.CompareValues(v, hi) > 0 {
				hi = v
			}
		}
		if lo == nil || !same(c.Oldest, lo) || !same(c.Newest, hi) {
			t.Errorf("%s: %s from %v to %v, counted %v to %v", c.Name, cs.Freshness, c.Oldest, c.Newest, lo, hi)
		}
	}
	if c.LastLoad == nil || time.Since(*c.LastLoad) > time.Hour {
		t.Errorf("%s: last load %v", c.Name, c.LastLoad)
	}
}

func all(t *testing.T, db *mongo.Database, coll string) []bson.M {
	t.Helper()
	ctx := context.Background()
	cur, err := db.Collection(coll).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.M
	if err := cur.All(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func plainTime(v any) any {
	switch x := v.(type) {
	case bson.DateTime:
		return x.Time().UTC()
	case int32:
		return float64(x)
	}
	return v
}

func same(a, b any) bool { return ingest.CompareValues(a, b) == 0 }

// TestDuplicatesAgeAndOutput: a second document with a listing's natural
// key is counted and breaches, an old newest record breaches max_age,
// relaxed thresholds breach nothing, and both the text and the HTML list
// the breaches before anything else.
func TestDuplicatesAgeAndOutput(t *testing.T) {
	db := ingesttest.DB(t)
	fixtureset.Load(t, db, t.TempDir(), "airbnb", "weather")
	ctx := context.Background()
	var doc bson.D
	if err := db.Collection("listings").FindOne(ctx, bson.D{{Key: "_id", Value: "paris/3109"}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	doc[0].Value = "paris/3109-copy"
	if _, err := db.Collection("listings").InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	spec, _ := dictionary.SpecFor("airbnb")
	ds, _ := catalog.Find("airbnb")
	r, err := Measure(ctx, db, "airbnb", ds.Collections, spec, ds.Probes[:1], withRuns(OptionsFor(config.DefaultQualityLimits), 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.Collections[0].Duplicates != 1 || !hasBreach(r, "listings", "duplicates") {
		t.Errorf("duplicates %d, breaches %+v", r.Collections[0].Duplicates, r.Breaches)
	}
	var text, page bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	if b := strings.Index(out, "BREACHES"); b < 0 || b > strings.Index(out, "listings: ") || !strings.Contains(out, "share their natural key") {
		t.Errorf("text lists the breaches first:\n%s", out)
	}
	html := page.String()
	if b := strings.Index(html, `class="breach"`); b < 0 || b > strings.Index(html, "<h2>Collections") || !strings.Contains(html, "<style>") ||
		strings.Contains(html, "<script") || strings.Contains(html, "<link") || strings.Contains(html, "src=") {
		t.Errorf("HTML: one page, inline CSS, breaches first:\n%s", html)
	}

	wspec, _ := dictionary.SpecFor("weather")
	wds, _ := catalog.Find("weather")
	old := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	relaxed := Thresholds{MinFillRate: 0, MaxRejectRate: 1, MaxDuplicates: 0, MaxP95: time.Hour}
	r, err = Measure(ctx, db, "weather", wds.Collections, wspec, nil, Options{Thresholds: relaxed, Now: old})
	if err != nil || len(r.Breaches) != 0 {
		t.Fatalf("relaxed: %v %+v", err, r.Breaches)
	}
	relaxed.MaxAge = 48 * time.Hour
	r, err = Measure(ctx, db, "weather", wds.Collections, wspec, nil, Options{Thresholds: relaxed, Now: old})
	if err != nil || len(r.Breaches) != 1 || !hasBreach(r, "weather_readings", "age") || !strings.Contains(r.Breaches[0].Message, "2024-10-27T02:00:00Z) is 4d old") {
		t.Fatalf("max_age: %v %+v", err, r.Breaches)
	}
}

func hasBreach(r *Report, where, check string) bool {
	for _, b := range r.Breaches {
		if b.Where == where && b.Check == check {
			return true
		}
	}
	return false
}

func withRuns(o Options, runs int) Options {
	o.Runs = runs
	return o
}
