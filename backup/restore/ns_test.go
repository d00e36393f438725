package restore

import (
	"errors"
	"strings"
	"testing"

	"github.com/noscites/citadel/internal/fault"
)

func TestNamespaces(t *testing.T) {
	cases := []struct {
		include  []string
		from, to string
		ns, want string
		ok       bool
	}{
		{nil, "", "", "app.users", "app.users", true},
		{nil, "", "", "admin.system.users", "", false},
		{nil, "", "", "config.transactions", "", false},
		{nil, "", "", "local.oplog.rs", "", false},
		{nil, "", "", "admin.settings", "admin.settings", true},
		{[]string{"app.*"}, "", "", "app.users", "app.users", true},
		{[]string{"app.*"}, "", "", "shop.users", "", false},
		{[]string{"*.users"}, "", "", "shop.users", "shop.users", true},
		{[]string{"app.users", "shop.*"}, "", "", "shop.orders", "shop.orders", true},
		{nil, "app.*", "app_restored.*", "app.users", "app_restored.users", true},
		{nil, "app.*", "app_restored.*", "shop.users", "shop.users", true},
		{nil, "*.users", "*.people", "app.users", "app.people", true},
		{nil, "*.*", "drill_*.*", "app.a.b", "drill_app.a.b", true},
		{nil, "app.users", "app.members", "app.users", "app.members", true},
		{[]string{"app.*"}, "app.*", "x.*", "app.c", "x.c", true},
	}
	for _, tc := range cases {
		n, err := NewNamespaces(tc.include, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := n.Map(tc.ns)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v %q→%q: Map(%q) = %q %v, want %q %v", tc.include, tc.from, tc.to, tc.ns, got, ok, tc.want, tc.ok)
		}
	}
	n, _ := NewNamespaces(nil, "app.*", "other.*")
	if db, ok := n.MapDB("app"); db != "other" || !ok {
		t.Errorf("MapDB = %q %v", db, ok)
	}
}

func TestNamespacesErrors(t *testing.T) {
	for _, c := range [][3]string{{"nodot", "", ""}, {"", "a.*", ""}, {"", "a.*", "b.c"}, {"", ".x", "y.x"}} {
		var inc []string
		if c[0] != "" {
			inc = []string{c[0]}
		}
		if _, err := NewNamespaces(inc, c[1], c[2]); !errors.Is(err, fault.ErrUsage) {
			t.Errorf("%v: %v", c, err)
		}
	}
}

func FuzzNamespaces(f *testing.F) {
	f.Add("app.*", "app.*", "x.*", "app.users")
	f.Add("*.*", "*.u*", "*.v*", "a.ub")
	f.Fuzz(func(t *testing.T, inc, from, to, ns string) {
		n, err := NewNamespaces([]string{inc}, from, to)
		if err != nil {
			return
		}
		n.Map(ns)
		n.MapDB(ns)
	})
}

// TestNamespacesCheck: a selection that matches nothing, or a rename
// that renames none of the selected namespaces, is a usage error naming
// the pattern and what the backup holds.
func TestNamespacesCheck(t *testing.T) {
	held := []string{"opendata.listings", "opendata.listings_rejects"}
	cases := []struct {
		include  []string
		from, to string
		selected []string
		want     string // "" when accepted
	}{
		{nil, "", "", held, ""},
		{nil, "opendata.*", "copy2.*", held, ""},
		{nil, "opendata.listings", "copy2.listings", held, ""},
		{nil, "opendat.*", "copy2.*", held, `--ns-from "opendat.*" matches no restored namespace`},
		{[]string{"opendata.listings_rejects"}, "opendata.listings", "x.listings", held[1:], `--ns-from "opendata.listings"`},
		{[]string{"nope.*"}, "", "", nil, `--ns-include "nope.*" matches no collection`},
	}
	for _, tc := range cases {
		n, err := NewNamespaces(tc.include, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		err = n.check("20260101T000000Z-abcd", held, tc.selected)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v %q→%q: refused: %v", tc.include, tc.from, tc.to, err)
		case tc.want != "" && (!errors.Is(err, fault.ErrUsage) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "opendata.listings, opendata.listings_rejects")):
			t.Errorf("%v %q→%q: %v, want a usage error with %q naming what the backup holds", tc.include, tc.from, tc.to, err, tc.want)
		}
	}
}
