// Package auditreport checks the security and lifecycle posture of a
// deployment and reports findings, each with a severity, the evidence and
// the change that fixes it, for `citadel audit-report`: authentication
// and TLS on every member, citadel's own transport settings and roles,
// the default write concern, the quorum against the sites, the oplog
// window against the backup interval and PITR, the backups (age, copies
// to the other site, encryption, object lock, retention), the last
// drills, personal data in the SuperSmartMarket collections and the
// audit trail. Facts are gathered apart (live.go, stored.go) from their
// pure evaluation (*_eval.go), which the table tests drive. See
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
	// NotChecked are the checks this run could not make at all (each
	// with the reason), so that silence is never read as a pass. A check
	// made but not answered is a "cannot check" finding instead.
	NotChecked []string `json:"not_checked"`
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
