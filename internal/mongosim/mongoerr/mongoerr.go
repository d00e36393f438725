// Package mongoerr holds the server error codes and codeNames mongosim
// answers with, taken from mongod's error_codes.yml, and the command error
// type every mongosim package returns so replies carry them unchanged.
package mongoerr

import "fmt"

// Codes mongod 7.0 uses for the behaviour mongosim models.
const (
	BadValue                               = 2
	Unauthorized                           = 13
	TypeMismatch                           = 14
	IllegalOperation                       = 20
	AlreadyInitialized                     = 23
	NamespaceNotFound                      = 26
	ExceededTimeLimit                      = 50
	WriteConcernFailed                     = 64
	NodeNotFound                           = 74
	InvalidReplicaSetConfig                = 93
	NotYetInitialized                      = 94
	NotSecondary                           = 95
	NewReplicaSetConfigurationIncompatible = 103
	CommandNotSupported                    = 115
	PrimarySteppedDown                     = 189
	IncompleteTransactionHistory           = 217
	CurrentConfigNotCommittedYet           = 308
	UnsupportedOpQueryCommand              = 352
	NotWritablePrimary                     = 10107
	InterruptedDueToReplStateChange        = 11602
	NotPrimaryNoSecondaryOk                = 13435
	NotPrimaryOrSecondary                  = 13436
	CursorNotFound                         = 43
	FailedToParse                          = 9
	InvalidOptions                         = 72
)

var names = map[int32]string{
	BadValue:                               "BadValue",
	Unauthorized:                           "Unauthorized",
	TypeMismatch:                           "TypeMismatch",
	IllegalOperation:                       "IllegalOperation",
	AlreadyInitialized:                     "AlreadyInitialized",
	NamespaceNotFound:                      "NamespaceNotFound",
	ExceededTimeLimit:                      "ExceededTimeLimit",
	WriteConcernFailed:                     "WriteConcernFailed",
	NodeNotFound:                           "NodeNotFound",
	InvalidReplicaSetConfig:                "InvalidReplicaSetConfig",
	NotYetInitialized:                      "NotYetInitialized",
	NotSecondary:                           "NotSecondary",
	NewReplicaSetConfigurationIncompatible: "NewReplicaSetConfigurationIncompatible",
	CommandNotSupported:                    "CommandNotSupported",
	PrimarySteppedDown:                     "PrimarySteppedDown",
	IncompleteTransactionHistory:           "IncompleteTransactionHistory",
	CurrentConfigNotCommittedYet:           "CurrentConfigNotCommittedYet",
	UnsupportedOpQueryCommand:              "UnsupportedOpQueryCommand",
	NotWritablePrimary:                     "NotWritablePrimary",
	InterruptedDueToReplStateChange:        "InterruptedDueToReplStateChange",
	NotPrimaryNoSecondaryOk:                "NotPrimaryNoSecondaryOk",
	NotPrimaryOrSecondary:                  "NotPrimaryOrSecondary",
	CursorNotFound:                         "CursorNotFound",
	FailedToParse:                          "FailedToParse",
	InvalidOptions:                         "InvalidOptions",
}

// Name returns mongod's codeName for code.
func Name(code int32) string {
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("Location%d", code)
}

// Error is a command error as mongod reports it: ok 0, errmsg, code, codeName.
type Error struct {
	Code int32
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", Name(e.Code), e.Code, e.Msg) }

// CodeName is mongod's name for the code.
func (e *Error) CodeName() string { return Name(e.Code) }

// New returns an *Error with a formatted message.
func New(code int32, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// NotSupported is the fidelity rule's answer for what mongosim does not model.
func NotSupported(feature string) *Error {
	return New(CommandNotSupported, "mongosim does not model %s (CommandNotSupported); see internal/mongosim/FIDELITY.md", feature)
}
