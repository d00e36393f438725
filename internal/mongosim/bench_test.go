package mongosim

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

const benchDocs = 20000

func benchDoc(i int) bson.D {
	return bson.D{{Key: "_id", Value: i}, {Key: "name", Value: "listing " + strconv.Itoa(i)},
		{Key: "city", Value: "paris"}, {Key: "price", Value: float64(i%500) + 0.5},
		{Key: "tags", Value: bson.A{"a", "b"}}, {Key: "note", Value: strings.Repeat("x", 60)}}
}

// load inserts benchDocs documents in batches of 1000.
func load(b *testing.B, c *mongo.Client, coll string) time.Duration {
	ctx := context.Background()
	col := c.Database("bench").Collection(coll)
	start := time.Now()
	for i := 0; i < benchDocs; i += 1000 {
		docs := make([]any, 0, 1000)
		for j := i; j < i+1000; j++ {
			docs = append(docs, benchDoc(j))
		}
		if _, err := col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// scan reads the whole collection back.
func scan(b *testing.B, c *mongo.Client, coll string) time.Duration {
	ctx := context.Background()
	start := time.Now()
	cur, err := c.Database("bench").Collection(coll).Find(ctx, bson.D{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for cur.Next(ctx) {
		n++
	}
	if n != benchDocs {
		b.Fatalf("scanned %d", n)
	}
	return time.Since(start)
}

// bestScan scans twice and keeps the faster: the first scan after a load
// can pay for the storage engine settling, which is not the proxy's cost.
func bestScan(b *testing.B, c *mongo.Client, coll string) time.Duration {
	return min(scan(b, c, coll), scan(b, c, coll))
}

// BenchmarkDataPath compares inserts and a full scan through a mongosim
// primary (a one-member set, so no replication competes for the CPU) with
// the same member's FerretDB reached directly, in one run.
func BenchmarkDataPath(b *testing.B) {
	rs := config.ReplicaSet{Name: "bench", Members: []config.Member{{Host: testbed.FreeAddr(b), Site: "paris"}}}
	rs.Settings.ElectionTimeout = config.Duration(testElection)
	rs.Settings.HeartbeatInterval = config.Duration(testHeartbeat)
	s := startSim(b, rs)
	initiate(b, s, rs)
	viaSim := setClient(b, rs, options.Client().SetWriteConcern(writeconcern.W1()))
	directC, err := mongo.Connect(options.Client().ApplyURI(s.Member(rs.Members[0].Host).FerretURI()))
	if err != nil {
		b.Fatal(err)
	}
	defer directC.Disconnect(context.Background())
	warm(b, directC, "warm_direct")
	warm(b, viaSim, "warm_sim")
	for i := 0; i < b.N; i++ {
		dColl, sColl := fmt.Sprintf("direct%d", i), fmt.Sprintf("sim%d", i)
		dIns := load(b, directC, dColl)
		sIns := load(b, viaSim, sColl)
		dScan := bestScan(b, directC, dColl)
		sScan := bestScan(b, viaSim, sColl)
		b.Logf("%d docs: insert direct %v, via mongosim %v (ratio %.2f); full scan direct %v, via mongosim %v (ratio %.2f)",
			benchDocs, dIns.Round(time.Millisecond), sIns.Round(time.Millisecond), float64(sIns)/float64(dIns),
			dScan.Round(time.Millisecond), sScan.Round(time.Millisecond), float64(sScan)/float64(dScan))
		b.ReportMetric(float64(sIns)/float64(dIns), "insert-ratio")
		b.ReportMetric(float64(sScan)/float64(dScan), "scan-ratio")
	}
}

// BenchmarkRSS5Members measures the process's resident memory with a
// five-member set holding 100,000 documents on every member.
func BenchmarkRSS5Members(b *testing.B) {
	rs := twoSite(b)
	rs.Members = append(rs.Members, config.Member{Host: testbed.FreeAddr(b), Site: "lyon", Priority: ptr(0.5)})
	s := startSim(b, rs)
	initiate(b, s, rs)
	c := setClient(b, rs, options.Client().SetWriteConcern(writeconcern.W1()))
	ctx := context.Background()
	col := c.Database("bench").Collection("rss")
	const total = 100000
	for i := 0; i < total; i += 5000 {
		docs := make([]any, 0, 5000)
		for j := i; j < i+5000; j++ {
			docs = append(docs, benchDoc(j))
		}
		if _, err := col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	waitFor(b, 10*time.Minute, "replication to every member", func() bool {
		for _, st := range s.State() {
			if st.OplogSize < total {
				return false
			}
		}
		return true
	})
	b.Logf("5 members, %d documents each: replicated in %v after the last insert; RSS %s", total, time.Since(start).Round(time.Millisecond), rss())
}

// warm runs a small load and scan so neither path pays first-use costs.
func warm(b *testing.B, c *mongo.Client, coll string) {
	ctx := context.Background()
	col := c.Database("bench").Collection(coll)
	docs := make([]any, 0, 500)
	for j := 0; j < 500; j++ {
		docs = append(docs, benchDoc(j))
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	if cur, err := col.Find(ctx, bson.D{}); err == nil {
		for cur.Next(ctx) {
		}
		cur.Close(ctx)
	}
}

func ptr(f float64) *float64 { return &f }

func rss() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	return "unknown"
}
