package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/test/testbed"
)

// fakeLoader emits fixed documents and rejects.
type fakeLoader struct {
	docs    []Doc
	rejects []Reject
}

func (f *fakeLoader) Dataset() string { return "fake" }
func (f *fakeLoader) Files() []string { return nil }
func (f *fakeLoader) Collections() []Collection {
	return []Collection{{Name: "things", Indexes: []Index{
		{Name: "v_1", Keys: bson.D{{Key: "v", Value: 1}}},
		{Name: "location_2dsphere", Keys: bson.D{{Key: "location", Value: "2dsphere"}}, Geo: true},
	}}}
}
func (f *fakeLoader) Load(ctx context.Context, e *Emitter) error {
	for _, d := range f.docs {
		e.Read(1)
		if err := e.Doc(ctx, "things", d); err != nil {
			return err
		}
	}
	for _, r := range f.rejects {
		e.Read(1)
		if err := e.Reject(ctx, "things", r); err != nil {
			return err
		}
	}
	return nil
}

func things(n int, bump int) []Doc {
	docs := make([]Doc, n)
	for i := range docs {
		v := i
		if i < bump {
			v += 1000
		}
		docs[i] = Doc{ID: int64(i) << 40, Body: bson.D{{Key: "v", Value: v}}, Src: Loc{File: "in.csv", Line: i + 2}}
	}
	return docs
}

func testDB(t *testing.T) *mongo.Database {
	t.Helper()
	return testbed.Connect(t, testbed.StartFerretDBT(t).URI()).Database("ingest_test")
}

func TestSinkReload(t *testing.T) {
	db := testDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opt := Options{MaxErrorRate: 0.5, Sink: SinkOptions{BatchSize: 7, Workers: 2, PendingLimit: 10}}
	check := func(step string, l Loader, ins, upd, unch, rej int64) *Report {
		t.Helper()
		rep, err := Run(ctx, db, l, opt)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if rep.Inserted != ins || rep.Updated != upd || rep.Unchanged != unch || rep.Rejected != rej {
			t.Fatalf("%s: inserted %d updated %d unchanged %d rejected %d, want %d %d %d %d (%v)", step,
				rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected, ins, upd, unch, rej, rep.Samples)
		}
		return rep
	}
	rej := []Reject{Rejectf(Loc{File: "/x/in.csv", Line: 99, Raw: "bad"}, "bad number", "field v: %q", "x")}
	rep := check("first load", &fakeLoader{docs: things(30, 0), rejects: rej}, 30, 0, 0, 1)
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "location_2dsphere") {
		t.Errorf("want a warning naming the 2dsphere index, got %q", rep.Warnings)
	}
	check("reload", &fakeLoader{docs: things(30, 0), rejects: rej}, 0, 0, 30, 1)
	check("three changed, two new", &fakeLoader{docs: things(32, 3)}, 2, 3, 27, 0)
	dup := append(things(5, 0), Doc{ID: int64(2) << 40, Body: bson.D{{Key: "v", Value: -1}}, Src: Loc{File: "in.csv", Line: 50}})
	check("duplicate key in input", &fakeLoader{docs: dup}, 0, 3, 2, 1)

	n, _ := db.Collection("things").CountDocuments(ctx, bson.D{})
	r, _ := db.Collection("things_rejects").CountDocuments(ctx, bson.D{})
	if n != 32 || r != 2 {
		t.Fatalf("collections hold %d documents and %d rejects, want 32 and 2", n, r)
	}
	var d bson.M
	if err := db.Collection("things_rejects").FindOne(ctx, bson.D{{Key: "line", Value: 50}}).Decode(&d); err != nil || d["reason"] != "duplicate key" {
		t.Fatalf("duplicate reject: %v %v", d, err)
	}
	var got bson.M
	if err := db.Collection("things").FindOne(ctx, bson.D{{Key: "_id", Value: int64(2) << 40}}).Decode(&got); err != nil || got["v"] != int32(2) {
		t.Fatalf("the first record of a duplicate key must win: %v %v", got, err)
	}
}

func TestRunDryRunAndThreshold(t *testing.T) {
	ctx := context.Background()
	rej := []Reject{Rejectf(Loc{File: "f", Line: 3}, "bad", "x"), Rejectf(Loc{File: "f", Line: 4}, "bad", "y")}
	rep, err := Run(ctx, nil, &fakeLoader{docs: things(8, 0), rejects: rej}, Options{DryRun: true, MaxErrorRate: 0.1})
	if !errors.Is(err, ErrTooManyRejects) || !errors.Is(err, fault.ErrVerification) {
		t.Fatalf("want ErrTooManyRejects, got %v", err)
	}
	if rep.Read != 10 || rep.Docs != 8 || rep.Rejected != 2 || rep.Inserted != 0 || rep.ErrorRate != 0.2 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Reasons) != 1 || rep.Reasons[0] != (ReasonCount{"bad", 2}) || len(rep.Samples) != 2 {
		t.Fatalf("reasons %v samples %v", rep.Reasons, rep.Samples)
	}
}

func TestProbeHelpers(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	c := db.Collection("p")
	var docs []any
	for i, k := range []string{"a", "a", "b", "a", "c"} {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: k}, {Key: "n", Value: i * 10}})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	counts, err := SumMap(ctx, c, nil, "$k", "")
	if err != nil || counts["a"] != 3 || counts["b"] != 1 {
		t.Fatalf("counts %v %v", counts, err)
	}
	top, err := GroupSum(ctx, c, nil, "$k", "n", true, 1)
	if err != nil || len(top) != 1 || top[0].Key != "a" || top[0].Value != 40 {
		t.Fatalf("top %v %v", top, err)
	}
	m, ok, err := Median(ctx, c, nil, "n")
	if err != nil || !ok || m != 20 {
		t.Fatalf("median %v %v %v", m, ok, err)
	}
	m, ok, err = Median(ctx, c, bson.D{{Key: "k", Value: "a"}}, "n")
	if err != nil || !ok || m != 10 {
		t.Fatalf("median of a %v %v %v", m, ok, err)
	}
}

func TestClaimWritten(t *testing.T) {
	doc := func(id, hash string) pending { return pending{id: id, hash: hash} }
	batch := []pending{doc("a", "h1"), doc("b", "h2"), doc("a", "h1"), doc("c", "h3"), doc("d", "h4")}
	have := map[string]stored{
		keyOf("a"): {hash: "h1", run: "r"},   // written by the unanswered attempt
		keyOf("b"): {hash: "h2", run: "old"}, // an existing document of an earlier load
		keyOf("c"): {hash: "other", run: "r"},
		// d: not found (deleted since)
	}
	dup := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true}
	claimWritten(batch, dup, have, "r")
	// a's first record was inserted by the lost attempt; its repeat, b
	// (exists from before), c (this load wrote other content under that
	// key) and d stay duplicates, resolved as usual.
	want := map[int]bool{1: true, 2: true, 3: true, 4: true}
	if len(dup) != len(want) {
		t.Fatalf("duplicates %v, want %v", dup, want)
	}
	for i := range want {
		if !dup[i] {
			t.Fatalf("duplicates %v, want %v", dup, want)
		}
	}
}
