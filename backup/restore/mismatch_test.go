package restore

import (
	"strings"
	"testing"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/manifest"
)

// TestMismatch: each check of verify names what disagrees with the manifest.
func TestMismatch(t *testing.T) {
	var good, other digest.Digest
	good.Add([]byte("a"))
	good.Add([]byte("b"))
	other.Add([]byte("a"))
	other.Add([]byte("c"))
	c := manifest.Collection{DB: "app", Name: "users", Documents: 2, Digest: good.String()}
	cases := []struct {
		acked    digest.Digest
		count    int64
		readBack *digest.Digest
		want     string
	}{
		{good, 2, nil, ""},
		{good, 2, &good, ""},
		{other, 2, nil, "acknowledged 2 documents with digest " + other.String()},
		{good, 3, nil, "counts 3 documents"},
		{good, 2, &other, "reads back 2 documents with digest " + other.String()},
	}
	for _, tc := range cases {
		tg := &target{c: c, db: "app", to: "users2", acked: tc.acked, readBack: tc.readBack}
		got := tg.mismatch(tc.count)
		if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || !strings.HasPrefix(got, "app.users2 ")) {
			t.Errorf("mismatch(%d) = %q, want %q", tc.count, got, tc.want)
		}
	}
}
