// Package ingesttest holds what every dataset's tests share: a database on
// a real embedded FerretDB and the table check of canned probes. Like
// net/http/httptest, it is imported by tests only.
package ingesttest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/test/testbed"
)

// DB starts an embedded FerretDB for the test and returns its "opendata"
// database; the server and the client are closed when the test ends.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	return testbed.Connect(t, testbed.StartFerretDBT(t).URI()).Database("opendata")
}

// ProbeCase is one expected answer: the probe's rows as JSON.
type ProbeCase struct {
	Name string
	Args ingest.ProbeArgs
	Want string
}

// CheckProbes runs each case's probe and compares its rows, as JSON, with
// the expected answer. An unknown probe name is an error, and so is a probe
// that does not declare its arguments with ingest.Takes (`citadel report`
// checks arguments with a nil database before it connects).
func CheckProbes(t *testing.T, db *mongo.Database, probes []ingest.Probe, cases []ProbeCase) {
	t.Helper()
	byName := map[string]ingest.Probe{}
	for _, p := range probes {
		byName[p.Name] = p
		if err := checksOnly(p); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	for _, tc := range cases {
		p, ok := byName[tc.Name]
		if !ok {
			t.Errorf("no probe named %q", tc.Name)
			continue
		}
		tab, err := p.Run(context.Background(), db, tc.Args)
		if err != nil {
			t.Errorf("%s: %v", tc.Name, err)
			continue
		}
		got, _ := json.Marshal(tab.Rows)
		if string(got) != tc.Want {
			t.Errorf("%s %v:\n got %s\nwant %s", tc.Name, tc.Args, got, tc.Want)
		}
	}
}

// checksOnly runs p without a database: built with ingest.Takes, it only
// checks its (absent) arguments and returns nothing.
func checksOnly(p ingest.Probe) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("without a database Run panicked (%v): declare its arguments with ingest.Takes", r)
		}
	}()
	if tab, err := p.Run(context.Background(), nil, nil); tab != nil || err != nil {
		return fmt.Errorf("without a database Run must only check its arguments (ingest.Takes), got %v, %v", tab, err)
	}
	return nil
}

// Reasons maps a report's rejection reasons to their counts.
func Reasons(rep *ingest.Report) map[string]int64 {
	m := map[string]int64{}
	for _, r := range rep.Reasons {
		m[r.Reason] = r.Count
	}
	return m
}

// Find returns the first document of coll matching filter, and fails the
// test when there is none.
func Find(t testing.TB, coll *mongo.Collection, filter bson.D) bson.M {
	t.Helper()
	var d bson.M
	if err := coll.FindOne(context.Background(), filter).Decode(&d); err != nil {
		t.Fatalf("find %v in %s: %v", filter, coll.Name(), err)
	}
	return d
}

// FindID is Find by _id.
func FindID(t testing.TB, coll *mongo.Collection, id any) bson.M {
	t.Helper()
	return Find(t, coll, bson.D{{Key: "_id", Value: id}})
}
