package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// Timings of the simulated sets: short, so the scenarios run in seconds.
const (
	e2eElection  = time.Second
	e2eHeartbeat = 200 * time.Millisecond
)

// world is a running two-site simulation: five hosts (p1, p2 in Paris;
// l1, lb, l2 in Lyon), and a directory for citadel's config files.
type world struct {
	sim   *mongosim.Sim
	host  map[string]string // p1 → 127.0.0.1:port
	dir   string
	data  string // the simulator's data directory (each member's dbPath under it)
	wrote int
	extra string // YAML appended to every config written (storages, backups)
}

func startWorld(t *testing.T) *world { return startWorldOplog(t, 0) }

// startWorldOplog starts the world with each member's oplog capped at
// oplogMax bytes (0: the simulator's default).
func startWorldOplog(t *testing.T, oplogMax int) *world {
	t.Helper()
	w := &world{host: map[string]string{}, dir: t.TempDir(), data: t.TempDir()}
	rs := config.ReplicaSet{Name: "main"}
	rs.Settings.ElectionTimeout = config.Duration(e2eElection)
	rs.Settings.HeartbeatInterval = config.Duration(e2eHeartbeat)
	for _, n := range []string{"p1", "p2", "l1", "lb", "l2"} {
		w.host[n] = testbed.FreeAddr(t)
		site := map[byte]string{'p': "paris", 'l': "lyon"}[n[0]]
		rs.Members = append(rs.Members, config.Member{Host: w.host[n], Site: site})
	}
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{rs}, DataDir: w.data,
		ElectionTimeout: e2eElection, HeartbeatInterval: e2eHeartbeat, OplogMaxBytes: oplogMax})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	w.sim = sim
	return w
}

// member is one line of a citadel config's member list.
type member struct {
	name  string
	extra string // YAML flow fields after host and site
}

// config writes a citadel config with these members and returns its path.
func (w *world) config(t *testing.T, ms ...member) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sites:\n  - name: paris\n  - name: lyon\nmongodb:\n  connect_timeout: 2s\nreplica_sets:\n  - name: main\n")
	fmt.Fprintf(&b, "    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n", e2eElection, e2eHeartbeat)
	for _, m := range ms {
		site := map[byte]string{'p': "paris", 'l': "lyon"}[m.name[0]]
		fmt.Fprintf(&b, "      - {host: %q, site: %s, tags: {site: %s}%s}\n", w.host[m.name], site, site, m.extra)
	}
	b.WriteString(w.extra)
	w.wrote++
	path := filepath.Join(w.dir, fmt.Sprintf("citadel-%d.yaml", w.wrote))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// layoutA is the example's shape: p1 preferred, p2, l1 at 0.5, lb hidden
// without a vote.
func (w *world) layoutA(t *testing.T) string {
	return w.config(t,
		member{name: "p1", extra: ", priority: 2"}, member{name: "p2"},
		member{name: "l1", extra: ", priority: 0.5"}, member{name: "lb", extra: ", hidden: true, priority: 0, votes: 0"})
}

// run runs citadel with a config and returns its exit code and outputs,
// logging the command and its table output for the record.
func run(t *testing.T, cfg string, args ...string) (int, string, string) {
	t.Helper()
	start := time.Now()
	code, out, errOut := citadel(t, nil, append([]string{"--config", cfg}, args...)...)
	shown := out
	if args[0] == "-o" {
		shown = "(json output)\n"
	}
	t.Logf("$ citadel %s  → exit %d in %s\n%s%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), shown, errOut)
	return code, out, errOut
}

// status returns the -o json status of the set.
func status(t *testing.T, cfg string) statusJSON {
	t.Helper()
	code, out, errOut := citadel(t, nil, "--config", cfg, "-o", "json", "cluster", "status")
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	var doc struct {
		Sets []statusJSON `json:"replica_sets"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Sets) != 1 {
		t.Fatalf("status json: %v\n%s", err, out)
	}
	return doc.Sets[0]
}

type statusJSON struct {
	Primary       string `json:"primary"`
	ConfigVersion int    `json:"config_version"`
	Members       []struct {
		Host     string  `json:"host"`
		Site     string  `json:"site"`
		State    string  `json:"state"`
		Health   bool    `json:"health"`
		Priority float64 `json:"priority"`
		Votes    int     `json:"votes"`
		Hidden   bool    `json:"hidden"`
		InConfig bool    `json:"in_config"`
	} `json:"members"`
	Sites struct {
		MajoritySite string `json:"majority_site"`
	} `json:"sites"`
}

func (s statusJSON) member(host string) (m struct {
	Host     string  `json:"host"`
	Site     string  `json:"site"`
	State    string  `json:"state"`
	Health   bool    `json:"health"`
	Priority float64 `json:"priority"`
	Votes    int     `json:"votes"`
	Hidden   bool    `json:"hidden"`
	InConfig bool    `json:"in_config"`
}) {
	for _, x := range s.Members {
		if x.Host == host {
			return x
		}
	}
	return m
}

// setClient connects to the set like an application.
func (w *world) setClient(t *testing.T, names ...string) *mongo.Client {
	t.Helper()
	var hosts []string
	for _, n := range names {
		hosts = append(hosts, w.host[n])
	}
	c, err := mongo.Connect(options.Client().SetHosts(hosts).SetReplicaSet("main").
		SetServerSelectionTimeout(10 * time.Second).SetReadPreference(readpref.Primary()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func insert(t *testing.T, c *mongo.Client, wc *writeconcern.WriteConcern, docs int, tag string) {
	t.Helper()
	coll := c.Database("app").Collection("orders", options.Collection().SetWriteConcern(wc))
	for i := range docs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := coll.InsertOne(ctx, bson.D{{Key: "tag", Value: tag}, {Key: "n", Value: i}})
		cancel()
		if err != nil {
			t.Fatalf("insert %s %d: %v", tag, i, err)
		}
	}
}
