package store

import "context"

// Typed proposals, one per command. Each commits through raft and returns
// once applied on this node (the leader); on a follower they fail with
// ErrNotLeader, and the API forwards the request instead.

func runOf(res *Result) Run {
	if res == nil || res.Run == nil {
		return Run{}
	}
	return *res.Run
}

// SetLimits replaces the history limits and trims to them.
func (s *Store) SetLimits(ctx context.Context, l Limits) error {
	_, err := s.Propose(ctx, CmdSettingsPut, l.OrDefault())
	return err
}

// PutJob adds or replaces a job definition.
func (s *Store) PutJob(ctx context.Context, j Job) error {
	_, err := s.Propose(ctx, CmdJobPut, j)
	return err
}

// DeleteJobs removes job definitions (their history stays).
func (s *Store) DeleteJobs(ctx context.Context, names ...string) error {
	_, err := s.Propose(ctx, CmdJobDelete, NamesBody{Names: names})
	return err
}

// Acquire takes a job's lease; the returned run carries the fencing token.
// On ErrBusy the run returned is the one holding the lease.
func (s *Store) Acquire(ctx context.Context, b AcquireBody) (Run, error) {
	if b.Holder == "" {
		b.Holder = s.cfg.NodeID
	}
	res, err := s.Propose(ctx, CmdLeaseAcquire, b)
	return runOf(res), err
}

// Heartbeat renews the lease of token; ErrFenced when it is not current.
func (s *Store) Heartbeat(ctx context.Context, job string, token uint64) error {
	_, err := s.Propose(ctx, CmdLeaseHeartbeat, TokenBody{Job: job, Token: token})
	return err
}

// Fence checks through raft that token is still the job's current lease
// and marks the run as committing. Only after it succeeds may the job make
// its result visible (write its manifest).
func (s *Store) Fence(ctx context.Context, job string, token uint64) (Run, error) {
	res, err := s.Propose(ctx, CmdLeaseFence, TokenBody{Job: job, Token: token})
	return runOf(res), err
}

// Finish records a run's outcome and releases the lease.
func (s *Store) Finish(ctx context.Context, b FinishBody) (Run, error) {
	res, err := s.Propose(ctx, CmdRunFinish, b)
	return runOf(res), err
}

// Skip records a slot that did not run, with the reason.
func (s *Store) Skip(ctx context.Context, b SkipBody) (Run, error) {
	res, err := s.Propose(ctx, CmdRunSkip, b)
	return runOf(res), err
}

// PutCatalog caches catalog entries (see CatalogPutBody for Replace).
func (s *Store) PutCatalog(ctx context.Context, b CatalogPutBody) error {
	_, err := s.Propose(ctx, CmdCatalogPut, b)
	return err
}

// DeleteCatalog drops cached entries by "storage/id".
func (s *Store) DeleteCatalog(ctx context.Context, keys ...string) error {
	_, err := s.Propose(ctx, CmdCatalogDelete, NamesBody{Names: keys})
	return err
}

// PutDrill appends a drill record.
func (s *Store) PutDrill(ctx context.Context, d DrillRecord) error {
	_, err := s.Propose(ctx, CmdDrillPut, d)
	return err
}

// AppendAudit appends an audit record; the FSM numbers it.
func (s *Store) AppendAudit(ctx context.Context, a AuditRecord) error {
	_, err := s.Propose(ctx, CmdAuditAppend, a)
	return err
}

// PutPITR records the archiver's last committed slice of a replica set.
func (s *Store) PutPITR(ctx context.Context, p PITRState) error {
	_, err := s.Propose(ctx, CmdPITRPut, p)
	return err
}

// PutNode adds or updates a directory entry (id, site, addresses).
func (s *Store) PutNode(ctx context.Context, n NodeInfo) error { return s.putNode(ctx, n) }
