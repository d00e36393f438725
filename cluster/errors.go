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
	ErrNoSafePath = fmt.Errorf("no safe reconfiguration path: %w", fault.ErrRefused)
	// ErrNoPrimary means the operation needs a primary and none answers.
	ErrNoPrimary = fmt.Errorf("no primary: %w", fault.ErrRefused)
	// ErrPrimaryExists refuses a forced failover while a primary answers.
	ErrPrimaryExists = fmt.Errorf("a primary exists: %w", fault.ErrRefused)
	// ErrSiteAnswers refuses a forced failover while the lost site answers.
	ErrSiteAnswers = fmt.Errorf("the other site answers: %w", fault.ErrRefused)
	// ErrNotCaughtUp refuses a switchover when no target member is caught up.
	ErrNotCaughtUp = fmt.Errorf("no caught-up electable member: %w", fault.ErrRefused)
	// ErrNotConfirmed refuses a dangerous operation without confirmation.
	ErrNotConfirmed = fmt.Errorf("not confirmed: %w", fault.ErrRefused)
	// ErrUnreachable means members the operation needs do not answer.
	ErrUnreachable = fmt.Errorf("members unreachable: %w", fault.ErrRefused)
	// ErrNotInitiated means the set has no configuration yet.
	ErrNotInitiated = errors.New("replica set not initiated")
	// ErrIDConflict means the file and the live set disagree on a member _id.
	ErrIDConflict = fmt.Errorf("member id conflict: %w", fault.ErrUsage)
	// ErrUnknownSite means a --site or --to-site names no site of the set.
	ErrUnknownSite = fmt.Errorf("unknown site: %w", fault.ErrUsage)
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
