package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// describe says in one line what a step does to a member.
func (p *planner) describe(u unit, old, nw *MemberConfig, to progress) string {
	where := ""
	if site := p.state.SiteOf(u.host()); site != "" {
		where = " in " + site
	}
	switch {
	case old == nil:
		return fmt.Sprintf("add %s%s (%s)", nw.Host, where, shapeOf(*nw))
	case nw == nil:
		return fmt.Sprintf("remove %s%s (%s)", old.Host, where, shapeOf(*old))
	case to == atTemp:
		return fmt.Sprintf("temporarily take the vote of %s%s (votes 0, priority 0) to stay within %d voters", old.Host, where, MaxVoters)
	case old == u.temp:
		return fmt.Sprintf("give %s%s its vote back (%s)", nw.Host, where, shapeOf(*nw))
	}
	return fmt.Sprintf("change %s%s: %s", nw.Host, where, strings.Join(memberChanges(*old, *nw), ", "))
}

func shapeOf(m MemberConfig) string {
	parts := []string{fmt.Sprintf("_id %d", m.ID)}
	if m.ArbiterOnly {
		return strings.Join(append(parts, "arbiter"), ", ")
	}
	parts = append(parts, fmt.Sprintf("votes %d", m.Votes), "priority "+formatPriority(m.Priority))
	if m.Hidden {
		parts = append(parts, "hidden")
	}
	if m.SecondaryDelaySecs > 0 {
		parts = append(parts, fmt.Sprintf("delay %ds", m.SecondaryDelaySecs))
	}
	return strings.Join(parts, ", ")
}

func memberChanges(a, b MemberConfig) []string {
	var out []string
	if a.Votes != b.Votes {
		out = append(out, fmt.Sprintf("votes %d → %d", a.Votes, b.Votes))
	}
	if a.Priority != b.Priority {
		out = append(out, fmt.Sprintf("priority %s → %s", formatPriority(a.Priority), formatPriority(b.Priority)))
	}
	if a.Hidden != b.Hidden {
		out = append(out, fmt.Sprintf("hidden %t → %t", a.Hidden, b.Hidden))
	}
	if a.SecondaryDelaySecs != b.SecondaryDelaySecs {
		out = append(out, fmt.Sprintf("secondaryDelaySecs %d → %d", a.SecondaryDelaySecs, b.SecondaryDelaySecs))
	}
	if !maps.Equal(a.Tags, b.Tags) {
		out = append(out, fmt.Sprintf("tags %s → %s", formatTags(a.Tags), formatTags(b.Tags)))
	}
	if len(out) == 0 {
		out = append(out, "unchanged")
	}
	return out
}

func formatTags(t map[string]string) string {
	keys := slices.Sorted(maps.Keys(t))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + t[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func settingsChanges(a, b *Settings) string {
	if a == nil {
		a = &Settings{}
	}
	if b == nil {
		b = &Settings{}
	}
	var out []string
	num := func(name string, x, y int64) {
		if x != y {
			out = append(out, fmt.Sprintf("%s %d → %d", name, x, y))
		}
	}
	num("electionTimeoutMillis", a.ElectionTimeoutMillis, b.ElectionTimeoutMillis)
	num("heartbeatIntervalMillis", a.HeartbeatIntervalMillis, b.HeartbeatIntervalMillis)
	num("heartbeatTimeoutSecs", a.HeartbeatTimeoutSecs, b.HeartbeatTimeoutSecs)
	if !eqInt(a.CatchUpTimeoutMillis, b.CatchUpTimeoutMillis) {
		out = append(out, fmt.Sprintf("catchUpTimeoutMillis %s → %s", ptrString(a.CatchUpTimeoutMillis), ptrString(b.CatchUpTimeoutMillis)))
	}
	if !eqBool(a.ChainingAllowed, b.ChainingAllowed) {
		out = append(out, fmt.Sprintf("chainingAllowed %s → %s", ptrString(a.ChainingAllowed), ptrString(b.ChainingAllowed)))
	}
	if len(out) == 0 {
		return "unchanged"
	}
	return strings.Join(out, ", ")
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "default"
	}
	return fmt.Sprint(*p)
}
