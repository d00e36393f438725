package pitr

import (
	"errors"
	"testing"

	"github.com/noscites/citadel/backup/oplog"
)

// TestCheckSource: the archiver keeps its source while it stays in the set
// as a secondary (or as the primary it was chosen as), and reports it lost
// when it steps up, leaves the set or is neither primary nor secondary.
func TestCheckSource(t *testing.T) {
	for _, c := range []struct {
		name      string
		secondary bool // the source was a secondary at the start
		pos       oplog.Position
		lost      bool
	}{
		{"secondary stays", true, oplog.Position{SetName: "main", Secondary: true}, false},
		{"hidden secondary stays", true, oplog.Position{SetName: "main", Secondary: true, Hidden: true}, false},
		{"stepped up", true, oplog.Position{SetName: "main", Primary: true}, true},
		{"primary chosen stays primary", false, oplog.Position{SetName: "main", Primary: true}, false},
		{"primary chosen stepped down", false, oplog.Position{SetName: "main", Secondary: true}, false},
		{"recovering", true, oplog.Position{SetName: "main"}, true},
		{"in another set", true, oplog.Position{SetName: "other", Secondary: true}, true},
	} {
		a := &Archiver{rs: "main", secondary: c.secondary}
		err := a.check(c.pos)
		if got := errors.Is(err, ErrSourceLost); got != c.lost || (err != nil && !got) {
			t.Errorf("%s: check = %v, want lost %v", c.name, err, c.lost)
		}
	}
}
