package main

import (
	"context"
	"errors"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// Exit codes, the contract of ../shared/design/cli.md. Scripts rely on them.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitVerify      = 3
	exitRefused     = 4
	exitInterrupted = 130
)

// exitCode is the one place that maps an error to an exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, fault.ErrUsage) || errors.Is(err, config.ErrInvalid):
		return exitUsage
	case errors.Is(err, fault.ErrVerification):
		return exitVerify
	case errors.Is(err, fault.ErrRefused):
		return exitRefused
	}
	return exitFailed
}

var errInterrupted = errors.New("interrupted")
