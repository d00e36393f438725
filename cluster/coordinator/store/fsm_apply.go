package store

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// dispatch applies one decoded command under the write lock.
func (f *FSM) dispatch(c Command) *Result {
	s := f.st
	switch c.Type {
	case CmdSettingsPut:
		var l Limits
		if err := decodeBody(c, &l); err != nil {
			return &Result{Err: err}
		}
		s.Limits = l.OrDefault()
		s.trimAll()
	case CmdJobPut:
		var j Job
		if err := decodeBody(c, &j); err != nil {
			return &Result{Err: err}
		}
		s.Jobs[j.Name] = &j
	case CmdJobDelete:
		return s.deleteNames(c, func(n string) { delete(s.Jobs, n) })
	case CmdLeaseAcquire:
		var b AcquireBody
		if err := decodeBody(c, &b); err != nil {
			return &Result{Err: err}
		}
		return s.acquire(c.At, b)
	case CmdLeaseHeartbeat, CmdLeaseFence:
		var b TokenBody
		if err := decodeBody(c, &b); err != nil {
			return &Result{Err: err}
		}
		return s.touch(c.At, b, c.Type == CmdLeaseFence)
	case CmdRunFinish:
		var b FinishBody
		if err := decodeBody(c, &b); err != nil {
			return &Result{Err: err}
		}
		return s.finish(c.At, b)
	case CmdRunSkip:
		var b SkipBody
		if err := decodeBody(c, &b); err != nil {
			return &Result{Err: err}
		}
		return s.skip(c.At, b)
	default:
		return f.dispatchRecords(c)
	}
	return &Result{}
}

// dispatchRecords applies the catalog, drill, audit, PITR and node commands.
func (f *FSM) dispatchRecords(c Command) *Result {
	s := f.st
	switch c.Type {
	case CmdCatalogPut:
		var b CatalogPutBody
		if err := decodeBody(c, &b); err != nil {
			return &Result{Err: err}
		}
		s.catalogPut(b)
	case CmdCatalogDelete:
		return s.deleteNames(c, func(n string) { delete(s.Catalog, n) })
	case CmdDrillPut:
		var d DrillRecord
		if err := decodeBody(c, &d); err != nil {
			return &Result{Err: err}
		}
		s.Drills = append(s.Drills, &d)
		s.Drills = trimFront(s.Drills, s.Limits.Drills)
	case CmdAuditAppend:
		var a AuditRecord
		if err := decodeBody(c, &a); err != nil {
			return &Result{Err: err}
		}
		s.AuditSeq++
		a.Seq = s.AuditSeq
		if a.Time.IsZero() {
			a.Time = c.At
		}
		s.Audit = append(s.Audit, &a)
		s.Audit = trimFront(s.Audit, s.Limits.Audit)
	case CmdPITRPut:
		var p PITRState
		if err := decodeBody(c, &p); err != nil {
			return &Result{Err: err}
		}
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = c.At
		}
		s.PITR[p.ReplicaSet] = &p
	case CmdNodePut:
		var n NodeInfo
		if err := decodeBody(c, &n); err != nil {
			return &Result{Err: err}
		}
		s.Nodes[n.ID] = &n
	case CmdNodeDelete:
		return s.deleteNames(c, func(n string) { delete(s.Nodes, n) })
	}
	return &Result{}
}

func (s *state) deleteNames(c Command, del func(string)) *Result {
	var b NamesBody
	if err := decodeBody(c, &b); err != nil {
		return &Result{Err: err}
	}
	for _, n := range b.Names {
		del(n)
	}
	return &Result{}
}

func (s *state) jobState(name string) *JobState {
	js := s.JobStates[name]
	if js == nil {
		js = &JobState{}
		s.JobStates[name] = js
	}
	return js
}

// current returns the running run holding the job's lease, or nil.
func (s *state) current(job string) *Run {
	js := s.JobStates[job]
	if js == nil || js.Current == 0 {
		return nil
	}
	return s.runByToken(job, js.Current)
}

func (s *state) runByToken(job string, token uint64) *Run {
	runs := s.Runs[job]
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Token == token {
			return runs[i]
		}
	}
	return nil
}

// scheduled reports whether a trigger consumes its slot (LastSlot).
func scheduled(trigger string) bool { return trigger != TriggerManual }

// acquire grants a job's lease: a new run with the next fencing token.
func (s *state) acquire(at time.Time, b AcquireBody) *Result {
	if s.Jobs[b.Job] == nil {
		return &Result{Err: fmt.Errorf("acquire lease of %q: %w", b.Job, ErrUnknownJob)}
	}
	js := s.jobState(b.Job)
	cur := s.current(b.Job)
	switch {
	case b.Replaces != 0 && (cur == nil || cur.Token != b.Replaces):
		return &Result{Run: cur, Err: fmt.Errorf("take over run %d of %q: %w", b.Replaces, b.Job, ErrFenced)}
	case b.Replaces == 0 && cur != nil:
		return &Result{Run: cur, Err: fmt.Errorf("acquire lease of %q: %w (run %s since %s)", b.Job, ErrBusy, cur.ID, cur.Start.Format(time.RFC3339))}
	case b.Trigger == TriggerRetry && !s.retryable(b.Job, b.Slot):
		return &Result{Err: fmt.Errorf("retry %q for slot %s: %w (its last run did not fail)", b.Job, b.Slot.Format(time.RFC3339), ErrSlotDone)}
	case b.Replaces == 0 && b.Trigger != TriggerRetry && scheduled(b.Trigger) && !b.Slot.After(js.LastSlot):
		return &Result{Err: fmt.Errorf("acquire lease of %q for slot %s: %w", b.Job, b.Slot.Format(time.RFC3339), ErrSlotDone)}
	}
	attempt := 1
	if cur != nil { // takeover: the stale run is abandoned, the slot goes on
		cur.State, cur.End = RunAbandoned, at
		cur.Reason = fmt.Sprintf("holder %s stopped heartbeating; taken over by %s", cur.Holder, b.Holder)
		attempt = cur.Attempt + 1
	} else if b.Trigger == TriggerRetry {
		attempt = s.lastRun(b.Job).Attempt + 1
	}
	s.NextToken++
	r := &Run{
		ID: b.Job + "-" + strconv.FormatUint(s.NextToken, 10), Job: b.Job, Slot: b.Slot.UTC(), Trigger: b.Trigger,
		Attempt: attempt, Who: b.Who, State: RunRunning, Holder: b.Holder, Token: s.NextToken,
		Start: at, Heartbeat: at, Replaces: b.Replaces, Reason: b.Reason,
	}
	js.Current = r.Token
	if scheduled(b.Trigger) && b.Slot.After(js.LastSlot) {
		js.LastSlot = b.Slot.UTC()
	}
	s.appendRun(r)
	return &Result{Run: r.clone()}
}

