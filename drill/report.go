package drill

import (
	"fmt"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/restore"
)

// Format is the report format this code writes and reads.
const Format = 1

// Kinds of drill.
const (
	KindRestore    = "restore"
	KindSwitchover = "switchover"
)

// Report is the evidence of one drill, stored as JSON under
// <rs>/drills/<id>.json in the storage the backup was read from.
type Report struct {
	Format int `json:"format"`
	// Kind is "restore" for these reports, "switchover" for a
	// SwitchoverReport stored beside them (read through this type by
	// List and Show, which use only the fields both have).
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	Drill     string `json:"drill"`
	BackupJob string `json:"backup_job"`
	// ReplicaSet is the backed-up set; Storage the configured storage
	// read (Location its URL); CrossSite that it is not the backup job's
	// own storage but a copy.
	ReplicaSet string `json:"replica_set"`
	Storage    string `json:"storage"`
	Location   string `json:"location"`
	CrossSite  bool   `json:"cross_site"`
	Target     string `json:"target"`
	// Started is when the drill began; Verified when the target was
	// verified and answered queries (zero if it never was); Finished
	// after the scratch databases were dropped.
	Started  time.Time `json:"started"`
	Verified time.Time `json:"verified,omitzero"`
	Finished time.Time `json:"finished"`
	// Backup is the backup restored, BackupEnd its end; PITR whether the
	// job archives the oplog and Slices how many slices were replayed
	// (planned, when the restore did not finish);
	// Point is the newest restorable point aimed at (or --until) and
	// Reached the wall time of the last entry the restore applied.
	Backup    string    `json:"backup"`
	BackupEnd time.Time `json:"backup_end,omitzero"`
	PITR      bool      `json:"pitr"`
	Slices    int       `json:"slices"`
	Point     time.Time `json:"restorable_point,omitzero"`
	Reached   time.Time `json:"reached,omitzero"`
	// RTO is Verified − Started; RPO is Started − Reached.
	RTO    time.Duration `json:"rto_ns"`
	RPO    time.Duration `json:"rpo_ns"`
	MaxRTO time.Duration `json:"max_rto_ns"`
	MaxRPO time.Duration `json:"max_rpo_ns"`
	// What was verified: collections, documents (by the restore, against
	// the manifest's counts and digests, read back) and index definitions.
	Collections  int             `json:"collections"`
	Documents    int64           `json:"documents"`
	Verification string          `json:"verification"`
	Indexes      int             `json:"indexes_checked"`
	Restore      *restore.Report `json:"restore,omitempty"`
	// Probes are the datasets' answers recorded in the manifest compared
	// with the restored copy's (a changed one is also a reason).
	Probes []ProbeCheck `json:"probes,omitempty"`
	// Dropped are the scratch databases dropped afterwards.
	Dropped []string `json:"dropped"`
	Passed  bool     `json:"passed"`
	// Reasons lists every reason the drill failed.
	Reasons []string `json:"reasons"`
	// Key is where the report is stored, relative to Location.
	Key     string   `json:"key"`
	Summary []string `json:"summary"`
}

// Lines is the short human summary (a switchover's is its stored one).
func (r *Report) Lines() []string {
	if r.Kind == KindSwitchover {
		return r.Summary
	}
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	copyNote := ""
	if r.CrossSite {
		copyNote = " (a copy: cross-site drill)"
	}
	out := []string{
		fmt.Sprintf("drill %s %s (run %s)", r.Drill, verdict, r.ID),
		fmt.Sprintf("backup %s of %s from %s%s into %s", orDash(r.Backup), r.ReplicaSet, r.Storage, copyNote, r.Target),
		fmt.Sprintf("restorable point %s (backup end %s + %d PITR slice(s)); reached %s", stamp(r.Point), stamp(r.BackupEnd), r.Slices, stamp(r.Reached)),
	}
	if !r.Verified.IsZero() {
		out = append(out, fmt.Sprintf("verified: %d collection(s), %d document(s) against the manifest (%s), %d index definition(s) checked, queryable",
			r.Collections, r.Documents, r.Verification, r.Indexes))
		out = append(out, fmt.Sprintf("RTO %s (max %s), RPO %s (max %s)", round(r.RTO), r.MaxRTO, round(r.RPO), r.MaxRPO))
		out = append(out, probeLines(r.Probes)...)
	} else {
		out = append(out, fmt.Sprintf("not verified: RTO not measured (max %s)", r.MaxRTO))
	}
	if len(r.Dropped) > 0 {
		out = append(out, "dropped scratch databases: "+strings.Join(r.Dropped, ", "))
	}
	for _, why := range r.Reasons {
		out = append(out, "reason: "+why)
	}
	return append(out, "report: "+r.Location+"/"+r.Key)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// probeLines summarise the probe comparisons, one line per dataset.
func probeLines(checks []ProbeCheck) []string {
	var out []string
	for _, p := range checks {
		switch {
		case p.NotCompared != "":
			out = append(out, fmt.Sprintf("probes of %s over %s not compared: %s", p.Dataset, p.Database, p.NotCompared))
		case len(p.Changed) > 0:
			out = append(out, fmt.Sprintf("probes of %s over %s: %d of %d answer(s) changed (%s)", p.Dataset, p.Database, len(p.Changed), p.Compared, strings.Join(p.Changed, ", ")))
		default:
			out = append(out, fmt.Sprintf("probes of %s over %s: %d answer(s) as recorded at backup time", p.Dataset, p.Database, p.Compared))
		}
	}
	return out
}
