// Package auditreport checks the security and lifecycle posture of a
// deployment and reports findings, each with a severity, the evidence and
// the change that fixes it, for `citadel audit-report`. This first part
// checks authentication and TLS on every member, citadel's own transport
// settings, the quorum against the sites, personal data in the
// SuperSmartMarket collections and the audit trail; the checks not written yet are listed in every report
// (Report.NotChecked), so that no reader takes silence for a pass. See
// DESIGN.md.
package auditreport

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Severity orders findings: a Critical one makes the command exit 3.
type Severity int

// Severities, least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalJSON writes the severity's name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Finding is one observation about the deployment.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check names what was checked: authentication, tls, personal_data...
	Check string `json:"check"`
	// Target is the member, collection or file the finding is about.
	Target   string `json:"target"`
	Title    string `json:"title"`
	Evidence string `json:"evidence"`
	// Fix is the command or config change that resolves the finding
	// (empty for information).
	Fix string `json:"fix,omitempty"`
}

// Report is the audit of one deployment.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Config      string    `json:"config"`
	// Findings, most severe first.
	Findings []Finding `json:"findings"`
	// NotChecked are the checks of issue 14 this version does not make.
	NotChecked []string `json:"not_checked"`
}

// NotChecked are the parts of the posture this version does not audit.
var NotChecked = []string{
	"roles of citadel's own users",
	"default write concern",
	"oplog window against the backup interval and PITR",
	"last backup age per set, copies to the other site",
	"backup encryption and object lock",
	"last drill's result with RTO and RPO",
	"retention policy",
}

// Critical counts the critical findings.
func (r *Report) Critical() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == Critical {
			n++
		}
	}
	return n
}

// sortFindings puts the most severe first, then by check and target.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Target < b.Target
	})
}
