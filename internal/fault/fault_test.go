package fault

import (
	"errors"
	"io/fs"
	"testing"
)

func TestWrapKeepsCategoryAndCause(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "x.yaml", Err: fs.ErrNotExist}
	for _, tc := range []struct {
		category error
		msg      string
		text     string
	}{
		{ErrUsage, "read the config", "read the config: open x.yaml: file does not exist"},
		{ErrRefused, "", "open x.yaml: file does not exist"},
		{ErrVerification, "check", "check: open x.yaml: file does not exist"},
	} {
		err := Wrap(tc.category, cause, tc.msg)
		if err.Error() != tc.text {
			t.Errorf("text %q, want %q", err.Error(), tc.text)
		}
		var pe *fs.PathError
		if !errors.Is(err, tc.category) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
			t.Errorf("%v: category or cause lost", err)
		}
	}
	if Wrap(ErrUsage, nil, "x") != nil {
		t.Error("Wrap of nil is not nil")
	}
}
