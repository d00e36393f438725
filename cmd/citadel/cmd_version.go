package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print citadel's version",
		Action: func(c *cli.Context) error {
			if err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			info := map[string]string{"version": version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
			if e.json {
				return printJSON(e.stdout, info)
			}
			_, err := fmt.Fprintf(e.stdout, "citadel %s (%s, %s)\n", version, info["go"], info["platform"])
			return err
		},
	}
}
