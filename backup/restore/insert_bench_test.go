package restore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/noscites/citadel/test/testbed"
)

// BenchmarkInsertPaths (issue 10, defect 7): the same batches of raw
// documents inserted three ways into the same FerretDB in one run: the
// restore's inserter (the driver's bulk insert of bson.Raw, retryable),
// the driver's bulk insert with retryable writes off, and the insert
// command assembled from bsoncore documents and sent with RunCommand (the
// first version). Each prints its rate against the RunCommand one.
func BenchmarkInsertPaths(b *testing.B) {
	ctx := context.Background()
	uri := testbed.StartFerretDBT(b).URI()
	c := testbed.Connect(b, uri)
	noRetry, err := mongo.Connect(options.Client().ApplyURI(uri).SetRetryWrites(false))
	if err != nil {
		b.Fatal(err)
	}
	defer noRetry.Disconnect(ctx)
	const batches, size = 40, 1000
	docs := make([][]bson.Raw, batches)
	for k := range docs {
		for i := range size {
			d, _ := bson.Marshal(bson.D{{Key: "_id", Value: k*size + i}, {Key: "text", Value: strings.Repeat(fmt.Sprintf("listing %d ", i), 25)}})
			docs[k] = append(docs[k], d)
		}
	}
	run := func(name string, insert func(coll string, batch []bson.Raw) error) float64 {
		start := time.Now()
		for _, batch := range docs {
			if err := insert(name, batch); err != nil {
				b.Fatal(err)
			}
		}
		return float64(batches*size) / time.Since(start).Seconds()
	}
	for b.Loop() {
		suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
		cmdRate := run("cmd"+suffix, func(coll string, batch []bson.Raw) error {
			idx, cmd := bsoncore.AppendDocumentStart(nil)
			cmd = bsoncore.AppendStringElement(cmd, "insert", coll)
			aidx, cmd := bsoncore.AppendArrayElementStart(cmd, "documents")
			for i, d := range batch {
				cmd = bsoncore.AppendDocumentElement(cmd, strconv.Itoa(i), d)
			}
			cmd, _ = bsoncore.AppendArrayEnd(cmd, aidx)
			cmd = bsoncore.AppendBooleanElement(cmd, "ordered", false)
			cmd, _ = bsoncore.AppendDocumentEnd(cmd, idx)
			return c.Database("bench").RunCommand(ctx, bson.Raw(cmd)).Err()
		})
		in := newInserter(c.Database("bench"), "driver"+suffix, false)
		driverRate := run("driver"+suffix, func(_ string, batch []bson.Raw) error { return in.insert(ctx, batch) })
		nr := newInserter(noRetry.Database("bench"), "noretry"+suffix, false)
		noRetryRate := run("noretry"+suffix, func(_ string, batch []bson.Raw) error { return nr.insert(ctx, batch) })
		b.Logf("insert of %d raw documents: restore's driver bulk insert %.0f docs/s = %.2f× RunCommand (%.0f docs/s); without retryable writes %.0f docs/s = %.2f×",
			batches*size, driverRate, driverRate/cmdRate, cmdRate, noRetryRate, noRetryRate/cmdRate)
		b.ReportMetric(driverRate/cmdRate, "ratio")
	}
}
