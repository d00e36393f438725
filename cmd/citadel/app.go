package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/internal/fault"
)

// env holds what every command needs: streams, the logger, output format.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	json           bool
}

// silentError carries an exit code for output already printed (for example
// a validation report): run prints nothing more.
type silentError struct{ err error }

func (s silentError) Error() string { return s.err.Error() }
func (s silentError) Unwrap() error { return s.err }

func isSilent(err error) bool {
	var s silentError
	return errors.As(err, &s)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	app := &cli.App{
		Name:            "citadel",
		Usage:           "MongoDB replica sets across two sites, backups you can prove, rehearsed recovery",
		Version:         version,
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideVersion:     true,
		Flags:           globalFlags(),
		Before:          e.before,
		ExitErrHandler:  func(*cli.Context, error) {}, // run maps errors to codes
		OnUsageError:    usageError,
		CommandNotFound: commandNotFound,
		Action:          rootAction,
		Commands: []*cli.Command{
			versionCommand(e),
			configCommand(e),
			clusterCommand(e),
			ingestCommand(e),
			reportCommand(e),
			dictionaryCommand(e),
			qualityCommand(e),
			auditReportCommand(e),
			auditCommand(e),
			backupCommand(e),
			restoreCommand(e),
			drillCommand(e),
			serverCommand(e),
			coordinatorCommand(e),
			storageCommand(e),
			completionCommand(e),
			sandboxCommand(e),
		},
		EnableBashCompletion: true,
	}
	app.CustomAppHelpTemplate = cli.AppHelpTemplate + exitCodesHelp()
	for _, c := range app.Commands {
		setUsageHandlers(c)
	}
	return app
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "configuration `FILE`", EnvVars: []string{"CITADEL_CONFIG"}, Value: "citadel.yaml"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output format: table or json", Value: "table"},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", Value: "warn", EnvVars: []string{"CITADEL_LOG_LEVEL"}},
	}
}

func (e *env) before(c *cli.Context) error {
	switch out := c.String("output"); out {
	case "table":
	case "json":
		e.json = true
	default:
		return fault.Usage(fmt.Sprintf("--output %q: use table or json", out))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return fault.Usage(fmt.Sprintf("--log-level %q: use debug, info, warn or error", c.String("log-level")))
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

func usageError(_ *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%w: %v (see --help)", fault.ErrUsage, err)
}

func commandNotFound(c *cli.Context, name string) {
	fmt.Fprintf(c.App.ErrWriter, "citadel: unknown command %q; commands: %s\n", name, commandNames(c.App.Commands))
}

// rootAction refuses an unknown command, and a missing one with the help
// (on stderr: it answers a mistake, exit 2).
func rootAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fault.Usage(fmt.Sprintf("unknown command %q; commands: %s", c.Args().First(), commandNames(c.App.Commands)))
	}
	cli.HelpPrinter(c.App.ErrWriter, c.App.CustomAppHelpTemplate, c.App)
	return silentError{fault.Usage("no command given")}
}

func commandNames(cmds []*cli.Command) string {
	names := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// setUsageHandlers makes flag mistakes in any subcommand exit 2 and gives
// every command's help the table of exit codes. A group run without a
// subcommand prints its help on stderr and exits 2, as citadel alone does.
func setUsageHandlers(c *cli.Command) {
	c.OnUsageError = usageError
	tmpl := cli.CommandHelpTemplate
	if len(c.Subcommands) > 0 {
		tmpl = cli.SubcommandHelpTemplate
	}
	c.CustomHelpTemplate = tmpl + exitCodesHelp()
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = func(ctx *cli.Context) error {
			if ctx.NArg() > 0 {
				return fault.Usage(fmt.Sprintf("unknown command %q for %s; commands: %s", ctx.Args().First(), commandPath(ctx), commandNames(ctx.Command.Subcommands)))
			}
			cli.HelpPrinter(ctx.App.ErrWriter, ctx.Command.CustomHelpTemplate, ctx.Command)
			return silentError{fault.Usage("no subcommand given")}
		}
	}
	for _, sub := range c.Subcommands {
		setUsageHandlers(sub)
	}
}

