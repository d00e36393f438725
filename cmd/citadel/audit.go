package main

import (
	"log/slog"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
)

// auditTrail is the one audit trail of every state-changing command
// (cluster apply, switchover, failover, rejoin; backup prune and copy;
// restore; ingest loads): each action records one audit.Record, appended
// as a JSON line to the file the config names (audit.path) and written to
// the log at info level (--log-level info shows it). cfg may be nil (a
// command run without a configuration file): the log only. Recording never
// fails the command; a file that cannot be written is reported as a
// warning.
func (e *env) auditTrail(cfg *config.Config) *audit.Trail {
	log := e.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sinks := []audit.Sink{audit.SlogSink{Log: log}}
	if cfg != nil && cfg.Audit != nil && cfg.Audit.Path != "" {
		sinks = append(sinks, &audit.FileSink{Path: cfg.Audit.Path})
	}
	return audit.New(log, "", sinks...)
}
