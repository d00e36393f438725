package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/noscites/citadel/cluster"
)

// interactive reports whether stdin is a terminal a person can answer on.
func (e *env) interactive() bool {
	f, ok := e.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (e *env) readLine(prompt string) (string, error) {
	fmt.Fprint(e.stderr, prompt)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%w: no answer", cluster.ErrNotConfirmed)
	}
	return strings.TrimSpace(line), nil
}

// confirmYes asks a yes/no question on a terminal; elsewhere it refuses.
func (e *env) confirmYes(question string) error {
	if !e.interactive() {
		return fmt.Errorf("%w: %s pass --yes when not on a terminal", cluster.ErrNotConfirmed, question)
	}
	ans, err := e.readLine(question + " [y/N] ")
	if err != nil {
		return err
	}
	if a := strings.ToLower(ans); a != "y" && a != "yes" {
		return fmt.Errorf("%w: answered %q", cluster.ErrNotConfirmed, ans)
	}
	return nil
}

// confirmTyped asks the operator to type want; elsewhere it refuses.
func (e *env) confirmTyped(want, prompt string) error {
	if !e.interactive() {
		return fmt.Errorf("%w: not on a terminal; rerun with --yes once you are sure", cluster.ErrNotConfirmed)
	}
	ans, err := e.readLine(prompt)
	if err != nil {
		return err
	}
	if ans != want {
		return fmt.Errorf("%w: typed %q, not %q; nothing was changed", cluster.ErrNotConfirmed, ans, want)
	}
	return nil
}

// stepPrinter prints one line per applied step on a table output.
func (e *env) stepPrinter() func(cluster.StepResult) {
	if e.json {
		return nil
	}
	return func(r cluster.StepResult) {
		line := fmt.Sprintf("done: %s (version %d → %d, %.1fs)", r.Step.Summary, r.VersionBefore, r.VersionAfter, r.Took.D().Seconds())
		if r.SteppedDown != "" {
			line += "; stepped down " + r.SteppedDown + " first"
		}
		fmt.Fprintln(e.stdout, line)
	}
}

func (e *env) printPlan(p cluster.SetPlan) {
	if len(p.Steps) == 0 {
		fmt.Fprintf(e.stdout, "%s: the live config (version %d) is what the file says; nothing to do\n", p.Set, p.LiveVersion)
		return
	}
	fmt.Fprintf(e.stdout, "%s: %d step(s) from live config version %d\n", p.Set, len(p.Steps), p.LiveVersion)
	for i, s := range p.Steps {
		var notes []string
		if s.VoterChange {
			notes = append(notes, "voter change")
		}
		if s.StepDownFirst != "" {
			notes = append(notes, fmt.Sprintf("steps down %s for %s first", s.StepDownFirst, s.NewPrimary))
		}
		if s.Temporary {
			notes = append(notes, "temporary")
		}
		suffix := ""
		if len(notes) > 0 {
			suffix = " [" + strings.Join(notes, "; ") + "]"
		}
		fmt.Fprintf(e.stdout, "  %d. %s%s\n", i+1, s.Summary, suffix)
	}
}
