package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/noscites/citadel/config"
)

// Names the sandbox's config gives its jobs.
const (
	BackupJob = "nightly"
	DrillName = "sandbox"
	NodeID    = "sandbox"
	Database  = "opendata"
)

// writeConfig writes the citadel config of the whole sandbox and loads it
// back through config.Load, so every later step (and every command the
// summary suggests) reads the same validated file.
func (w *world) writeConfig() error {
	var b strings.Builder
	b.WriteString("# citadel sandbox: every site here is SIMULATED on this machine (mongosim members,\n" +
		"# one storage per site). Written by `citadel sandbox`; removed when it stops.\n")
	b.WriteString("sites:\n  - {name: paris, description: simulated Paris site (sandbox)}\n" +
		"  - {name: lyon, description: simulated Lyon site (sandbox)}\n")
	b.WriteString("mongodb:\n  connect_timeout: 30s\n")
	w.writeSets(&b)
	w.writeStorages(&b)
	lyon, paris := w.storages[0].name, w.storages[1].name
	fmt.Fprintf(&b, "backups:\n  - name: %s\n    replica_set: main\n    storage: %s\n    schedule: \"*/10 * * * *\"   # every 10 minutes\n"+
		"    copy_to: [%s]\n    retention: {daily: 7}\n    pitr: {enabled: true, slice: 10s}\n    source: {prefer: hidden}\n    parallelism: 2\n",
		BackupJob, lyon, paris)
	fmt.Fprintf(&b, "drills:\n  - name: %s\n    backup: %s\n    schedule: \"5,35 * * * *\"    # twice an hour\n"+
		"    target: {replica_set: scratch}\n    max_rto: 5m\n    max_rpo: 5m\n", DrillName, BackupJob)
	fmt.Fprintf(&b, "coordinator:\n  node_id: %s\n  data_dir: %q\n  token_file: %q\n  catch_up_window: 1m\n"+
		"  heartbeat_interval: 1s\n  lease_ttl: 4s\n  retry_backoff: 10s\n  nodes:\n"+
		"    - {id: %s, site: paris, raft_address: %q, http_address: %q}\n",
		NodeID, filepath.Join(w.dir, "coordinator"), w.secrets.file("coordinator-token"), NodeID, w.coord.raft, w.coord.http)
	fmt.Fprintf(&b, "ingest:\n  replica_set: main\n  database: %s\n  pseudonym_key_file: %q\n", Database, w.secrets.file("pseudonym-key"))
	fmt.Fprintf(&b, "audit:\n  path: %q\n", filepath.Join(w.dir, "audit.jsonl"))
	w.cfgPath = filepath.Join(w.dir, "citadel.yaml")
	if err := os.WriteFile(w.cfgPath, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write the sandbox config: %w", err)
	}
	cfg, err := config.Load(w.cfgPath, nil)
	if err != nil {
		return fmt.Errorf("load the sandbox config: %w", err)
	}
	w.cfg = cfg
	return nil
}

func (w *world) writeSets(b *strings.Builder) {
	b.WriteString("replica_sets:\n")
	for _, rs := range w.replicaSets() {
		fmt.Fprintf(b, "  - name: %s\n    settings: {election_timeout: %s, heartbeat_interval: %s}\n    members:\n",
			rs.Name, rs.Settings.ElectionTimeout, rs.Settings.HeartbeatInterval)
		for _, m := range rs.Members {
			fmt.Fprintf(b, "      - {host: %q, site: %s, priority: %v, votes: %d", m.Host, m.Site, m.EffectivePriority(), m.EffectiveVotes())
			if m.Hidden {
				b.WriteString(", hidden: true")
			}
			fmt.Fprintf(b, ", tags: {site: %s}}\n", m.Site)
		}
	}
}

func (w *world) writeStorages(b *strings.Builder) {
	b.WriteString("storages:\n")
	for _, s := range w.storages {
		fmt.Fprintf(b, "  - name: %s\n    site: %s\n", s.name, s.site)
		if s.endpoint == "" {
			fmt.Fprintf(b, "    filesystem: {path: %q}\n", s.path)
			continue
		}
		fmt.Fprintf(b, "    s3: {endpoint: %q, bucket: citadel-backups, prefix: citadel, access_key_file: %q, secret_key_file: %q}\n",
			s.endpoint, w.secrets.file("minio-access-key"), w.secrets.file("minio-secret-key"))
	}
}
