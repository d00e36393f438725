package drill

import (
	"fmt"
	"time"
)

// measure gives the drill's RTO (start to a verified, queryable target)
// and RPO (start minus the newest restorable point reached). A point
// after the start (clock skew between citadel and the set) counts as 0.
func measure(start, verified, reached time.Time) (rto, rpo time.Duration) {
	if !verified.IsZero() {
		rto = verified.Sub(start)
	}
	if !reached.IsZero() {
		rpo = max(start.Sub(reached), 0)
	}
	return rto, rpo
}

// breaches compares the measures with the drill's limits and says, for
// each one passed, by how much. An RTO not measured (the target never
// verified) is no breach: the failure that stopped it is the reason.
func breaches(rto, rpo, maxRTO, maxRPO time.Duration, measuredRTO, measuredRPO bool) []string {
	var out []string
	if measuredRTO && maxRTO > 0 && rto > maxRTO {
		out = append(out, fmt.Sprintf("RTO %s exceeds max_rto %s by %s", round(rto), maxRTO, round(rto-maxRTO)))
	}
	if measuredRPO && maxRPO > 0 && rpo > maxRPO {
		out = append(out, fmt.Sprintf("RPO %s exceeds max_rpo %s by %s", round(rpo), maxRPO, round(rpo-maxRPO)))
	}
	return out
}

// round shortens a duration for messages: milliseconds under a minute,
// seconds above.
func round(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
