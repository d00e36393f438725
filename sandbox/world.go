package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/loopback"
	"github.com/noscites/citadel/internal/minioproc"
	"github.com/noscites/citadel/internal/mongosim"
)

// Timings of the simulated sets: short elections so a switchover takes
// seconds, not mongod's 10 s default; the sandbox's load is small enough
// that a busy primary is not voted out.
const (
	electionTimeout   = 3 * time.Second
	heartbeatInterval = 500 * time.Millisecond
)

// member is one simulated member as the config declares it.
type member struct {
	name, site string
	host       string
	priority   float64
	votes      int
	hidden     bool
}

// world is what the sandbox starts: the simulated sets, a storage per
// site, the config file describing all of it.
type world struct {
	dir      string
	main     []member
	scratch  member
	storages []siteStorage
	secrets  secrets
	coord    struct{ raft, http string }
	cfgPath  string
	cfg      *config.Config
	sim      *mongosim.Sim
	minio    []*minioproc.Server
}

// siteStorage is one site's backup storage: a MinIO bucket or a directory.
type siteStorage struct {
	name, site string
	endpoint   string // MinIO's, "" for a directory
	path       string // the directory, "" for MinIO
}

// secrets are written to files the config names (never in the config).
type secrets struct {
	dir                         string
	accessKey, secretKey, token string
	pseudonymKey                string
}

func (s secrets) file(name string) string { return filepath.Join(s.dir, name) }

// newWorld lays out the hosts and secrets of a sandbox in dir.
func newWorld(dir string) (*world, error) {
	w := &world{dir: dir}
	layout := []member{
		{name: "p1", site: "paris", priority: 2, votes: 1},
		{name: "p2", site: "paris", priority: 1, votes: 1},
		{name: "l1", site: "lyon", priority: 0.5, votes: 1},
		{name: "lb", site: "lyon", hidden: true},
	}
	for _, m := range layout {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		m.host = addr
		w.main = append(w.main, m)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	w.scratch = member{name: "s1", site: "lyon", host: addr, priority: 1, votes: 1}
	if w.coord.raft, err = freeAddr(); err != nil {
		return nil, err
	}
	if w.coord.http, err = freeAddr(); err != nil {
		return nil, err
	}
	w.secrets = secrets{dir: filepath.Join(dir, "secrets"), accessKey: "citadel-sandbox",
		secretKey: randomHex(16), token: randomHex(16), pseudonymKey: randomHex(16)}
	if err := os.MkdirAll(w.secrets.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the secrets directory: %w", err)
	}
	for name, v := range map[string]string{"minio-access-key": w.secrets.accessKey, "minio-secret-key": w.secrets.secretKey,
		"coordinator-token": w.secrets.token, "pseudonym-key": w.secrets.pseudonymKey} {
		if err := os.WriteFile(w.secrets.file(name), []byte(v+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write secret %s: %w", name, err)
		}
	}
	return w, nil
}

// replicaSets are the two simulated sets as config values.
func (w *world) replicaSets() []config.ReplicaSet {
	settings := config.RSSettings{ElectionTimeout: config.Duration(electionTimeout), HeartbeatInterval: config.Duration(heartbeatInterval)}
	toConfig := func(m member) config.Member {
		p, v := m.priority, m.votes
		return config.Member{Host: m.host, Site: m.site, Priority: &p, Votes: &v, Hidden: m.hidden}
	}
	main := config.ReplicaSet{Name: "main", Settings: settings}
	for _, m := range w.main {
		main.Members = append(main.Members, toConfig(m))
	}
	scratch := config.ReplicaSet{Name: "scratch", Settings: settings, Members: []config.Member{toConfig(w.scratch)}}
	return []config.ReplicaSet{main, scratch}
}

// startSim starts every member, uninitiated (cluster apply initiates them).
func (w *world) startSim(ctx context.Context) error {
	sim, err := mongosim.Start(ctx, mongosim.Options{Sets: w.replicaSets(), DataDir: filepath.Join(w.dir, "members"),
		ElectionTimeout: electionTimeout, HeartbeatInterval: heartbeatInterval, OplogMaxBytes: 256 << 20})
	if err != nil {
		return fmt.Errorf("start the simulated replica sets: %w", err)
	}
	w.sim = sim
	return nil
}

// startStorages starts a MinIO per site when its binary is found, else
// lays out a directory per site.
func (w *world) startStorages(ctx context.Context) error {
	bin := minioBinary()
	for _, site := range []string{"lyon", "paris"} {
		if bin == "" {
			w.storages = append(w.storages, siteStorage{name: "fs-" + site, site: site, path: filepath.Join(w.dir, "storage-"+site)})
			continue
		}
		m, err := startMinIO(ctx, bin, filepath.Join(w.dir, "minio-"+site), w.secrets.accessKey, w.secrets.secretKey)
		if err != nil {
			return err
		}
		w.minio = append(w.minio, m)
		w.storages = append(w.storages, siteStorage{name: "minio-" + site, site: site, endpoint: m.Endpoint})
	}
	return nil
}

// close stops what runs, in reverse order of start.
func (w *world) close() {
	if w.sim != nil {
		w.sim.Close()
	}
	for _, m := range w.minio {
		m.Stop()
	}
}

// freeAddr picks a member's or a service's address before it starts
// (below the ephemeral range: see internal/loopback).
func freeAddr() (string, error) { return loopback.Free() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
