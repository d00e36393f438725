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

func TestCategoryRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
		is   error
	}{
		{Usage("bad flag"), CategoryUsage, ErrUsage},
		{Verification("digest mismatch"), CategoryVerification, ErrVerification},
		{Refused("production target"), CategoryRefused, ErrRefused},
		{errors.New("disk full"), "", nil},
		{nil, "", nil},
	} {
		got := CategoryOf(tc.err)
		if got != tc.want {
			t.Errorf("CategoryOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if tc.err == nil {
			continue
		}
		back := FromCategory(got, errors.New(tc.err.Error()))
		if back.Error() != tc.err.Error() || (tc.is != nil && !errors.Is(back, tc.is)) || (tc.is == nil && CategoryOf(back) != "") {
			t.Errorf("FromCategory(%q): %v, category %q", got, back, CategoryOf(back))
		}
	}
	if err := FromCategory("bogus", errors.New("x")); CategoryOf(err) != "" {
		t.Errorf("unknown name gave category %q", CategoryOf(err))
	}
}
