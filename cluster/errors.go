package cluster

import (
	"errors"
	"fmt"

	"github.com/noscites/citadel/internal/fault"
)

// Sentinel errors callers test with errors.Is. The refusals wrap
// fault.ErrRefused, so the CLI exits with code 4 for them.
var (
	// ErrInvalidConfig means a configuration document mongod would refuse.
	ErrInvalidConfig = errors.New("invalid replica set configuration")
	// ErrIncompatible means a non-force reconfig mongod would refuse as a
	// transition (version, set name, _id/host pairs, more than one voter).
	ErrIncompatible = errors.New("incompatible reconfiguration")
	// ErrNoSafePath means no sequence of valid single-voter steps keeps a
	// majority of reachable voters on the way to the desired config.
	ErrNoSafePath = fmt.Errorf("%w: no safe reconfiguration path", fault.ErrRefused)
	// ErrNoPrimary means the operation needs a primary and none answers.
	ErrNoPrimary = fmt.Errorf("%w: no primary", fault.ErrRefused)
	// ErrPrimaryExists refuses a forced failover while a primary answers.
	ErrPrimaryExists = fmt.Errorf("%w: a primary exists", fault.ErrRefused)
	// ErrSiteAnswers refuses a forced failover while the lost site answers.
	ErrSiteAnswers = fmt.Errorf("%w: the other site answers", fault.ErrRefused)
	// ErrNotCaughtUp refuses a switchover when no target member is caught up.
	ErrNotCaughtUp = fmt.Errorf("%w: no caught-up electable member", fault.ErrRefused)
	// ErrNotConfirmed refuses a dangerous operation without confirmation.
	ErrNotConfirmed = fmt.Errorf("%w: not confirmed", fault.ErrRefused)
	// ErrUnreachable means members the operation needs do not answer.
	ErrUnreachable = fmt.Errorf("%w: members unreachable", fault.ErrRefused)
	// ErrStateUnknown means no config was seen and some members did not
	// answer: the set may be initiated on them (exit 1: an observation
	// that failed, not a refusal).
	ErrStateUnknown = errors.New("replica set state unknown")
	// ErrNotInitiated means the set has no configuration yet.
	ErrNotInitiated = errors.New("replica set not initiated")
	// ErrIDConflict means the file and the live set disagree on a member _id.
	ErrIDConflict = fmt.Errorf("%w: member id conflict", fault.ErrUsage)
	// ErrTimeout means a wait (commit, election, initial sync) ran out.
	ErrTimeout = errors.New("timed out")
	// ErrUnknownSite means a --site or --to-site names no site of the set.
	ErrUnknownSite = fmt.Errorf("%w: unknown site", fault.ErrUsage)
)

// problems joins messages into one error wrapping kind.
func problems(kind error, msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	if len(msgs) == 1 {
		return fmt.Errorf("%w: %s", kind, msgs[0])
	}
	s := msgs[0]
	for _, m := range msgs[1:] {
		s += "; " + m
	}
	return fmt.Errorf("%w: %s", kind, s)
}
