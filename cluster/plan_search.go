package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// progress of one unit: still in its live shape, in its temporary shape,
// or in its desired shape.
type progress uint8

const (
	atFrom progress = iota
	atTemp
	atTo
)

// searchBudget bounds the nodes the search visits; ordinary plans need one
// node per step, dead ends are what the budget is for.
const searchBudget = 100000

type planner struct {
	units   []unit
	state   *State
	budget  int
	seen    map[string]bool
	deepest int
	stuck   []string
}

// candidate is one possible next step.
type candidate struct {
	unit    int // -1 for the settings step
	to      progress
	order   int
	next    *Config
	step    Step
	primary string // the primary after the step
}

// search is a depth-first search over unit progress. Candidates are tried
// in a fixed preference order (see DESIGN.md), so the first path found is
// the greedy one and backtracking only happens at dead ends; dead nodes are
// remembered.
func (p *planner) search(cfg *Config, prog []progress, primary string, settingsDone bool, want *Settings) ([]Step, bool) {
	if settingsDone && p.done(prog) {
		return nil, true
	}
	key := nodeKey(prog, primary, settingsDone)
	if p.seen[key] || p.budget <= 0 {
		return nil, false
	}
	p.budget--
	cands, reasons := p.candidates(cfg, prog, primary, settingsDone, want)
	for _, c := range cands {
		np := slices.Clone(prog)
		if c.unit >= 0 {
			np[c.unit] = c.to
		}
		rest, ok := p.search(c.next, np, c.primary, settingsDone || c.unit < 0, want)
		if ok {
			return append([]Step{c.step}, rest...), true
		}
	}
	if depth := p.depth(prog); depth >= p.deepest {
		p.deepest, p.stuck = depth, reasons
	}
	p.seen[key] = true
	return nil, false
}

func (p *planner) done(prog []progress) bool {
	for i, g := range prog {
		if g != atTo && !(p.units[i].optional && g == atFrom) {
			return false
		}
	}
	return true
}

func (p *planner) depth(prog []progress) int {
	n := 0
	for _, g := range prog {
		n += int(g)
	}
	return n
}

func nodeKey(prog []progress, primary string, settingsDone bool) string {
	b := make([]byte, 0, len(prog)+len(primary)+2)
	for _, g := range prog {
		b = append(b, '0'+byte(g))
	}
	return fmt.Sprint(string(b), " ", settingsDone, " ", primary)
}

