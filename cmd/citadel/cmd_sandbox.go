package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/sandbox"
)

func sandboxCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "sandbox",
		Usage: "run all of citadel on this machine: a SIMULATED two-site replica set, a storage per site, the five datasets' samples, " +
			"a backup copied to the other site, a restore drill, a switchover rehearsal and a coordinator node, until Ctrl-C (exit 0)",
		Flags:  []cli.Flag{&cli.StringFlag{Name: "dir", Usage: "keep everything in `DIR` (default: a temporary directory removed on exit)"}},
		Action: e.sandbox,
	}
}

// sandbox runs the sandbox: progress lines and the summary on stdout, the
// components' logs on stderr at --log-level.
func (e *env) sandbox(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--dir DIR]"); err != nil {
		return err
	}
	opts := sandbox.Options{Dir: c.String("dir"), Progress: e.stdout, Log: e.log, Tool: "citadel " + version, Command: invokedAs()}
	return sandbox.Run(c.Context, opts, func(s *sandbox.Summary) { s.Print(e.stdout) })
}

// invokedAs is how the user started this binary, for the commands the
// summary suggests: as typed (bin/citadel, citadel), or go run's when the
// binary lives in go run's temporary build directory.
func invokedAs() string {
	name := os.Args[0]
	if strings.Contains(filepath.ToSlash(name), "/go-build") {
		return "go run ./cmd/citadel"
	}
	return name
}
