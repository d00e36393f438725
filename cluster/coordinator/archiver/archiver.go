// Package archiver hosts the continuous PITR archivers on the
// coordinator's leader: one per backup configuration with pitr.enabled,
// each running the job layer's jobs.PITR (the code `citadel backup pitr`
// runs) for as long as this node leads. An archiver follows the set: when
// it stops (its source member died, stepped up or left the set, or no
// member could be chosen) it is started again after the one retry
// policy's pause, so jobs.PITR chooses the source again and the archiver
// resumes from the end of the last committed slice in the storage. A gap
// is recorded by the archiver only when the oplog really rolled past that
// point. Each archiver's state (source, end of the last slice, last error,
// restarts) goes to the raft state (store.PITRState), which feeds
// citadel_pitr_lag_seconds. cluster/coordinator/DESIGN.md says what
// happens at a leader change.
package archiver

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongoconn"
)

// Store is how the archivers learn that this node leads and where they
// record their state: the node's *store.Store.
type Store interface {
	IsLeader() bool
	PutPITR(ctx context.Context, p store.PITRState) error
	FSM() *store.FSM
}

// Options configure the archivers of a node.
type Options struct {
	Env   jobs.Env // its Config names the backups with pitr.enabled
	Store Store
	Log   *slog.Logger
	// Poll is how often leadership is checked (default 1 s): archivers
	// start within Poll of this node becoming leader and are cancelled
	// within Poll of it no longer leading.
	Poll time.Duration
	// Retry gives the pause before an archiver is started again (default
	// mongoconn.DefaultRetry()). Its Attempts do not apply: an archiver is
	// started again for as long as the node leads.
	Retry mongoconn.Retry

	pitr func(context.Context, jobs.Env, jobs.PITRRequest) error // jobs.PITR; tests replace it
}

// Archivers is the running leadership watch of one node.
type Archivers struct{ done chan struct{} }

// Start watches leadership until ctx ends: while this node leads, one
// archiver runs per backup configuration with pitr.enabled.
func Start(ctx context.Context, o Options) *Archivers {
	o.Log = cmp.Or(o.Log, slog.New(slog.DiscardHandler)).With("component", "pitr")
	o.Poll = cmp.Or(o.Poll, time.Second)
	if o.Retry == (mongoconn.Retry{}) {
		o.Retry = mongoconn.DefaultRetry()
	}
	if o.pitr == nil {
		o.pitr = jobs.PITR
	}
	a := &Archivers{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		o.watch(ctx)
	}()
	return a
}

// Wait returns once ctx ended and every archiver has returned (each
// finishes the slice in flight first).
func (a *Archivers) Wait() { <-a.done }

// Backups are the backup configurations whose oplog is archived.
func Backups(cfg *config.Config) []*config.Backup {
	var out []*config.Backup
	if cfg == nil {
		return nil
	}
	for i := range cfg.Backups {
		if cfg.Backups[i].PITR.Enabled {
			out = append(out, &cfg.Backups[i])
		}
	}
	return out
}

func (o Options) watch(ctx context.Context) {
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	var cur *term
	defer func() { cur.end() }()
	for {
		switch leading := o.Store.IsLeader(); {
		case leading && cur == nil:
			cur = o.lead(ctx)
		case !leading && cur != nil:
			o.Log.Info("no longer the leader: stopping the PITR archivers after their slice in flight")
			cur.end()
			cur = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// term is the archivers of one leadership term.
type term struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (t *term) end() {
	if t != nil {
		t.cancel()
		t.wg.Wait()
	}
}

func (o Options) lead(ctx context.Context) *term {
	tctx, cancel := context.WithCancel(ctx)
	t := &term{cancel: cancel}
	for _, b := range Backups(o.Env.Config) {
		f := &follower{o: o, backup: b.Name, log: o.Log.With("backup", b.Name, "rs", b.ReplicaSet),
			state: store.PITRState{ReplicaSet: b.ReplicaSet}}
		for _, p := range o.Store.FSM().PITR() {
			if p.ReplicaSet == b.ReplicaSet {
				f.state = p // continue the record of the previous leader
			}
		}
		f.log.Info("leader: starting the PITR archiver", "from", f.state.Position)
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			f.run(tctx)
		}()
	}
	return t
}

// follower keeps one backup configuration's archiver running.
type follower struct {
	o      Options
	backup string
	log    *slog.Logger
	state  store.PITRState
}

// run starts the archiver again each time it stops, until ctx ends.
func (f *follower) run(ctx context.Context) {
	fails := 0
	for {
		sliced := false
		err := f.o.pitr(ctx, f.o.Env, jobs.PITRRequest{Job: f.backup,
			OnStart: func(source, storage string, every time.Duration) {
				f.log.Info("pitr archiver reading", "source", source, "storage", storage, "every", every)
				f.state.Source = source
				f.put(ctx)
			},
			OnSlice: func(s *manifest.Slice) {
				sliced = true
				f.state.Position = store.OpTime{T: s.Upper.T, I: s.Upper.I}
				f.state.SliceKey = layout.PITRPrefix(s.ReplicaSet) + layout.SliceRecordName(s.After, s.Upper)
				f.state.Source = cmp.Or(s.Source, f.state.Source)
				f.put(ctx)
			}})
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the archiver returned without an error")
		}
		if sliced {
			fails = 0
		}
		fails++
		pause := f.o.Retry.Pause(fails)
		f.state.Restarts++
		f.state.LastError = err.Error()
		f.log.Warn("pitr archiver stopped; choosing a source again after a pause", "err", err,
			"restarts", f.state.Restarts, "pause", pause.Round(time.Millisecond))
		f.put(ctx)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// put records the state through raft; a failure is only logged (the
// storage is the truth, the next leader's archiver resumes from it).
func (f *follower) put(ctx context.Context) {
	f.state.UpdatedAt = time.Time{} // stamped by the FSM with the entry's time
	if err := f.o.Store.PutPITR(ctx, f.state); err != nil && ctx.Err() == nil {
		f.log.Warn("cannot record the PITR archiver's state", "err", err)
	}
}
