// Package mongoerr holds the server error codes and codeNames mongosim
// answers with, taken from mongod 7.0's src/mongo/base/error_codes.yml, and
// the command error type every mongosim package returns so replies carry
// them unchanged.
package mongoerr

import "fmt"

// Codes mongod 7.0 uses for the behaviour mongosim models. Every code
// mongosim sends is listed here with its codeName below; codes mongod
// raises with a bare number (uassert 31254, the IDL's 40415…) have no
// entry and are named Location<code>, as mongod names them.
const (
	BadValue                               = 2
	FailedToParse                          = 9
	Unauthorized                           = 13
	TypeMismatch                           = 14
	IllegalOperation                       = 20
	AlreadyInitialized                     = 23
	NamespaceNotFound                      = 26
	IndexNotFound                          = 27
	CursorNotFound                         = 43
	MaxTimeMSExpired                       = 50
	WriteConcernFailed                     = 64
	InvalidOptions                         = 72
	NodeNotFound                           = 74
	InvalidReplicaSetConfig                = 93
	NotYetInitialized                      = 94
	NotSecondary                           = 95
	UnsatisfiableWriteConcern              = 100
	NewReplicaSetConfigurationIncompatible = 103
	NodeNotElectable                       = 104
	CommandNotSupported                    = 115
	CommandFailed                          = 125
	CappedPositionLost                     = 136
	CommandNotSupportedOnView              = 166
	PrimarySteppedDown                     = 189
	IncompleteTransactionHistory           = 217
	TransactionTooOld                      = 225
	ExceededTimeLimit                      = 262
	CurrentConfigNotCommittedYet           = 308
	UnsupportedOpQueryCommand              = 352
	NotWritablePrimary                     = 10107
	InterruptedDueToReplStateChange        = 11602
	NotPrimaryNoSecondaryOk                = 13435
	NotPrimaryOrSecondary                  = 13436
)

var names = map[int32]string{
	BadValue:                               "BadValue",
	FailedToParse:                          "FailedToParse",
	Unauthorized:                           "Unauthorized",
	TypeMismatch:                           "TypeMismatch",
	IllegalOperation:                       "IllegalOperation",
	AlreadyInitialized:                     "AlreadyInitialized",
	NamespaceNotFound:                      "NamespaceNotFound",
	IndexNotFound:                          "IndexNotFound",
	CursorNotFound:                         "CursorNotFound",
	MaxTimeMSExpired:                       "MaxTimeMSExpired",
	WriteConcernFailed:                     "WriteConcernFailed",
	InvalidOptions:                         "InvalidOptions",
	NodeNotFound:                           "NodeNotFound",
	InvalidReplicaSetConfig:                "InvalidReplicaSetConfig",
	NotYetInitialized:                      "NotYetInitialized",
	NotSecondary:                           "NotSecondary",
	UnsatisfiableWriteConcern:              "UnsatisfiableWriteConcern",
	NewReplicaSetConfigurationIncompatible: "NewReplicaSetConfigurationIncompatible",
	NodeNotElectable:                       "NodeNotElectable",
	CommandNotSupported:                    "CommandNotSupported",
	CommandFailed:                          "CommandFailed",
	CappedPositionLost:                     "CappedPositionLost",
	CommandNotSupportedOnView:              "CommandNotSupportedOnView",
	PrimarySteppedDown:                     "PrimarySteppedDown",
	IncompleteTransactionHistory:           "IncompleteTransactionHistory",
	TransactionTooOld:                      "TransactionTooOld",
	ExceededTimeLimit:                      "ExceededTimeLimit",
	CurrentConfigNotCommittedYet:           "CurrentConfigNotCommittedYet",
	UnsupportedOpQueryCommand:              "UnsupportedOpQueryCommand",
	NotWritablePrimary:                     "NotWritablePrimary",
	InterruptedDueToReplStateChange:        "InterruptedDueToReplStateChange",
	NotPrimaryNoSecondaryOk:                "NotPrimaryNoSecondaryOk",
	NotPrimaryOrSecondary:                  "NotPrimaryOrSecondary",
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
	// Name, when set, is the codeName another server gave with Code
	// (FerretDB's errors are passed on as they came).
	Name string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.CodeName(), e.Code, e.Msg) }

// CodeName is mongod's name for the code, or the one the error came with.
func (e *Error) CodeName() string {
	if e.Name != "" {
		return e.Name
	}
	return Name(e.Code)
}

// New returns an *Error with a formatted message.
func New(code int32, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Upstream keeps an error another server answered with: its code, codeName
// and message unchanged.
func Upstream(code int32, name, msg string) *Error {
	return &Error{Code: code, Msg: msg, Name: name}
}

// NotSupported is the fidelity rule's answer for what mongosim does not model.
func NotSupported(feature string) *Error {
	return New(CommandNotSupported, "mongosim does not model %s (CommandNotSupported); see internal/mongosim/FIDELITY.md", feature)
}