// commandPath is the command as typed, without "citadel": "backup show".
// urfave/cli's FullName is only the last word inside a subcommand's action;
// HelpName holds the whole path.
func commandPath(c *cli.Context) string {
	if name := strings.TrimPrefix(c.Command.HelpName, c.App.Name+" "); name != "" && name != c.App.Name {
		return name
	}
	return c.Command.FullName()
}

// requireArgs checks the number of positional arguments (see positional).
func requireArgs(c *cli.Context, min, max int, usage string) error {
	_, err := positional(c, min, max, usage)
	return err
}

// positional returns the positional arguments, applying flags written
// after them: cli.md writes `backup verify ID --read-data` and `restore ID
// --to-uri URI`, while urfave/cli stops parsing flags at the first
// positional argument. Every command reads its arguments through here, so
// flags may come before or after them everywhere.
func positional(c *cli.Context, minN, maxN int, usage string) ([]string, error) {
	args := c.Args().Slice()
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := lookupFlag(c.Command.Flags, name)
		if f == nil {
			return nil, fault.Usage(fmt.Sprintf("%s: unknown flag %s", commandPath(c), a))
		}
		if _, isBool := f.(*cli.BoolFlag); isBool && !hasValue {
			value, hasValue = "true", true
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fault.Usage(fmt.Sprintf("%s: flag %s needs a value", commandPath(c), a))
			}
			i++
			value = args[i]
		}
		if err := c.Set(f.Names()[0], value); err != nil {
			return nil, fault.Usage(fmt.Sprintf("%s: %s: %v", commandPath(c), a, err))
		}
	}
	if len(pos) < minN || maxN >= 0 && len(pos) > maxN {
		return nil, fault.Usage(strings.TrimSpace(fmt.Sprintf("usage: %s %s %s", c.App.Name, commandPath(c), usage)))
	}
	return pos, nil
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// hoistGlobalFlags moves the global flags (--config/-c, --output/-o,
// --log-level) written after the command to the front of the line, where
// urfave/cli parses them: users write `citadel backup list -o json` as
// kubectl and restic accept it. It walks the command tree to know which
// words are commands and which flags of the current command take a value
// (so a value is never taken for a flag or a command), stops at "--", and
// leaves a flag the command itself defines where it is. Hoisted flags go
// right before the command, after any written there: the last one on the
// line still wins.
func hoistGlobalFlags(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var front, hoisted, rest []string
	cmds, local := app.Commands, []cli.Flag(nil)
	inCommand, inArgs := false, false
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case !strings.HasPrefix(a, "-") || a == "-":
			if c := findCommand(cmds, a); c != nil && !inArgs {
				inCommand, cmds, local = true, c.Subcommands, c.Flags
				rest = append(rest, a)
			} else if inCommand {
				inArgs = true
				rest = append(rest, a)
			} else {
				front = append(front, a)
			}
		default:
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			f, global := lookupFlag(local, name), false
			if f == nil {
				f = lookupFlag(app.Flags, name)
				global = f != nil
			}
			words := []string{a}
			if f != nil && takesValue(f) && !hasValue {
				if i+1 >= len(args) {
					rest = append(rest, a) // urfave/cli says it needs a value
					continue
				}
				i++
				words = append(words, args[i])
			}
			switch {
			case !inCommand:
				front = append(front, words...)
			case global:
				hoisted = append(hoisted, words...)
			default:
				rest = append(rest, words...)
			}
		}
	}
	out := append(append([]string{args[0]}, front...), hoisted...)
	return append(out, rest...)
}

// findCommand returns the command named name (or an alias) among cmds.
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// takesValue reports whether a flag consumes the next word (every flag
// but booleans).
func takesValue(f cli.Flag) bool {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return true
}
