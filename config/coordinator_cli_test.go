package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCoordinatorCLIMode: coordinator.cli takes direct or coordinator
// (empty is direct); anything else is named with its file, line and field.
func TestCoordinatorCLIMode(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", ""},
		{"direct", ""},
		{"coordinator", ""},
		{"remote", fmt.Sprintf(`t.yaml:%d:8: coordinator.cli: cli "remote" is neither direct nor coordinator`, strings.Count(coordBase, "\n")+1)},
	} {
		src := coordBase
		if tc.value != "" {
			src += "  cli: " + tc.value + "\n"
		}
		cfg, err := Parse("t.yaml", []byte(src))
		if tc.want == "" {
			if err != nil || cfg.Coordinator.CLI != tc.value {
				t.Errorf("cli %q: %v", tc.value, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cli %q: %v, want %q", tc.value, err, tc.want)
		}
	}
	cfg, err := Parse("example.yaml", Example())
	if err != nil || cfg.Coordinator.CLI != CLIDirect {
		t.Errorf("the example's coordinator.cli: %v %+v", err, cfg)
	}
}
