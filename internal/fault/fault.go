// Package fault holds the error categories that decide citadel's exit codes.
//
// Domain packages wrap one of these sentinels (fmt.Errorf("…: %w", fault.ErrRefused))
// and cmd/citadel maps them to codes in one place, following the table of
// ../shared/design/cli.md:
//
//	0 done · 1 failed · 2 usage or invalid config · 3 verification failed ·
//	4 refused by a safety check · 130 interrupted
package fault

import "errors"

var (
	// ErrUsage is a command-line mistake: a missing argument, a bad flag value.
	ErrUsage = errors.New("usage error")
	// ErrVerification means data did not verify: a backup, a drill, or an
	// ingest whose error rate passed its threshold.
	ErrVerification = errors.New("verification failed")
	// ErrRefused means a safety check refused the operation (lag too high,
	// no confirmation, a primary still reachable for a forced failover).
	ErrRefused = errors.New("refused by a safety check")
)

// Usage returns a usage error with a message.
func Usage(msg string) error { return &wrapped{msg: msg, err: ErrUsage} }

// Refused returns a refusal with a message.
func Refused(msg string) error { return &wrapped{msg: msg, err: ErrRefused} }

// Verification returns a verification failure with a message.
func Verification(msg string) error { return &wrapped{msg: msg, err: ErrVerification} }

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// Wrap puts cause in a category (ErrUsage, ErrVerification, ErrRefused)
// without losing it: the message is "msg: cause" (the cause's text alone
// when msg is empty), and errors.Is and errors.As see both the category
// and everything cause wraps.
func Wrap(category, cause error, msg string) error {
	if cause == nil {
		return nil
	}
	return &wrappedCause{msg: msg, category: category, cause: cause}
}

type wrappedCause struct {
	msg             string
	category, cause error
}

func (w *wrappedCause) Error() string {
	if w.msg == "" {
		return w.cause.Error()
	}
	return w.msg + ": " + w.cause.Error()
}

func (w *wrappedCause) Unwrap() []error { return []error{w.category, w.cause} }

// The categories by name, for records that outlive the error value (a
// coordinator's run history): CategoryOf names err's category, "" for a
// plain failure; FromCategory puts cause back in the named one.
const (
	CategoryUsage        = "usage"
	CategoryVerification = "verification"
	CategoryRefused      = "refused"
)

var categories = []struct {
	name string
	err  error
}{{CategoryUsage, ErrUsage}, {CategoryVerification, ErrVerification}, {CategoryRefused, ErrRefused}}

// CategoryOf is the name of err's category, "" when it has none.
func CategoryOf(err error) string {
	for _, c := range categories {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return ""
}

// FromCategory wraps cause in the category named (CategoryOf's names);
// an unknown or empty name returns cause as it is.
func FromCategory(name string, cause error) error {
	for _, c := range categories {
		if c.name == name {
			return Wrap(c.err, cause, "")
		}
	}
	return cause
}
