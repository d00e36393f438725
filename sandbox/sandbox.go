// Package sandbox runs all of citadel on one machine with nothing but Go:
// a simulated two-site replica set (the simulator, in process), a storage
// per site (MinIO when its binary is found, else a directory), the config
// file describing them, the five datasets' samples loaded, a backup copied
// to the other site, a restore drill, a switchover rehearsal, and a
// one-node coordinator serving its API and schedules until the context
// ends. It is the one place product code starts the simulator (DESIGN.md).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/cluster/coordinator"
	"github.com/noscites/citadel/cluster/coordinator/statuspage"
	"github.com/noscites/citadel/internal/audit"
)

// Options configure a sandbox.
type Options struct {
	// Dir holds everything (members' files, storages, config, secrets);
	// "" makes a temporary directory, removed on exit. A given Dir is kept.
	Dir string
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Log receives the components' logs (nil: discarded).
	Log *slog.Logger
	// Tool names the program in manifests ("citadel v1.2.3").
	Tool string
	// Command is how the summary's suggested commands start ("citadel",
	// "bin/citadel"; "" is "citadel").
	Command string
}

// Sandbox is a running sandbox.
type Sandbox struct {
	opts    Options
	log     *slog.Logger
	w       *world
	env     jobs.Env
	node    *coordinator.Node
	page    *statuspage.Page
	running atomic.Pointer[coordinator.Node] // node, once started, for the audit sink
	// stopPITR stops the sandbox's own PITR archiver (idempotent);
	// stopLeader the coordinator leader's archivers.
	cancelPITR context.CancelFunc
	stopPITR   func()
	stopLeader func()
	tmpDir     string // removed on exit: the directory Run made
	summary    Summary
}

// ErrStep wraps the error of the step that stopped the sandbox.
var ErrStep = errors.New("sandbox step failed")

// Run starts the sandbox, runs every step (a progress line each), calls
// ready with the summary, then keeps the coordinator running until ctx
// ends and cleans everything up. It returns nil when ctx ended after the
// summary (Ctrl-C is the expected way out), ctx's error when it ended
// before, and the failed step's error (wrapping ErrStep) otherwise.
func Run(ctx context.Context, o Options, ready func(*Summary)) (err error) {
	s := &Sandbox{opts: o, log: o.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	defer s.close()
	start := time.Now()
	if err := s.steps(ctx); err != nil {
		return err
	}
	s.summary.Elapsed = time.Since(start)
	if ready != nil {
		ready(&s.summary)
	}
	<-ctx.Done()
	s.progress("stopping: the coordinator, the PITR archiver, the simulated members and the storages")
	return nil
}

type step struct {
	name string
	run  func(ctx context.Context) error
}

func (s *Sandbox) steps(ctx context.Context) error {
	all := []step{
		{"create the sandbox directory", s.makeDir},
		{"start the simulated replica sets (main: p1 p2 in Paris, l1 + hidden backup member in Lyon; scratch)", s.startSim},
		{"start a storage per site", s.startStorages},
		{"write the config", s.writeConfig},
		{"initiate the replica sets (cluster apply)", s.initiate},
		{"create the buckets (storage init)", s.initStorages},
		{"load the samples of the five datasets (ingest)", s.ingest},
		{"start the PITR archiver (oplog slices every 10s)", s.startPITR},
		{"take a backup in Lyon and copy it to Paris", s.backup},
		{"run a restore drill into the scratch set", s.drill},
		{"rehearse a switchover to Lyon and back", s.switchover},
		{"start the coordinator node", s.startCoordinator},
	}
	for i, st := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		s.progress(fmt.Sprintf("[%2d/%d] %s ...", i+1, len(all), st.name))
		if err := st.run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: %s: %w", ErrStep, st.name, err)
		}
		s.progress(fmt.Sprintf("        done in %s", time.Since(t0).Round(100*time.Millisecond)))
	}
	return nil
}

func (s *Sandbox) progress(line string) {
	if s.opts.Progress != nil {
		fmt.Fprintln(s.opts.Progress, line)
	}
}

func (s *Sandbox) makeDir(context.Context) error {
	dir := s.opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "citadel-sandbox-")
		if err != nil {
			return fmt.Errorf("create a temporary directory: %w", err)
		}
		dir, s.tmpDir = d, d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	w, err := newWorld(dir)
	if err != nil {
		return err
	}
	s.w = w
	s.summary.Dir, s.summary.Kept, s.summary.Command = dir, s.tmpDir == "", s.opts.Command
	if s.summary.Command == "" {
		s.summary.Command = "citadel"
	}
	return nil
}

func (s *Sandbox) startSim(ctx context.Context) error { return s.w.startSim(ctx) }

func (s *Sandbox) startStorages(ctx context.Context) error {
	if err := s.w.startStorages(ctx); err != nil {
		return err
	}
	s.w.describe(&s.summary)
	return nil
}

func (s *Sandbox) writeConfig(context.Context) error {
	if err := s.w.writeConfig(); err != nil {
		return err
	}
	// As in citadel server: once the node runs, the audit records of the
	// jobs it runs also go to its raft log.
	toNode := audit.Func(func(ctx context.Context, r audit.Record) error {
		if n := s.running.Load(); n != nil {
			return n.AuditSink().Write(ctx, r)
		}
		return nil
	})
	trail := audit.New(s.log, "citadel sandbox", audit.SlogSink{Log: s.log}, &audit.FileSink{Path: s.w.cfg.Audit.Path}, toNode)
	s.env = jobs.Env{Config: s.w.cfg, Log: s.log, Audit: trail, Tool: s.opts.Tool}
	s.summary.Config = s.w.cfgPath
	return nil
}

// close stops everything in reverse order of start.
func (s *Sandbox) close() {
	if s.stopLeader != nil {
		s.stopLeader() // they finish their slice in flight, before the node stops
	}
	if s.page != nil {
		if err := s.page.Close(context.Background()); err != nil {
			s.log.Warn("close the status page's connections", "err", err)
		}
	}
	if s.node != nil {
		s.running.Store(nil)
		if err := s.node.Close(); err != nil {
			s.log.Warn("stop the coordinator node", "err", err)
		}
	}
	if s.stopPITR != nil {
		s.stopPITR()
	}
	if s.w != nil {
		s.w.close()
	}
	if s.tmpDir != "" {
		if err := os.RemoveAll(s.tmpDir); err != nil {
			s.log.Warn("remove the sandbox directory", "dir", s.tmpDir, "err", err)
		}
	}
}
