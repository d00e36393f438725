package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// exitMeanings are the codes as cli.md explains them; every --help ends
// with this table.
var exitMeanings = []struct {
	code    int
	meaning string
}{
	{exitOK, "done"},
	{exitFailed, "the operation failed (the message says what and where)"},
	{exitUsage, "usage error or invalid config"},
	{exitVerify, "verification failed: a backup, drill or storage did not verify, an ingest's error rate or a quality figure passed its threshold, or the audit found a critical issue"},
	{exitRefused, "refused by a safety check (lag too high, no confirmation, a primary still exists for failover --force, a job already running)"},
	{exitInterrupted, "interrupted"},
}

// exitCodesHelp is the EXIT CODES section of the help templates.
func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("\nEXIT CODES:\n")
	for _, m := range exitMeanings {
		fmt.Fprintf(&b, "   %-4d %s\n", m.code, m.meaning)
	}
	return b.String()
}

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
