//go:build linux

package test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
)

var sbStatusPage = regexp.MustCompile(`status page: (http://\S+/\?token=[0-9a-f]+)`)

// TestStatusPageSandbox: the status page URL the sandbox's summary
// prints opens the page (the token in it sets the cookie, the redirect
// drops it), showing both sites, the sandbox's backup with its copy and
// its drill, which the sandbox ran before the coordinator node started.
func TestStatusPageSandbox(t *testing.T) {
	sb := sbStart(t, "CITADEL_MINIO_BIN=", "PATH=/nonexistent")
	m := sbStatusPage.FindStringSubmatch(sb.summary)
	if m == nil {
		t.Fatalf("the summary prints no status page URL with the token:\n%s", sb.summary)
	}
	jar, err := cookiejar.New(nil)
	must(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(m[1])
	must(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err)
	page := string(b)
	if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "" {
		t.Fatalf("%s: %d at %s, want 200 at the URL without the token", m[1], resp.StatusCode, resp.Request.URL)
	}
	backup := sbBackup.FindStringSubmatch(sb.summary)
	drill := regexp.MustCompile(`drill +(\S+) PASSED`).FindStringSubmatch(sb.summary)
	want := []string{"site paris", "site lyon", "fs-lyon, fs-paris", "passed", "/ 5m0s"}
	if backup != nil && drill != nil {
		want = append(want, backup[1], drill[1])
	}
	for _, s := range want {
		if !strings.Contains(page, s) {
			t.Errorf("the sandbox's status page lacks %q", s)
		}
	}
	sb.stop(t)
}
