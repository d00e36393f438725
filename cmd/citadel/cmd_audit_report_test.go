package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/fixtureset"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/test/testbed"
)

// TestAuditReportCommand: `citadel audit-report` on a simulated set that
// requires neither authentication nor TLS lists both for its member, and
// citadel's own lack of credentials and TLS; with the supermarket loaded
// with --keep-personal-data it has a critical finding (exit 3); without,
// it exits 0. On mongosim the roles of citadel's user cannot be checked
// (a medium finding, not a pass), the default write concern is read, and
// a set without a backup job is a high finding. The HTML page is one file with inline CSS, and renders in
// headless Chromium.
func TestAuditReportCommand(t *testing.T) {
	host := startOneMemberSet(t)
	dir := t.TempDir()
	trail := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(trail, []byte(`{"time":"2026-12-01T10:00:00Z","who":"alice","action":"ingest supermarket","target":"opendata","outcome":"ok"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "citadel.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: paris\n  - name: lyon\nreplica_sets:\n  - name: main\n    members:\n      - host: %s\n        site: paris\naudit:\n  path: %s\n", host, trail)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// The datasets' database: SuperSmartMarket pseudonymised, then in clear.
	srv := testbed.StartFerretDBT(t)
	client := testbed.Connect(t, srv.URI())
	files := fixtureset.Write(t, t.TempDir())
	load := func(db string, keep bool) {
		l, err := supermarket.New(files.Sales, files.Logs, fixtureset.PseudonymKey, keep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(context.Background(), client.Database(db), l, ingest.Options{MaxErrorRate: 1}); err != nil {
			t.Fatal(err)
		}
	}
	load("pseudonymised", false)
	load("clear", true)

	code, out, errOut := runCLI(t, "", "--config", cfg, "-o", "json", "audit-report", "--uri", srv.URI(), "--database", "pseudonymised")
	var rep struct {
		Findings []struct{ Severity, Check, Target, Evidence, Fix string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("pseudonymised: exit %d\n%s\n%s", code, out, errOut)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Check+" "+f.Target] = f.Severity
		if f.Severity != "info" && f.Fix == "" {
			t.Errorf("%s %s: no fix", f.Check, f.Target)
		}
	}
	for key, sev := range map[string]string{"authentication main/" + host: "high", "tls main/" + host: "high",
		"authentication citadel": "high", "tls citadel": "high", "audit_trail " + trail: "info", "quorum main@paris": "medium",
		// mongosim reports no authenticated user: the roles cannot be
		// checked, which is no pass; the default write concern is
		// majority only implicitly; no backup job for main.
		"roles main": "medium", "write_concern main": "low", "oplog_window main": "info", "backup_age main": "high"} {
		if got[key] != sev {
			t.Errorf("finding %q: severity %q, want %q (findings %v)", key, got[key], sev, got)
		}
	}
	if _, ok := got["personal_data pseudonymised.sm_employees"]; ok {
		t.Errorf("pseudonymised employees reported as personal data: %v", got)
	}

	page := filepath.Join(dir, "audit.html")
	code, out, errOut = runCLI(t, "", "--config", cfg, "audit-report", "--uri", srv.URI(), "--database", "clear", "--out", page)
	if code != 3 || !tableHasRow(out, "CRITICAL", "personal_data", "clear.sm_employees", "personal", "data", "in", "clear") ||
		!strings.HasPrefix(errOut, "citadel: audit-report: 1 critical finding(s), first clear.sm_employees: personal data in clear") {
		t.Fatalf("clear: exit %d\n%s\n%s", code, out, errOut)
	}
	html, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(html), "<style>") || strings.Contains(string(html), "<script") || strings.Contains(string(html), "<link") ||
		strings.Index(string(html), "CRITICAL") > strings.Index(string(html), "HIGH") {
		t.Fatalf("HTML page: %v\n%s", err, html)
	}
	screenshot(t, page)

	if code, _, errOut = runCLI(t, "", "--config", cfg, "audit-report", "--out", "x.pdf"); code != 2 || !strings.HasPrefix(errOut, "citadel: audit-report: --out x.pdf: name an .html file") {
		t.Errorf("--out x.pdf: exit %d %s", code, errOut)
	}
}

// screenshot renders the page in headless Chromium into the test's
// directory (CITADEL_SCREENSHOT_DIR keeps it) and checks a PNG came out.
func screenshot(t *testing.T, page string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testbed.Unavailable(t, "chromium", err)
	}
	dir := os.Getenv("CITADEL_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	png := filepath.Join(dir, "audit-report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(),
		"--window-size=1200,1600", "--screenshot="+png, "file://"+page)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, msg)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("no screenshot of %s: %v", page, err)
	}
}

// initiate makes host a one-member set and waits (bounded) for it to be
// primary: an uninitiated member refuses listDatabases as mongod does.
// startOneMemberSet starts a one-member simulated set "main" (site
// paris) on a free port, initiated and writable, stopped at cleanup.
func startOneMemberSet(t *testing.T) string {
	t.Helper()
	host := testbed.FreeAddr(t)
	rs := config.ReplicaSet{Name: "main", Members: []config.Member{{Host: host, Site: "paris"}}}
	sim, err := mongosim.Start(context.Background(), mongosim.Options{Sets: []config.ReplicaSet{rs}, DataDir: t.TempDir()})
	if err != nil {
		testbed.Unavailable(t, "mongosim", err)
	}
	t.Cleanup(sim.Close)
	initiate(t, host)
	return host
}

func initiate(t *testing.T, host string) {
	t.Helper()
	ctx := context.Background()
	c := testbed.Connect(t, "mongodb://"+host+"/?directConnection=true")
	admin := c.Database("admin")
	conf := bson.D{{Key: "_id", Value: "main"}, {Key: "members", Value: bson.A{bson.D{{Key: "_id", Value: 0}, {Key: "host", Value: host}}}}}
	if err := admin.RunCommand(ctx, bson.D{{Key: "replSetInitiate", Value: conf}}).Err(); err != nil {
		t.Fatalf("replSetInitiate on %s: %v", host, err)
	}
	for range 100 {
		var hello struct {
			IsWritablePrimary bool `bson:"isWritablePrimary"`
		}
		if admin.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello) == nil && hello.IsWritablePrimary {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not become primary", host)
}
