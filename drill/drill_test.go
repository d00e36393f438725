package drill

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func ts(t uint32) manifest.Timestamp { return manifest.Timestamp{T: t, I: 1} }

func slice(after, upper uint32) catalog.SliceEntry {
	return catalog.SliceEntry{Record: "main/pitr/x.json", After: ts(after), Upper: ts(upper)}
}

func TestChainFrom(t *testing.T) {
	cases := []struct {
		name      string
		end       uint32
		slices    []catalog.SliceEntry
		chain     int
		upper     uint32 // upper of the chain's last slice
		hole      bool
		holeFrom  uint32
		beyond    int
		holeUpper uint32
	}{
		{name: "no slices", end: 100},
		{name: "only older slices", end: 100, slices: []catalog.SliceEntry{slice(50, 60), slice(60, 100)}},
		{name: "continuous", end: 100, slices: []catalog.SliceEntry{slice(100, 110), slice(110, 120), slice(120, 130)}, chain: 3, upper: 130},
		{name: "out of order listing", end: 100, slices: []catalog.SliceEntry{slice(120, 130), slice(100, 110), slice(110, 120)}, chain: 3, upper: 130},
		{name: "straddling the backup's end", end: 105, slices: []catalog.SliceEntry{slice(90, 100), slice(100, 110), slice(110, 120)}, chain: 2, upper: 120},
		{name: "a missing slice", end: 100, slices: []catalog.SliceEntry{slice(100, 110), slice(120, 130), slice(130, 140)}, chain: 1, upper: 110,
			hole: true, holeFrom: 110, beyond: 2, holeUpper: 140},
		{name: "the first slice missing", end: 100, slices: []catalog.SliceEntry{slice(110, 120)}, hole: true, holeFrom: 100, beyond: 1, holeUpper: 120},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chain, h := chainFrom(ts(c.end), c.slices)
			if len(chain) != c.chain {
				t.Fatalf("chain of %d slices, want %d", len(chain), c.chain)
			}
			if c.chain > 0 && chain[len(chain)-1].Upper != ts(c.upper) {
				t.Errorf("chain ends at %s, want %s", chain[len(chain)-1].Upper, ts(c.upper))
			}
			if (h != nil) != c.hole {
				t.Fatalf("hole %+v, want %v", h, c.hole)
			}
			if h != nil && (h.From != ts(c.holeFrom) || h.Beyond != c.beyond || h.Last != ts(c.holeUpper)) {
				t.Errorf("hole %+v, want from %d, %d beyond up to %d", h, c.holeFrom, c.beyond, c.holeUpper)
			}
		})
	}
}

func TestCheckRequest(t *testing.T) {
	until := time.Now()
	cases := []struct {
		id    string
		until time.Time
		ok    bool
	}{
		{"latest", time.Time{}, true},
		{"latest", until, true},
		{"20260102T030405Z-1a2b", time.Time{}, true},
		{"20260102T030405Z-1a2b", until, false},
		{"yesterday", time.Time{}, false},
	}
	for _, c := range cases {
		err := checkRequest(c.id, c.until)
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), "--") {
			t.Errorf("checkRequest(%q, until %v) = %v", c.id, !c.until.IsZero(), err)
		}
	}
}

func TestMeasureAndLimits(t *testing.T) {
	start := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	cases := []struct {
		name              string
		verified, reached time.Time
		maxRTO, maxRPO    time.Duration
		rto, rpo          time.Duration
		want              []string
	}{
		{name: "within both", verified: start.Add(40 * time.Second), reached: start.Add(-20 * time.Second),
			maxRTO: time.Minute, maxRPO: time.Minute, rto: 40 * time.Second, rpo: 20 * time.Second},
		{name: "RTO breached", verified: start.Add(90 * time.Second), reached: start.Add(-20 * time.Second),
			maxRTO: time.Minute, maxRPO: time.Minute, rto: 90 * time.Second, rpo: 20 * time.Second,
			want: []string{"RTO 1m30s exceeds max_rto 1m0s by 30s"}},
		{name: "both breached", verified: start.Add(1500 * time.Millisecond), reached: start.Add(-6 * time.Minute),
			maxRTO: time.Second, maxRPO: 5 * time.Minute, rto: 1500 * time.Millisecond, rpo: 6 * time.Minute,
			want: []string{"RTO 1.5s exceeds max_rto 1s by 500ms", "RPO 6m0s exceeds max_rpo 5m0s by 1m0s"}},
		{name: "not verified: no RTO, RPO still compared", reached: start.Add(-10 * time.Minute),
			maxRTO: time.Second, maxRPO: 5 * time.Minute, rpo: 10 * time.Minute, want: []string{"RPO 10m0s exceeds max_rpo 5m0s by 5m0s"}},
		{name: "point after the start (clock skew)", verified: start.Add(time.Second), reached: start.Add(time.Second),
			maxRTO: time.Minute, maxRPO: time.Minute, rto: time.Second},
		{name: "nothing reached", maxRTO: time.Minute, maxRPO: time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rto, rpo := measure(start, c.verified, c.reached)
			if rto != c.rto || rpo != c.rpo {
				t.Fatalf("measure = %s, %s; want %s, %s", rto, rpo, c.rto, c.rpo)
			}
			got := breaches(rto, rpo, c.maxRTO, c.maxRPO, !c.verified.IsZero(), !c.reached.IsZero())
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("breaches = %q, want %q", got, c.want)
			}
		})
	}
}

