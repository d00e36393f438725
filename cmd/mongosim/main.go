// Command mongosim serves the replica sets of a citadel configuration file
// as simulated mongod members (see internal/mongosim):
//
//	mongosim --config FILE [--rs NAME]... [--data DIR] [--control 127.0.0.1:PORT] [--election-timeout DURATION]
//
// It logs one line per member with its address and prints "ready" once
// every member listens. Members start uninitiated.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongosim"
	"github.com/noscites/citadel/internal/mongosim/control"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mongosim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr *os.File) error {
	fs := flag.NewFlagSet("mongosim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", os.Getenv("CITADEL_CONFIG"), "citadel configuration file whose replica_sets to serve")
	var sets multi
	fs.Var(&sets, "rs", "replica set to serve (repeatable; default: all)")
	dataDir := fs.String("data", "", "directory for members' FerretDB files (default: a temporary directory)")
	ctlAddr := fs.String("control", "", "address of the HTTP control API, e.g. 127.0.0.1:7070")
	election := fs.Duration("election-timeout", 0, "override every set's election timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return errors.New("--config FILE is required")
	}
	cfg, err := config.Load(*cfgPath, os.Stdin)
	if err != nil {
		return err
	}
	var chosen []config.ReplicaSet
	for _, rs := range cfg.ReplicaSets {
		if len(sets) == 0 || slices.Contains(sets, rs.Name) {
			chosen = append(chosen, rs)
		}
	}
	if len(chosen) == 0 {
		return fmt.Errorf("no replica set to serve in %s (asked for %v)", *cfgPath, []string(sets))
	}
	if *dataDir == "" {
		if *dataDir, err = os.MkdirTemp("", "mongosim-"); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		defer os.RemoveAll(*dataDir)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim, err := mongosim.Start(ctx, mongosim.Options{Sets: chosen, DataDir: *dataDir, ElectionTimeout: *election, Logger: logger})
	if err != nil {
		return err
	}
	defer sim.Close()
	if *ctlAddr != "" {
		ln, err := net.Listen("tcp", *ctlAddr)
		if err != nil {
			return fmt.Errorf("listen for control API: %w", err)
		}
		srv := &http.Server{Handler: control.Handler(sim), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		logger.Info("control API listening", "addr", ln.Addr().String())
	}
	fmt.Fprintln(stdout, "ready")
	<-ctx.Done()
	return nil
}
