package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/storage/s3"
)

// auditFinding is one finding of audit-report -o json.
type auditFinding struct{ Severity, Check, Target, Title, Evidence, Fix string }

// auditReport runs audit-report -o json and returns its exit code and
// findings keyed by "check target".
func auditReport(t *testing.T, w *bkWorld) (int, map[string]auditFinding) {
	t.Helper()
	code, out, errOut := w.citadel(t, "-o", "json", "audit-report")
	var rep struct {
		Findings   []auditFinding
		NotChecked []string `json:"not_checked"`
	}
	bkJSON(t, out, &rep)
	var list strings.Builder
	defer func() { t.Logf("audit-report exit %d, findings:\n%s", code, list.String()) }()
	got := map[string]auditFinding{}
	for _, f := range rep.Findings {
		got[f.Check+" "+f.Target] = f
		fmt.Fprintf(&list, "%-8s %-14s %s: %s\n", f.Severity, f.Check, f.Target, f.Title)
		if f.Severity != "info" && f.Fix == "" {
			t.Errorf("%s %s (%s): no fix", f.Check, f.Target, f.Severity)
		}
	}
	if code == 3 && !strings.Contains(errOut, "critical finding") {
		t.Errorf("exit 3 without naming the critical finding: %s", errOut)
	}
	for _, nc := range rep.NotChecked {
		if !strings.HasPrefix(nc, "personal data") {
			t.Errorf("not checked: %s", nc)
		}
	}
	return code, got
}

// TestAuditReportE2E: on the two-site set with MinIO, after an encrypted
// backup (copied to Paris) and a drill, audit-report's backup-age, copy,
// encryption, drill and retention findings describe them (info, with the
// backup and drill ids as evidence), and the Paris bucket's object lock
// is seen enforced (a locked probe refused deletion); the PITR archive is judged not
// current until the archiver runs, then current; with the backup's
// manifest gone, the missing backup is a critical finding (exit 3).
func TestAuditReportE2E(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	recipients, identity := filepath.Join(dir, "recipients.txt"), filepath.Join(dir, "identity.txt")
	if os.WriteFile(recipients, []byte(id.Recipient().String()+"\n"), 0o600) != nil || os.WriteFile(identity, []byte(id.String()+"\n"), 0o600) != nil {
		t.Fatal("write the age keys")
	}
	trail := filepath.Join(dir, "audit.jsonl")
	w := bkStart(t, bkOptions{slice: "10s",
		encryption: fmt.Sprintf("    encryption: {recipients_file: %q, identity_file: %q}\n", recipients, identity),
		drills: "drills:\n  - {name: weekly, backup: nightly, schedule: \"0 5 * * 0\", target: {replica_set: scratch}, max_rto: 10m, max_rpo: 1h}\n" +
			fmt.Sprintf("audit:\n  path: %q\n", trail)})
	auditLockParis(t, w)
	src := w.set(t, "main")
	bkInsert(t, src, "audit", "c", "a", 20)

	// Nothing stored yet: no backup is critical, the drill never ran.
	code, got := auditReport(t, w)
	auditWant(t, got, map[string]string{"backup_age main (nightly)": "critical", "backup_copy main (nightly) → minio-paris": "high",
		"drill weekly": "high", "encryption main (nightly)": "info"})
	if code != 3 {
		t.Errorf("no backup at all: exit %d, want 3", code)
	}

	if code, _, _ := w.citadel(t, "backup", "run"); code != 0 {
		t.Fatalf("backup run exit %d", code)
	}
	rep := drillRun(t, w, 0, "weekly")
	code, got = auditReport(t, w)
	if code != 0 {
		t.Errorf("after a backup and a drill: exit %d, want 0", code)
	}
	auditWant(t, got, map[string]string{"backup_age main (nightly)": "info", "backup_copy main (nightly) → minio-paris": "info",
		"encryption main (nightly)": "info", "drill weekly": "info", "retention main (nightly)": "high",
		"object_lock minio-lyon": "medium", "object_lock minio-paris": "info", "roles main": "medium", "write_concern main": "low",
		"audit_trail " + trail: "info"})
	for key, want := range map[string]string{"backup_age main (nightly)": rep.Backup, "backup_copy main (nightly) → minio-paris": rep.Backup,
		"encryption main (nightly)": "1 recipient", "drill weekly": rep.ID, "object_lock minio-paris": "refused deletion", "retention main (nightly)": "0 slice(s)", "audit_trail " + trail: "drill.run"} {
		if !strings.Contains(got[key].Evidence, want) {
			t.Errorf("%s: evidence %q lacks %q", key, got[key].Evidence, want)
		}
	}
	if f := got["retention main (nightly)"]; !strings.Contains(f.Title, "PITR archive is not current") {
		t.Errorf("retention without an archiver: %+v", f)
	}

	w.bkStartCitadel(t, "backup", "pitr", "--rs", "main")
	bkInsert(t, src, "audit", "c", "b", 5)
	drillWaitArchived(t, w, drillOplogWall(t, src, "b-004"))
	_, got = auditReport(t, w)
	auditWant(t, got, map[string]string{"retention main (nightly)": "info"})
	page := filepath.Join(dir, "audit.html")
	code, out, _ := w.citadel(t, "audit-report", "--out", page)
	html, err := os.ReadFile(page)
	if code != 0 || err != nil || !strings.Contains(out, "backups are encrypted") || !strings.Contains(string(html), "the last drill passed") {
		t.Errorf("audit-report --out: exit %d, %v", code, err)
	}

	// The backup loses its manifest: it is no backup any more.
	if err := w.lyon.Delete(context.Background(), layout.ManifestKey("main", rep.Backup)); err != nil {
		t.Fatal(err)
	}
	code, got = auditReport(t, w)
	auditWant(t, got, map[string]string{"backup_age main (nightly)": "critical"})
	if code != 3 || !strings.Contains(got["backup_age main (nightly)"].Title, "no complete backup in minio-lyon") {
		t.Errorf("manifest deleted: exit %d, %+v", code, got["backup_age main (nightly)"])
	}
}

// auditLockParis moves the Paris storage to a bucket created with object
// lock, its objects locked for a day.
func auditLockParis(t *testing.T, w *bkWorld) {
	t.Helper()
	st, err := s3.New(s3.Config{Endpoint: w.minio.Endpoint, Bucket: "backups-locked", Prefix: "citadel", AccessKey: w.minio.AccessKey, SecretKey: w.minio.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.cfg)
	locked := strings.Replace(string(b), "bucket: backups-paris,", "bucket: backups-locked, object_lock_days: 1,", 1)
	if err != nil || locked == string(b) {
		t.Fatalf("no Paris bucket in the config: %v", err)
	}
	if err := os.WriteFile(w.cfg, []byte(locked), 0o600); err != nil {
		t.Fatal(err)
	}
}

func auditWant(t *testing.T, got map[string]auditFinding, want map[string]string) {
	t.Helper()
	for key, sev := range want {
		if f, ok := got[key]; !ok || f.Severity != sev {
			t.Errorf("finding %q: %+v, want severity %s", key, f, sev)
		}
	}
}