func testConfig() *config.Config {
	return &config.Config{File: "citadel.yaml",
		ReplicaSets: []config.ReplicaSet{
			{Name: "main", Members: []config.Member{{Host: "db1.paris:27017"}, {Host: "DB2.lyon"}}},
			{Name: "ingest", Members: []config.Member{{Host: "ing.paris:27018"}}},
			{Name: "scratch", Members: []config.Member{{Host: "scratch.paris:27017"}}},
			{Name: "sneaky", Members: []config.Member{{Host: "db2.lyon:27017"}}},
		},
		Backups: []config.Backup{{Name: "nightly", ReplicaSet: "main"}},
		Ingest:  &config.Ingest{ReplicaSet: "ingest"},
	}
}

func TestResolveTargetRefusesProduction(t *testing.T) {
	cfg := testConfig()
	prod := productionOf(cfg)
	env := map[string]string{
		"PROD_URI":    "mongodb://db1.paris:27017/?replicaSet=main",
		"HOST_URI":    "mongodb://user:secret@db2.lyon/?directConnection=true",
		"INGEST_URI":  "mongodb://other:27017/?replicaSet=ingest",
		"SCRATCH_URI": "mongodb://scratch.paris:27017/?directConnection=true",
		"BAD_URI":     "http://nope",
	}
	cases := []struct {
		target config.DrillTarget
		want   error // nil: accepted
		says   string
	}{
		{config.DrillTarget{ReplicaSet: "scratch"}, nil, ""},
		{config.DrillTarget{ReplicaSet: "main"}, fault.ErrRefused, `replica set "main"`},
		{config.DrillTarget{ReplicaSet: "ingest"}, fault.ErrRefused, `replica set "ingest"`},
		{config.DrillTarget{ReplicaSet: "sneaky"}, fault.ErrRefused, `db2.lyon:27017, a member of production replica set "main"`},
		{config.DrillTarget{ReplicaSet: "nowhere"}, fault.ErrUsage, "nowhere"},
		{config.DrillTarget{URIEnv: "SCRATCH_URI"}, nil, ""},
		{config.DrillTarget{URIEnv: "PROD_URI"}, fault.ErrRefused, `"main"`},
		{config.DrillTarget{URIEnv: "HOST_URI"}, fault.ErrRefused, "db2.lyon"},
		{config.DrillTarget{URIEnv: "INGEST_URI"}, fault.ErrRefused, `"ingest"`},
		{config.DrillTarget{URIEnv: "UNSET_URI"}, fault.ErrUsage, "set UNSET_URI"},
		{config.DrillTarget{URIEnv: "BAD_URI"}, fault.ErrUsage, "BAD_URI"},
		{config.DrillTarget{}, fault.ErrUsage, "no target"},
	}
	for _, c := range cases {
		d := &config.Drill{Name: "weekly", Backup: "nightly", Target: c.target}
		_, err := resolveTarget(cfg, d, prod, func(k string) string { return env[k] })
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%+v: %v", c.target, err)
		case c.want != nil && (err == nil || !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%+v: %v, want %v saying %q", c.target, err, c.want, c.says)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("%+v: the error shows the password: %v", c.target, err)
		}
	}
}

func TestLiveRefusal(t *testing.T) {
	prod := productionOf(testConfig())
	if err := prod.refuse("uri", "main", nil); !errors.Is(err, fault.ErrRefused) {
		t.Errorf("a target answering as set main: %v", err)
	}
	if err := prod.refuse("uri", "scratch", []string{"[::1]:27017", "Db1.Paris"}); !errors.Is(err, fault.ErrRefused) {
		t.Errorf("a target listing a production member: %v", err)
	}
	if err := prod.refuse("uri", "scratch", []string{"scratch.paris:27017"}); err != nil {
		t.Errorf("the scratch set: %v", err)
	}
}

