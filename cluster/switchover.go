package cluster

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// ErrConfigPending refuses an operation while the last reconfig is not
// committed on a majority.
var ErrConfigPending = fmt.Errorf("%w: configuration not committed", fault.ErrRefused)

// SwitchoverPlan is what a planned switchover will do, decided from the
// observed state before anything changes.
type SwitchoverPlan struct {
	Set      string `json:"set"`
	FromSite string `json:"from_site"`
	ToSite   string `json:"to_site"`
	Primary  string `json:"primary"`
	// Target is the member that must win; TargetLag its lag at preflight.
	Target    string  `json:"target"`
	TargetLag Seconds `json:"target_lag_seconds"`
	// Freeze lists the secondaries frozen so they cannot win the election.
	Freeze []string `json:"freeze"`
	// Priorities are the priorities set (on the new primary) once it won,
	// so that no priority takeover undoes the switchover.
	Priorities map[string]float64 `json:"priorities"`
	CatchUp    Seconds            `json:"catch_up_seconds"`
	// Bound is catch-up + election timeout + 2 s: the time the switchover
	// should take.
	Bound Seconds `json:"bound_seconds"`
	// AlreadyThere: the primary is already in the target site; nothing to do.
	AlreadyThere bool `json:"already_there"`
}

// PrepareSwitchover checks that the switchover is safe and decides how to do
// it. Refusals (exit 4) name each member of the target site and why it
// cannot take over: down, not electable, not a secondary, or lagging more
// than catchUp behind the primary. file is the set as the file declares it
// (its priorities are the ones restored when the file's preferred member
// is in the target site).
func PrepareSwitchover(st *State, file *config.ReplicaSet, toSite string, catchUp time.Duration) (*SwitchoverPlan, error) {
	if err := checkSite(st, toSite); err != nil {
		return nil, err
	}
	if st.Config == nil || st.Primary == "" {
		return nil, fmt.Errorf("%w: set %s has no primary to switch over from; if a site is lost, see citadel cluster failover", ErrNoPrimary, st.Name)
	}
	if st.Committed != nil && !*st.Committed {
		return nil, fmt.Errorf("%w: set %s config version %d is still propagating; wait and run citadel cluster status", ErrConfigPending, st.Name, st.Config.Version)
	}
	sp := &SwitchoverPlan{Set: st.Name, FromSite: st.SiteOf(st.Primary), ToSite: toSite, Primary: st.Primary,
		CatchUp: Seconds(catchUp), Bound: Seconds(catchUp + electionTimeout(st.Config) + 2*time.Second)}
	if sp.FromSite == toSite {
		sp.AlreadyThere, sp.Target = true, st.Primary
		return sp, nil
	}
	pri := targetPriorities(st, file, toSite)
	var reasons []string
	var best *MemberState
	for i := range st.Members {
		m := &st.Members[i]
		if m.Site != toSite {
			continue
		}
		if why := unfitReason(st, m, catchUp); why != "" {
			reasons = append(reasons, m.Host+" "+why)
			continue
		}
		if best == nil || pri[m.Host] > pri[best.Host] || pri[m.Host] == pri[best.Host] && m.Lag < best.Lag {
			best = m
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w in %s: %s; wait for replication (citadel cluster status shows the lag) or raise --catch-up",
			ErrNotCaughtUp, toSite, strings.Join(reasons, "; "))
	}
	sp.Target, sp.TargetLag = best.Host, best.Lag
	sp.Priorities = stickPriorities(st.Config, pri, best.Host)
	for _, m := range st.Config.Members {
		ms := st.Member(m.Host)
		if m.Electable() && !sameHost(m.Host, best.Host) && !sameHost(m.Host, st.Primary) && ms != nil && ms.Health {
			sp.Freeze = append(sp.Freeze, m.Host)
		}
	}
	return sp, nil
}

func checkSite(st *State, site string) error {
	if !slices.Contains(st.Sites(), site) {
		return fmt.Errorf("%w: %q is not a site of set %s (sites: %s)", ErrUnknownSite, site, st.Name, strings.Join(st.Sites(), ", "))
	}
	return nil
}

// unfitReason says why a member cannot take over now ("" when it can).
func unfitReason(st *State, m *MemberState, catchUp time.Duration) string {
	cm := st.Config.Member(m.Host)
	switch {
	case cm == nil:
		return "is not in the config"
	case !m.Health:
		return "is down or cut off from the primary"
	case cm.ArbiterOnly:
		return "is an arbiter"
	case cm.Hidden:
		return "is hidden"
	case cm.Votes == 0:
		return "has no vote"
	case cm.Priority == 0:
		return "has priority 0"
	case cm.SecondaryDelaySecs > 0:
		return "is delayed"
	case !cm.BuildIndexes:
		return "does not build indexes"
	case cm.IsNewlyAdded():
		return "is still newly added (initial sync)"
	case m.State != "SECONDARY":
		return "is " + m.State + ", not SECONDARY"
	case !m.LagKnown:
		return "has an unknown lag"
	case m.Lag.D() > catchUp:
		return fmt.Sprintf("lags %s behind the primary (limit --catch-up %s)", humanDuration(m.Lag.D()), catchUp)
	}
	return ""
}

// targetPriorities are the priorities the file asks for, keeping the live
// value for members the file does not know or that must keep priority 0.
func targetPriorities(st *State, file *config.ReplicaSet, toSite string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range st.Config.Members {
		out[m.Host] = m.Priority
		if file == nil {
			continue
		}
		for _, fm := range file.Members {
			if sameHost(fm.Host, m.Host) && canHavePriority(m) {
				out[m.Host] = fm.EffectivePriority()
			}
		}
	}
	return out
}

func canHavePriority(m MemberConfig) bool {
	return !m.ArbiterOnly && !m.Hidden && m.Votes > 0 && m.SecondaryDelaySecs == 0 && m.BuildIndexes
}

// stickPriorities returns the priorities after the switchover: the file's,
// with the target raised above every other member when the file's own
// preference would otherwise pull the primary back.
func stickPriorities(c *Config, pri map[string]float64, target string) map[string]float64 {
	out := map[string]float64{}
	top := 0.0
	for _, m := range c.Members {
		out[m.Host] = pri[m.Host]
		if !sameHost(m.Host, target) {
			top = math.Max(top, pri[m.Host])
		}
	}
	if out[target] <= top {
		out[target] = math.Min(MaxPriority, math.Floor(top)+1)
	}
	return out
}

// WithPriorities returns a copy of c with the given priorities.
func WithPriorities(c *Config, pri map[string]float64) *Config {
	n := c.Clone()
	for i := range n.Members {
		if p, ok := pri[n.Members[i].Host]; ok {
			n.Members[i].Priority = p
		}
		n.Members[i].NewlyAdded = nil
	}
	n.Version, n.Term = c.Version+1, 0
	return n
}

func electionTimeout(c *Config) time.Duration {
	if c != nil && c.Settings != nil && c.Settings.ElectionTimeoutMillis > 0 {
		return time.Duration(c.Settings.ElectionTimeoutMillis) * time.Millisecond
	}
	return config.DefaultElectionTimeout
}
