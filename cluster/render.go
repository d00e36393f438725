package cluster

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// StatusReport is the JSON document of `citadel cluster status -o json`.
type StatusReport struct {
	*State
	// Initiated is null when the state is unknown (State.Unknown).
	Initiated     *bool      `json:"initiated"`
	ConfigVersion int        `json:"config_version"`
	ConfigTerm    int64      `json:"config_term"`
	OplogWindow   Seconds    `json:"oplog_window_seconds"`
	Sites         SiteReport `json:"sites"`
}

// Report builds the status report of an observed set.
func Report(st *State) StatusReport {
	r := StatusReport{State: st, Sites: AnalyzeSites(st), OplogWindow: Seconds(st.Oplog.Span())}
	if !st.Unknown() {
		r.Initiated = &st.Initiated
	}
	if st.Config != nil {
		r.ConfigVersion, r.ConfigTerm = st.Config.Version, st.Config.Term
	}
	return r
}

// WriteStatus prints the status of one set as a table followed by the
// site-loss analysis.
func WriteStatus(w io.Writer, st *State) error {
	r := Report(st)
	fmt.Fprintf(w, "replica set %s", st.Name)
	switch {
	case st.Unknown():
		fmt.Fprintf(w, ": STATE UNKNOWN: could not reach %s; no member that answered holds a config\n", strings.Join(st.Unreachable, ", "))
	case !st.Initiated:
		fmt.Fprintf(w, ": not initiated (citadel cluster apply --rs %s initiates it)\n", st.Name)
	default:
		fmt.Fprintf(w, "   config version %d%s   term %d   primary %s\n", r.ConfigVersion, committedWord(st.Committed), st.Term, primaryWord(st))
		if span := st.Oplog.Span(); span > 0 {
			fmt.Fprintf(w, "oplog window %s (%s → %s, on %s)\n", humanDuration(span),
				st.Oplog.First.UTC().Format(time.RFC3339), st.Oplog.Last.UTC().Format(time.RFC3339), st.Oplog.Host)
		}
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tSITE\tSTATE\tHEALTH\tLAG\tPRIORITY\tVOTES\tHIDDEN\tNOTE")
	for _, m := range st.Members {
		pri, votes := "-", "-"
		if m.InConfig {
			pri, votes = formatPriority(m.Priority), fmt.Sprint(m.Votes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Host, dash(m.Site), dash(m.State), healthWord(m),
			lagWord(m), pri, votes, yes(m.Hidden), noteOf(st, m))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	if st.Config != nil {
		writeSites(w, st, r.Sites)
	}
	return nil
}

func writeSites(w io.Writer, st *State, rep SiteReport) {
	var parts []string
	for _, l := range rep.Losses {
		parts = append(parts, fmt.Sprintf("%s %d", l.Site, l.Votes))
	}
	fmt.Fprintf(w, "votes: %s of %d; a primary needs %d", strings.Join(parts, ", "), rep.Voters, rep.Majority)
	if rep.MajoritySite != "" {
		fmt.Fprintf(w, "; %s holds the voting majority\n", rep.MajoritySite)
	} else {
		fmt.Fprintln(w, "; no single site holds the voting majority")
	}
	sites := st.Sites()
	for _, l := range rep.Losses {
		fmt.Fprintln(w, "  "+LossSentence(st.Name, rep, l, sites))
	}
}

func committedWord(c *bool) string {
	switch {
	case c == nil:
		return ""
	case *c:
		return " (committed)"
	}
	return " (NOT committed: a reconfig is still propagating)"
}

func primaryWord(st *State) string {
	if st.Primary == "" {
		return "NONE"
	}
	if site := st.SiteOf(st.Primary); site != "" {
		return st.Primary + " (" + site + ")"
	}
	return st.Primary
}

func healthWord(m MemberState) string {
	switch {
	case m.Health:
		return "ok"
	case m.Reachable && m.State == "REMOVED":
		return "reachable" // answers citadel, but is no longer in the set's config
	case m.Reachable:
		return "cut off"
	}
	return "down"
}

func lagWord(m MemberState) string {
	if !m.LagKnown || m.State == "PRIMARY" || m.Arbiter {
		return "-"
	}
	return humanDuration(m.Lag.D())
}

func noteOf(st *State, m MemberState) string {
	var n []string
	if !m.InConfig && st.Initiated {
		n = append(n, "not in config")
	}
	if m.NewlyAdded {
		n = append(n, "newly added")
	}
	if m.Arbiter {
		n = append(n, "arbiter")
	}
	if m.DelaySecs > 0 {
		n = append(n, fmt.Sprintf("delayed %ds", m.DelaySecs))
	}
	if m.Error != "" {
		n = append(n, m.Error)
	}
	return strings.Join(n, "; ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