func TestCompareIndexes(t *testing.T) {
	ix := func(name string, key bson.D, opts ...bson.E) bson.D {
		return append(bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: key}, {Key: "name", Value: name}}, opts...)
	}
	id := ix("_id_", bson.D{{Key: "_id", Value: int32(1)}})
	tag := ix("tag_1_n_-1", bson.D{{Key: "tag", Value: int32(1)}, {Key: "n", Value: int32(-1)}})
	uniq := ix("n_1", bson.D{{Key: "n", Value: int32(1)}}, bson.E{Key: "unique", Value: true})
	cases := []struct {
		name      string
		want, got []bson.D
		says      []string
	}{
		{"same", []bson.D{id, tag, uniq}, []bson.D{uniq, id, tag}, nil},
		{"numbers of another type, no v, explicit false",
			[]bson.D{tag}, []bson.D{{{Key: "key", Value: bson.D{{Key: "tag", Value: 1.0}, {Key: "n", Value: int64(-1)}}}, {Key: "name", Value: "tag_1_n_-1"}, {Key: "sparse", Value: false}}}, nil},
		{"missing", []bson.D{id, uniq}, []bson.D{id}, []string{"index n_1 of db.c is missing"}},
		{"lost unique", []bson.D{uniq}, []bson.D{ix("n_1", bson.D{{Key: "n", Value: int32(1)}})}, []string{"index n_1 of db.c differs"}},
		{"key order", []bson.D{tag}, []bson.D{ix("tag_1_n_-1", bson.D{{Key: "n", Value: int32(-1)}, {Key: "tag", Value: int32(1)}})}, []string{"differs"}},
		{"extra", []bson.D{id}, []bson.D{id, uniq}, []string{"index n_1 of db.c is on the target but not in the backup"}},
	}
	for _, c := range cases {
		got := compareIndexes("db.c", c.want, c.got)
		if len(got) != len(c.says) {
			t.Errorf("%s: %q, want %d differences", c.name, got, len(c.says))
			continue
		}
		for i, s := range c.says {
			if !strings.Contains(got[i], s) {
				t.Errorf("%s: %q does not say %q", c.name, got[i], s)
			}
		}
	}
}

func TestReportLines(t *testing.T) {
	r := &Report{Drill: "weekly", ID: "20261201T130000Z-abcd", Backup: "20261201T120000Z-1234", ReplicaSet: "main", Storage: "minio-paris", CrossSite: true,
		Target: "replica set scratch", Location: "s3://backups-paris/citadel", Key: "main/drills/20261201T130000Z-abcd.json",
		Reasons: []string{"RTO 2s exceeds max_rto 1s by 1s"}}
	text := strings.Join(r.Lines(), "\n")
	for _, want := range []string{"drill weekly FAILED", "cross-site", "reason: RTO 2s exceeds max_rto 1s by 1s", "not verified", "report: s3://backups-paris/citadel/main/drills/20261201T130000Z-abcd.json"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestLongestGap(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	cases := []struct {
		name     string
		acks     []time.Time
		from, to int // ms
		want     time.Duration
	}{
		{"steady", at(0, 20, 40, 60, 80), 10, 70, 20 * time.Millisecond},
		{"an election inside", at(0, 20, 40, 2040, 2060), 30, 2050, 2000 * time.Millisecond},
		{"the gap straddles the start", at(0, 1500, 1520), 1000, 1510, 1500 * time.Millisecond},
		{"a gap outside the window is not counted", at(0, 3000, 3020, 3040), 3010, 3030, 20 * time.Millisecond},
		{"no ack after the window opens", at(0, 20), 100, 600, 580 * time.Millisecond},
		{"no ack at all", nil, 100, 600, 500 * time.Millisecond},
	}
	for _, c := range cases {
		got := longestGap(c.acks, t0.Add(time.Duration(c.from)*time.Millisecond), t0.Add(time.Duration(c.to)*time.Millisecond))
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if got := missing([]int64{1, 2, 3, 5}, map[int64]bool{1: true, 3: true, 4: true}); len(got) != 2 || got[0] != 2 || got[1] != 5 {
		t.Errorf("missing = %v, want [2 5]", got)
	}
}

func TestSwitchoverSites(t *testing.T) {
	two, zero := 2.0, 0.0
	rs := &config.ReplicaSet{Name: "main", Members: []config.Member{
		{Host: "p1:27017", Site: "paris", Priority: &two}, {Host: "p2:27017", Site: "paris"},
		{Host: "lb:27017", Site: "lyon", Hidden: true, Priority: &zero}, {Host: "l1:27017", Site: "lyon"}}}
	if home, away, err := sites(rs, "P1:27017"); home != "paris" || away != "lyon" || err != nil {
		t.Errorf("from p1: %q %q %v", home, away, err)
	}
	if home, away, err := sites(rs, "l1:27017"); home != "lyon" || away != "paris" || err != nil {
		t.Errorf("from l1: %q %q %v", home, away, err)
	}
	rs.Members = rs.Members[:3] // Lyon keeps only its hidden member
	if _, _, err := sites(rs, "p1:27017"); !errors.Is(err, fault.ErrRefused) {
		t.Errorf("no electable member in Lyon: %v", err)
	}
	if _, _, err := sites(rs, "x:1"); err == nil {
		t.Error("a primary outside the file was accepted")
	}
}