// retryable reports whether the job's newest run is a failed or abandoned
// attempt at slot: only then may the slot be tried again.
func (s *state) retryable(job string, slot time.Time) bool {
	last := s.lastRun(job)
	return last != nil && last.Slot.Equal(slot) && (last.State == RunFailed || last.State == RunAbandoned)
}

func (s *state) lastRun(job string) *Run {
	runs := s.Runs[job]
	if len(runs) == 0 {
		return nil
	}
	return runs[len(runs)-1]
}

// touch renews the lease (heartbeat) or passes the fence check (fence),
// both only for the current token.
func (s *state) touch(at time.Time, b TokenBody, fence bool) *Result {
	cur := s.current(b.Job)
	if cur == nil || cur.Token != b.Token {
		return &Result{Run: cur.clone(), Err: fmt.Errorf("check lease %d of %q: %w", b.Token, b.Job, ErrFenced)}
	}
	cur.Heartbeat = at
	if fence {
		cur.FencedAt = at
	}
	return &Result{Run: cur.clone()}
}

func (s *state) finish(at time.Time, b FinishBody) *Result {
	cur := s.current(b.Job)
	if cur == nil || cur.Token != b.Token {
		return &Result{Run: cur.clone(), Err: fmt.Errorf("finish run %d of %q: %w", b.Token, b.Job, ErrFenced)}
	}
	js := s.jobState(b.Job)
	js.Current = 0
	cur.End, cur.Heartbeat, cur.Result, cur.Error, cur.Category = at, at, b.Result, b.Error, b.Category
	if b.OK {
		cur.State = RunSucceeded
		js.LastSuccess, js.LastDuration, js.Failures = at, at.Sub(cur.Start), 0
	} else {
		cur.State = RunFailed
		js.Failures++
	}
	s.trimRuns(b.Job)
	return &Result{Run: cur.clone()}
}

func (s *state) skip(at time.Time, b SkipBody) *Result {
	if s.Jobs[b.Job] == nil {
		return &Result{Err: fmt.Errorf("skip slot of %q: %w", b.Job, ErrUnknownJob)}
	}
	js := s.jobState(b.Job)
	if scheduled(b.Trigger) && !b.Slot.After(js.LastSlot) {
		return &Result{Err: fmt.Errorf("skip slot %s of %q: %w", b.Slot.Format(time.RFC3339), b.Job, ErrSlotDone)}
	}
	if scheduled(b.Trigger) {
		js.LastSlot = b.Slot.UTC()
	}
	r := &Run{ID: b.Job + "-skip-" + b.Slot.UTC().Format("20060102T150405Z"), Job: b.Job, Slot: b.Slot.UTC(),
		Trigger: b.Trigger, State: RunSkipped, Start: at, End: at, Reason: b.Reason}
	s.appendRun(r)
	return &Result{Run: r.clone()}
}

func (s *state) appendRun(r *Run) {
	s.Runs[r.Job] = append(s.Runs[r.Job], r)
	s.trimRuns(r.Job)
}

// trimRuns drops the oldest finished runs beyond the limit; the running
// run is never dropped.
func (s *state) trimRuns(job string) {
	runs := s.Runs[job]
	excess := len(runs) - s.Limits.RunsPerJob
	if excess <= 0 {
		return
	}
	kept := runs[:0:0]
	for _, r := range runs {
		if excess > 0 && r.Finished() {
			excess--
			continue
		}
		kept = append(kept, r)
	}
	s.Runs[job] = kept
}

func (s *state) trimAll() {
	for job := range s.Runs {
		s.trimRuns(job)
	}
	s.Drills = trimFront(s.Drills, s.Limits.Drills)
	s.Audit = trimFront(s.Audit, s.Limits.Audit)
}

func trimFront[T any](list []T, limit int) []T {
	if len(list) <= limit {
		return list
	}
	return slices.Clone(list[len(list)-limit:])
}

func (s *state) catalogPut(b CatalogPutBody) {
	if b.Replace {
		keep := map[string]bool{}
		for _, e := range b.Entries {
			keep[catalogKey(e)] = true
		}
		for key, e := range s.Catalog {
			if e.Storage == b.Storage && (b.ReplicaSet == "" || e.ReplicaSet == b.ReplicaSet) && !keep[key] {
				delete(s.Catalog, key)
			}
		}
	}
	for i := range b.Entries {
		e := b.Entries[i]
		s.Catalog[catalogKey(e)] = &e
	}
}

// catalogKey identifies a cached backup ("storage/id", also what
// catalog.delete takes): the same id can exist in two storages (a copy).
func catalogKey(e CatalogEntry) string { return e.Storage + "/" + e.ID }

func (r *Run) clone() *Run {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}