// candidates lists the valid next steps in preference order, and the
// reasons the invalid ones were refused.
func (p *planner) candidates(cfg *Config, prog []progress, primary string, settingsDone bool, want *Settings) ([]candidate, []string) {
	var out []candidate
	var reasons []string
	if !settingsDone {
		next := cfg.Clone()
		next.Settings = cloneSettings(want)
		next.Version = cfg.Version + 1
		out = append(out, candidate{unit: -1, next: next, primary: primary, step: Step{Kind: StepReconfig, Config: next,
			Summary: "settings: " + settingsChanges(cfg.Settings, want)}})
	}
	for i, u := range p.units {
		for _, to := range []progress{atTemp, atTo} {
			if !validMove(u, prog[i], to) {
				continue
			}
			c, err := p.try(cfg, u, prog[i], to, primary)
			if err != nil {
				reasons = append(reasons, err.Error())
				continue
			}
			c.unit = i
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int { return a.order - b.order })
	return out, reasons
}

func validMove(u unit, from, to progress) bool {
	switch {
	case from == atTo || to <= from:
		return false
	case to == atTemp:
		return u.temp != nil
	case u.optional:
		return from == atTemp // an untouched optional unit is already done
	}
	return true
}

func (u unit) shape(g progress) *MemberConfig {
	switch g {
	case atFrom:
		return u.from
	case atTemp:
		return u.temp
	}
	return u.to
}

// try builds the config after moving u from one shape to another and checks
// it: mongod's rules, one voter at most, the safety rules, the primary.
func (p *planner) try(cfg *Config, u unit, from, to progress, primary string) (candidate, error) {
	old, nw := u.shape(from), u.shape(to)
	next := cfg.Clone()
	if old != nil {
		next.Members = slices.DeleteFunc(next.Members, func(m MemberConfig) bool { return sameHost(m.Host, old.Host) })
	}
	if nw != nil {
		next.Members = append(next.Members, nw.Clone())
	}
	sortMembers(next.Members)
	next.Version = cfg.Version + 1
	if err := ValidateConfig(next); err != nil {
		return candidate{}, fmt.Errorf("%s: %w", u.host(), err)
	}
	if err := p.safe(next); err != nil {
		return candidate{}, fmt.Errorf("%s: %w", u.host(), err)
	}
	c := candidate{to: to, next: next, primary: primary}
	c.step = Step{Kind: StepReconfig, Host: u.host(), Config: next, VoterChange: VoterChanges(cfg, next) > 0,
		Temporary: to == atTemp, Summary: p.describe(u, old, nw, to)}
	if pm := next.Member(primary); pm == nil || !pm.Electable() {
		heir := p.heir(cfg, next, primary)
		if heir == "" {
			return candidate{}, fmt.Errorf("%s: primary %s would become unelectable and no healthy electable member could replace it", u.host(), primary)
		}
		c.primary = heir
		c.step.StepDownFirst, c.step.NewPrimary = primary, heir
	}
	c.order = p.order(cfg, next, u, old, nw, c.primary != primary)
	return c, nil
}

// safe checks citadel's own rules beyond mongod's: a majority of the voters
// healthy, and a healthy electable member, so a primary can always exist.
func (p *planner) safe(c *Config) error {
	voters, up, electable := 0, 0, 0
	for _, m := range c.Members {
		healthy := p.state.Healthy(m.Host)
		if m.Voter() {
			voters++
			if healthy {
				up++
			}
		}
		if m.Electable() && healthy {
			electable++
		}
	}
	if up < Majority(voters) {
		return fmt.Errorf("only %d of %d voters would be healthy and a primary needs %d", up, voters, Majority(voters))
	}
	if electable == 0 {
		return fmt.Errorf("no healthy electable member would remain")
	}
	return nil
}

// heir picks the member that takes over when the primary must step down
// before a step: healthy, electable both now and after the step, with the
// highest priority after it. "" when there is none.
func (p *planner) heir(cur, next *Config, primary string) string {
	best, bestPri := "", -1.0
	for _, m := range cur.Members {
		if sameHost(m.Host, primary) || !m.Electable() || !p.state.Healthy(m.Host) {
			continue
		}
		if n := next.Member(m.Host); n != nil && n.Electable() && n.Priority > bestPri {
			best, bestPri = m.Host, n.Priority
		}
	}
	return best
}

// order ranks a candidate: lower is tried first.
func (p *planner) order(cur, next *Config, u unit, old, nw *MemberConfig, stepDown bool) int {
	dV := next.Voters() - cur.Voters()
	dE := electableCount(next) - electableCount(cur)
	var rank int
	switch {
	case dV < 0 && old != nil && !p.state.Healthy(old.Host):
		rank = 1 // shed unreachable voters first: it widens the margin
	case dV == 0 && dE >= 0:
		rank = 2
	case dV > 0:
		rank = 3 // add before removing: more voters during the change
	case dV < 0 && dE == 0:
		rank = 4
	case dV == 0:
		rank = 5
	default:
		rank = 6
	}
	if stepDown {
		rank += 10
	}
	switch {
	case nw != nil && nw == u.temp:
		rank += 30 // a detour, only when nothing else moves
	case old != nil && old == u.temp:
		rank += 20 // undo a detour once the real changes are done
	}
	return rank
}

func electableCount(c *Config) int {
	n := 0
	for _, m := range c.Members {
		if m.Electable() {
			n++
		}
	}
	return n
}

func (p *planner) failure(set string) error {
	msg := fmt.Sprintf("set %s: no order of single-voter reconfigs reaches the file's config while keeping a majority of healthy voters", set)
	if len(p.stuck) > 0 {
		msg += "; blocked: " + strings.Join(p.stuck, "; ")
	}
	return fmt.Errorf("%w: %s; bring the down members back or change the file in smaller steps", ErrNoSafePath, msg)
}

func cloneSettings(s *Settings) *Settings {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
