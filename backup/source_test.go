package backup

import (
	"errors"
	"testing"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

func TestChooseSource(t *testing.T) {
	p1 := Member{Host: "p1", Site: "paris", State: "PRIMARY", Healthy: true}
	p2 := Member{Host: "p2", Site: "paris", State: "SECONDARY", Healthy: true}
	l1 := Member{Host: "l1", Site: "lyon", State: "SECONDARY", Healthy: true}
	lh := Member{Host: "lh", Site: "lyon", State: "SECONDARY", Hidden: true, Healthy: true}
	down := lh
	down.Healthy = false
	cases := []struct {
		name    string
		members []Member
		site    string
		src     config.Source
		want    string
	}{
		{"hidden in the storage's site", []Member{p1, p2, l1, lh}, "lyon", config.Source{}, "lh"},
		{"secondary in site when hidden is down", []Member{p1, p2, l1, down}, "lyon", config.Source{}, "l1"},
		{"prefer secondary skips hidden first", []Member{p1, p2, lh, l1}, "lyon", config.Source{Prefer: "secondary"}, "lh"},
		{"other site's secondary", []Member{p1, p2}, "lyon", config.Source{}, "p2"},
		{"primary refused", []Member{p1}, "paris", config.Source{}, ""},
		{"primary allowed as last resort", []Member{p1}, "paris", config.Source{AllowPrimary: true}, "p1"},
		{"primary preferred", []Member{p1, p2, lh}, "lyon", config.Source{Prefer: "primary", AllowPrimary: true}, "p1"},
	}
	for _, tc := range cases {
		got, err := ChooseSource(tc.members, tc.site, tc.src)
		if tc.want == "" {
			if !errors.Is(err, fault.ErrRefused) {
				t.Errorf("%s: %v %v, want refusal", tc.name, got, err)
			}
			continue
		}
		if err != nil || got.Host != tc.want {
			t.Errorf("%s: got %v %v, want %s", tc.name, got.Host, err, tc.want)
		}
	}
}
