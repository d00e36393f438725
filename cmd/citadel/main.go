// Command citadel manages MongoDB replica sets across two sites, backs them
// up to self-hosted MinIO, loads the association's datasets and rehearses
// disaster recovery. See ../shared/design/cli.md for the command contract.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(stdin, stdout, stderr).RunContext(ctx, args)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", errInterrupted, err)
	}
	code := exitCode(err)
	if err != nil && !isSilent(err) {
		fmt.Fprintf(stderr, "citadel: %v\n", err)
	}
	return code
}
