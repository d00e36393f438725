package mongoerr

import "testing"

// errorCodesYML is the part of mongod 7.0's src/mongo/base/error_codes.yml
// that mongosim sends, copied code by code: the codes and codeNames
// mongosim answers with must be exactly these.
var errorCodesYML = map[int32]string{
	2: "BadValue", 9: "FailedToParse", 13: "Unauthorized", 14: "TypeMismatch",
	20: "IllegalOperation", 23: "AlreadyInitialized", 26: "NamespaceNotFound",
	27: "IndexNotFound", 43: "CursorNotFound", 50: "MaxTimeMSExpired",
	64: "WriteConcernFailed", 72: "InvalidOptions", 74: "NodeNotFound",
	93: "InvalidReplicaSetConfig", 94: "NotYetInitialized", 95: "NotSecondary",
	100: "UnsatisfiableWriteConcern", 103: "NewReplicaSetConfigurationIncompatible",
	104: "NodeNotElectable", 115: "CommandNotSupported", 125: "CommandFailed",
	136: "CappedPositionLost", 166: "CommandNotSupportedOnView", 189: "PrimarySteppedDown",
	217: "IncompleteTransactionHistory", 225: "TransactionTooOld", 262: "ExceededTimeLimit",
	308: "CurrentConfigNotCommittedYet", 352: "UnsupportedOpQueryCommand",
	10107: "NotWritablePrimary", 11602: "InterruptedDueToReplStateChange",
	13435: "NotPrimaryNoSecondaryOk", 13436: "NotPrimaryOrSecondary",
}

func TestCodesMatchErrorCodesYML(t *testing.T) {
	for code, name := range names {
		if want, ok := errorCodesYML[code]; !ok || want != name {
			t.Errorf("code %d is named %q here, %q in error_codes.yml", code, name, want)
		}
	}
	for code, name := range errorCodesYML {
		if got := Name(code); got != name {
			t.Errorf("Name(%d) = %q, want %q", code, got, name)
		}
	}
	if ExceededTimeLimit != 262 || MaxTimeMSExpired != 50 || NodeNotElectable != 104 {
		t.Error("the time-limit and electability codes drifted from error_codes.yml")
	}
}

func TestNames(t *testing.T) {
	if got := Name(31254); got != "Location31254" {
		t.Errorf("an assertion code without a name: %q", got)
	}
	e := Upstream(11000, "DuplicateKey", "E11000 duplicate key error")
	if e.CodeName() != "DuplicateKey" || e.Error() != "DuplicateKey (11000): E11000 duplicate key error" {
		t.Errorf("upstream error: %v", e)
	}
	if n := New(ExceededTimeLimit, "x").CodeName(); n != "ExceededTimeLimit" {
		t.Errorf("262 is named %q", n)
	}
}
