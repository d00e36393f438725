package auditreport

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
)

func TestTransport(t *testing.T) {
	cases := []struct {
		name string
		mc   config.MongoDB
		want string // check/severity of each finding
	}{
		{"nothing", config.MongoDB{}, "authentication/high tls/high"},
		{"user and tls", config.MongoDB{Auth: &config.Auth{Username: "citadel"}, TLS: &config.TLS{Enabled: true}}, ""},
		{"x509", config.MongoDB{Auth: &config.Auth{Mechanism: "MONGODB-X509"}, TLS: &config.TLS{Enabled: true}}, ""},
		{"tls off", config.MongoDB{Auth: &config.Auth{Username: "citadel"}, TLS: &config.TLS{}}, "tls/high"},
		{"no verify", config.MongoDB{Auth: &config.Auth{Username: "citadel"}, TLS: &config.TLS{Enabled: true, InsecureSkipVerify: true}}, "tls/medium"},
	}
	for _, tc := range cases {
		var got []string
		for _, f := range transport(tc.mc) {
			got = append(got, f.Check+"/"+f.Severity.String())
			if f.Fix == "" || f.Evidence == "" {
				t.Errorf("%s: %+v without evidence or fix", tc.name, f)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestAuditTrail(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines int, extra string) string {
		var b strings.Builder
		for i := 1; i <= lines; i++ {
			fmt.Fprintf(&b, "{\"time\":\"2026-12-01T10:00:0%dZ\",\"who\":\"alice\",\"action\":\"restore\",\"target\":\"db.c%d\",\"outcome\":\"ok\"}\n\n", i, i)
		}
		b.WriteString(extra)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name     string
		audit    *config.Audit
		severity Severity
		evidence string
	}{
		{"no section", nil, Medium, "no audit.path"},
		{"missing file", &config.Audit{Path: filepath.Join(dir, "none.jsonl")}, Medium, "no such file"},
		{"empty", &config.Audit{Path: write("empty.jsonl", 0, "")}, Info, "the trail is empty"},
		{"seven entries", &config.Audit{Path: write("seven.jsonl", 7, "")}, Info,
			"2026-12-01 10:00:03Z alice restore db.c3: ok\n2026-12-01 10:00:04Z alice restore db.c4: ok\n2026-12-01 10:00:05Z alice restore db.c5: ok\n" +
				"2026-12-01 10:00:06Z alice restore db.c6: ok\n2026-12-01 10:00:07Z alice restore db.c7: ok"},
		{"a line that is no record", &config.Audit{Path: write("damaged.jsonl", 2, "{\"n\":1}\n")}, Medium, "line 5: {\"n\":1} (not an audit record"},
	}
	for _, tc := range cases {
		fs := auditTrail(tc.audit)
		if len(fs) != 1 || fs[0].Severity != tc.severity || !strings.Contains(fs[0].Evidence, tc.evidence) {
			t.Errorf("%s: %+v, want %s with %q", tc.name, fs, tc.severity, tc.evidence)
		}
	}
}

func TestSortAndJSON(t *testing.T) {
	fs := []Finding{{Severity: Info, Check: "a"}, {Severity: High, Check: "tls", Target: "b"}, {Severity: Critical, Check: "z"},
		{Severity: High, Check: "tls", Target: "a"}, {Severity: High, Check: "authentication"}}
	sortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Severity.String()+":"+f.Check+f.Target)
	}
	if want := "critical:z high:authentication high:tlsa high:tlsb info:a"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	r := Report{Findings: fs}
	if r.Critical() != 1 {
		t.Errorf("critical %d", r.Critical())
	}
	b, _ := json.Marshal(fs[0])
	if !strings.Contains(string(b), `"severity":"critical"`) || Severity(9).String() != "severity(9)" {
		t.Errorf("JSON %s", b)
	}
}

func TestQuorum(t *testing.T) {
	one, zero := 1, 0
	m := func(site string, arbiter bool, votes *int) config.Member {
		return config.Member{Host: site + "-host", Site: site, Arbiter: arbiter, Votes: votes}
	}
	cases := []struct {
		name    string
		members []config.Member
		want    string
	}{
		{"two sites, two and one", []config.Member{m("paris", false, nil), m("paris", false, nil), m("lyon", false, nil)}, "medium:main@paris"},
		{"witness", []config.Member{m("paris", false, nil), m("lyon", false, nil), m("witness", true, &one)}, "info:main"},
		{"one site", []config.Member{m("paris", false, nil)}, "medium:main@paris"},
		{"hidden without vote", []config.Member{m("paris", false, nil), m("lyon", false, nil), m("witness", true, nil), m("lyon", false, &zero)}, "info:main"},
	}
	for _, tc := range cases {
		var got []string
		for _, f := range quorum(config.ReplicaSet{Name: "main", Members: tc.members}) {
			got = append(got, f.Severity.String()+":"+f.Target)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}
