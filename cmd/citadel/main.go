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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code. A cancelled ctx
// is an interrupt (Ctrl-C or SIGTERM in main).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, hoistGlobalFlags(app, args))
	if err != nil && ctx.Err() != nil {
		// The cause is the interrupt: what it broke on the way (a driver
		// connection pool, a context) tells the user nothing more. What
		// was done before it is in the command's own output.
		err = errInterrupted
	}
	code := exitCode(err)
	if err != nil && !isSilent(err) {
		fmt.Fprintf(stderr, "citadel: %v\n", err)
	}
	return code
}
