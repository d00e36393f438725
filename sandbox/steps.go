package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/archiver"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/drill"
)

// initiate runs what `citadel cluster apply --yes` runs: the plan from
// the uninitiated members to the config's shape, one step at a time.
func (s *Sandbox) initiate(ctx context.Context) error {
	sets, err := cluster.SelectSets(s.w.cfg, "")
	if err != nil {
		return err
	}
	d, err := cluster.NewDialer(s.w.cfg.MongoDB, s.log)
	if err != nil {
		return err
	}
	mgr := cluster.NewManager(d, s.log, s.env.Audit)
	defer mgr.Close(context.WithoutCancel(ctx))
	plans, err := mgr.ApplySets(ctx, sets, cluster.ApplyOptions{})
	if err != nil {
		return err
	}
	s.summary.ApplySteps = cluster.TotalSteps(plans)
	return nil
}

// initStorages creates the buckets (or directories) as `citadel storage
// init` does. A MinIO just ready may still answer "Server not initialized
// yet" for a moment: the creation is retried for up to 20 s.
func (s *Sandbox) initStorages(ctx context.Context) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := backup.InitStorages(ctx, s.w.cfg, "")
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Sandbox) ingest(ctx context.Context) error {
	loads, err := s.loadSamples(ctx)
	s.summary.Datasets = loads
	return err
}

// startPITR archives the main set's oplog in the background, as `citadel
// backup pitr` does, until the coordinator's leader takes over: the drill
// replays the slices committed after the backup.
func (s *Sandbox) startPITR(ctx context.Context) error {
	pctx, cancel := context.WithCancel(ctx)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- jobs.PITR(pctx, s.env, jobs.PITRRequest{Job: BackupJob, OnStart: func(string, string, time.Duration) { close(started) }})
	}()
	var once sync.Once
	s.cancelPITR = cancel
	s.stopPITR = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				s.log.Warn("the PITR archiver stopped", "err", err)
			}
		})
	}
	select {
	case <-started:
		return nil
	case err := <-done:
		done <- err // for stopPITR
		return err
	case <-time.After(time.Minute):
		return errors.New("the PITR archiver did not start within a minute")
	}
}

// backup takes a snapshot into the Lyon storage from the hidden member
// and copies it to Paris, verified on arrival (jobs.Backup).
func (s *Sandbox) backup(ctx context.Context) error {
	res, err := jobs.Backup(ctx, s.env, jobs.BackupRequest{Job: BackupJob})
	if res != nil {
		// Names, not URLs: both sites' buckets have the same name.
		b := s.w.cfg.Backup(BackupJob)
		s.summary.Backup, s.summary.BackupStorage = res.Backup, b.Storage
		s.summary.CopiedTo = b.CopyTo[:len(res.Copies)]
	}
	return err
}

// drill restores the newest backup (with the PITR slices since) into the
// scratch set, verifies it and measures RTO and RPO (drill.Run).
func (s *Sandbox) drill(ctx context.Context) error {
	rep, err := drill.Run(ctx, s.env, drill.Request{Drill: DrillName})
	s.summary.Drill = rep
	return err
}

// switchover moves the primary to Lyon and back under probe writes
// (drill.Switchover, through cluster.Manager.Switchover).
func (s *Sandbox) switchover(ctx context.Context) error {
	rep, err := drill.Switchover(ctx, s.env, drill.SwitchoverRequest{ReplicaSet: "main", MinWrites: 200})
	s.summary.Switchover = rep
	return err
}

// startCoordinator starts the one-node coordinator as `citadel server`
// does: raft, the schedules of the config's backup and drill jobs on the
// leader, the HTTP API with /metrics, the status page.
func (s *Sandbox) startCoordinator(ctx context.Context) error {
	opts, err := coordinator.FromConfig(s.w.cfg.Coordinator, NodeID)
	if err != nil {
		return err
	}
	opts.Jobs = coordinator.JobsFromConfig(s.w.cfg)
	opts.Log = s.log
	// The leader's PITR archiver (as in citadel server) takes over from
	// the sandbox's own, cancelled here: it finishes its slice in flight
	// meanwhile (close waits for it), and overlapping slices are harmless
	// (cluster/coordinator/DESIGN.md, "The PITR archiver").
	s.cancelPITR()
	run := runner.New(s.env)
	n, err := coordinator.Start(ctx, opts, run)
	if err != nil {
		return fmt.Errorf("start coordinator node %s: %w", NodeID, err)
	}
	s.node = n
	s.running.Store(n)
	run.SetCatalog(n.Store())
	s.summary.Coordinator = "http://" + n.HTTPAddr()
	actx, cancel := context.WithCancel(ctx)
	pitr := archiver.Start(actx, archiver.Options{Env: s.env, Store: n.Store(), Log: s.log.With("node", NodeID)})
	s.stopLeader = func() { cancel(); pitr.Wait() }
	// The summary says the node serves its schedules: wait until it leads
	// (a one-node group elects itself after raft's heartbeat timeout).
	deadline := time.Now().Add(30 * time.Second)
	for !n.Store().IsLeader() {
		if time.Now().After(deadline) {
			return errors.New("the coordinator node did not become leader within 30s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return s.startStatusPage(ctx)
}
