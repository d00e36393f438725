package store

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// The read side of the FSM. Every accessor returns copies, so callers never
// race with Apply. Reads are local: on a follower they may lag the leader by
// the entries not yet applied there.

// Jobs returns the job definitions sorted by name.
func (f *FSM) Jobs() []Job {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Job, 0, len(f.st.Jobs))
	for _, j := range f.st.Jobs {
		out = append(out, *j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Job returns one definition.
func (f *FSM) Job(name string) (Job, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	j, ok := f.st.Jobs[name]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// JobState returns the per-job counters (zero when the job never ran).
func (f *FSM) JobState(name string) JobState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if js := f.st.JobStates[name]; js != nil {
		return *js
	}
	return JobState{}
}

// Current returns the job's running run, if any.
func (f *FSM) Current(job string) (Run, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if r := f.st.current(job); r != nil {
		return *r, true
	}
	return Run{}, false
}

// Running returns every run that holds a lease, sorted by token.
func (f *FSM) Running() []Run {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []Run
	for job := range f.st.JobStates {
		if r := f.st.current(job); r != nil {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Token < out[b].Token })
	return out
}

// Runs returns a job's runs, newest first, at most limit (0: all kept).
// An empty job returns every job's runs merged.
func (f *FSM) Runs(job string, limit int) []Run {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []Run
	for name, runs := range f.st.Runs {
		if job != "" && name != job {
			continue
		}
		for _, r := range runs {
			out = append(out, *r)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.After(out[b].Start) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Catalog returns the cached catalog entries, filtered by replica set and
// storage when given, newest first.
func (f *FSM) Catalog(replicaSet, storage string) []CatalogEntry {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []CatalogEntry
	for _, e := range f.st.Catalog {
		if (replicaSet == "" || e.ReplicaSet == replicaSet) && (storage == "" || e.Storage == storage) {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Time.Equal(out[b].Time) {
			return out[a].Time.After(out[b].Time)
		}
		return out[a].Storage+out[a].ID < out[b].Storage+out[b].ID
	})
	return out
}

// Drills returns the drill history, newest first, at most limit.
func (f *FSM) Drills(name string, limit int) []DrillRecord {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []DrillRecord
	for _, d := range slices.Backward(f.st.Drills) {
		if name == "" || d.Drill == name {
			out = append(out, *d)
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// Audit returns audit records newest first, at most limit, only those after
// since (zero: all) and whose action starts with actionPrefix.
func (f *FSM) Audit(since time.Time, actionPrefix string, limit int) []AuditRecord {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []AuditRecord
	for _, a := range slices.Backward(f.st.Audit) {
		if !since.IsZero() && !a.Time.After(since) {
			continue // leaders' clocks differ: not strictly ordered by time
		}
		if strings.HasPrefix(a.Action, actionPrefix) {
			out = append(out, *a)
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// PITR returns the archiver state of every replica set, sorted by name.
func (f *FSM) PITR() []PITRState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]PITRState, 0, len(f.st.PITR))
	for _, p := range f.st.PITR {
		out = append(out, *p)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ReplicaSet < out[b].ReplicaSet })
	return out
}

// Nodes returns the node directory sorted by id.
func (f *FSM) Nodes() []NodeInfo {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]NodeInfo, 0, len(f.st.Nodes))
	for _, n := range f.st.Nodes {
		out = append(out, *n)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// Limits returns the history limits in force.
func (f *FSM) Limits() Limits {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Limits
}
