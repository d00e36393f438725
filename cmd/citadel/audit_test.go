package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
)

// TestAuditTrailFromConfig: the trail built from the config appends one
// JSON line per action to audit.path and logs it at info level.
func TestAuditTrailFromConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var logs bytes.Buffer
	e := &env{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	tr := e.auditTrail(&config.Config{Audit: &config.Audit{Path: path}})
	tr.Record(context.Background(), "backup.prune", "minio-lyon", map[string]any{"dry_run": false}, errors.New("boom"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r audit.Record
	if err := json.Unmarshal(bytes.TrimSpace(data), &r); err != nil || bytes.Count(data, []byte("\n")) != 1 {
		t.Fatalf("audit file %q: %v", data, err)
	}
	if r.Action != "backup.prune" || r.Target != "minio-lyon" || r.Outcome != audit.Failed || r.Error != "boom" || r.Who == "" || r.Time.IsZero() {
		t.Errorf("record %+v", r)
	}
	if !strings.Contains(logs.String(), "msg=audit") || !strings.Contains(logs.String(), "action=backup.prune") {
		t.Errorf("log: %s", logs.String())
	}
	// Without a config (or an audit section), the log only.
	(&env{}).auditTrail(nil).Record(context.Background(), "ingest.load", "opendata.listings", nil, nil)
}
