package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DatasetProbes are the answers of one dataset's canned questions (the
// probes of `citadel report`) over a database of the backup, recorded when
// the backup was taken so that a drill can ask the restored copy the same
// questions and compare. Answers holds only when Skipped is empty; the
// drill package's DESIGN.md says at which point they hold.
type DatasetProbes struct {
	Dataset  string `json:"dataset"`
	Database string `json:"database"`
	// Answers are in the dataset's order of probes.
	Answers []ProbeAnswer `json:"answers,omitempty"`
	// Skipped says why no answer was recorded (a probe failed, the
	// collections were written while the probes ran).
	Skipped string `json:"skipped,omitempty"`
	// Duration is what asking every probe cost the backup.
	Duration time.Duration `json:"duration_ns"`
}

// ProbeAnswer is one probe's answer: its table when small enough to keep
// (Rows nil otherwise), and always the SHA-256 of the table's canonical
// JSON, which is what a drill compares.
type ProbeAnswer struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows,omitempty"`
	SHA256  string   `json:"sha256"`
}

func (d DatasetProbes) validate() error {
	switch {
	case d.Dataset == "" || d.Database == "" || strings.ContainsRune(d.Database, 0):
		return errors.New("empty or invalid dataset or database")
	case d.Skipped != "" && len(d.Answers) > 0:
		return errors.New("answers recorded although skipped")
	case d.Duration < 0:
		return errors.New("negative duration")
	}
	seen := map[string]bool{}
	for _, a := range d.Answers {
		if a.Name == "" || seen[a.Name] {
			return fmt.Errorf("probe %q empty or twice", a.Name)
		}
		seen[a.Name] = true
		if !shaPattern.MatchString(a.SHA256) {
			return fmt.Errorf("probe %s: bad sha256", a.Name)
		}
		for _, r := range a.Rows {
			if len(r) != len(a.Columns) {
				return fmt.Errorf("probe %s: a row of %d values for %d columns", a.Name, len(r), len(a.Columns))
			}
		}
	}
	return nil
}

// ProbesOf returns the recorded probes of dataset over database, or nil.
func (m *Manifest) ProbesOf(dataset, database string) *DatasetProbes {
	for i := range m.Probes {
		if m.Probes[i].Dataset == dataset && m.Probes[i].Database == database {
			return &m.Probes[i]
		}
	}
	return nil
}

// CanonicalTable is the JSON of a table whose values went through JSON
// once (numbers as float64, times as RFC 3339 strings): an answer computed
// now and one read back from a manifest encode alike.
func CanonicalTable(columns []string, rows [][]any) ([]byte, error) {
	b, err := json.Marshal(struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	}{columns, rows})
	if err != nil {
		return nil, fmt.Errorf("encode probe answer: %w", err)
	}
	var plain any
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, fmt.Errorf("decode probe answer: %w", err)
	}
	return json.Marshal(plain)
}
