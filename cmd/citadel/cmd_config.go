package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func configCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "check or print configuration files",
		Subcommands: []*cli.Command{
			{
				Name:      "validate",
				Usage:     "report every problem in a configuration file (FILE, - for stdin, default --config)",
				ArgsUsage: "[FILE]",
				Action:    e.configValidate,
			},
			{
				Name:   "example",
				Usage:  "print a commented two-site example that validates",
				Action: e.configExample,
			},
		},
	}
}

// validateReport is the JSON shape of `config validate -o json`.
type validateReport struct {
	File     string           `json:"file"`
	Valid    bool             `json:"valid"`
	Problems []config.Problem `json:"problems"`
	Warnings []config.Problem `json:"warnings"`
}

func (e *env) configValidate(c *cli.Context) error {
	if err := requireArgs(c, 0, 1, "[FILE]"); err != nil {
		return err
	}
	file := c.String("config")
	if c.NArg() == 1 {
		file = c.Args().First()
	}
	cfg, err := e.loadNamed(file, c.NArg() == 1)
	var cerr *config.Error
	if err != nil && !errors.As(err, &cerr) {
		return err
	}
	if file == "-" {
		file = config.StdinName
	}
	rep := validateReport{File: file, Valid: err == nil, Problems: []config.Problem{}, Warnings: []config.Problem{}}
	if cerr != nil {
		rep.Problems = cerr.Problems
	} else {
		rep.Warnings = cfg.Warnings
	}
	if e.json {
		if perr := printJSON(e.stdout, rep); perr != nil {
			return perr
		}
	} else {
		e.printValidation(rep, cfg)
	}
	if err != nil {
		return silentError{err}
	}
	return nil
}

// loadNamed loads the file to validate: stdin for "-"; a file named on the
// command line without the --config hint the default file gets.
func (e *env) loadNamed(file string, named bool) (*config.Config, error) {
	if file == "-" {
		return config.Read(file, e.stdin)
	}
	if !named {
		return config.Load(file, e.stdin)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("config validate: %w", err)
	}
	defer f.Close()
	return config.Read(file, f)
}

func (e *env) printValidation(rep validateReport, cfg *config.Config) {
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stderr, "error: %s\n", p)
	}
	if !rep.Valid {
		fmt.Fprintf(e.stderr, "%s: %d problem(s); fix them and run citadel config validate again\n", rep.File, len(rep.Problems))
		return
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	nodes := 0
	if cfg.Coordinator != nil {
		nodes = len(cfg.Coordinator.Nodes)
	}
	fmt.Fprintf(e.stdout, "%s: valid (%d sites, %d replica sets, %d storages, %d backups, %d drills, %d coordinator nodes)\n",
		rep.File, len(cfg.Sites), len(cfg.ReplicaSets), len(cfg.Storages), len(cfg.Backups), len(cfg.Drills), nodes)
}

func (e *env) configExample(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, ""); err != nil {
		return err
	}
	if e.json {
		return fault.Usage("config example prints commented YAML, which -o json would lose: run it without -o json")
	}
	_, err := e.stdout.Write(config.Example())
	return err
}
