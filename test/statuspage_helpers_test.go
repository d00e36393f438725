//go:build linux

package test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/test/testbed"
)

// spMetrics is one scrape of /metrics: value by series ("name{labels}"),
// and the names that have a # HELP line.
type spMetrics struct {
	value map[string]float64
	help  map[string]bool
}

// spScrape reads http://addr/metrics (no token: Prometheus scrapes it so).
func spScrape(t *testing.T, addr string) spMetrics {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := spMetrics{value: map[string]float64{}, help: map[string]bool{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, _, _ = strings.Cut(name, " ")
			m.help[name] = true
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m.value[line[:i]] = v
	}
	if err := sc.Err(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape /metrics: %d %v", resp.StatusCode, err)
	}
	return m
}

// get returns the series' value and whether it is there.
func (m spMetrics) get(series string) (float64, bool) {
	v, ok := m.value[series]
	return v, ok
}

// hasHelp reports whether a series' metric has a # HELP line (a
// histogram's _bucket, _sum and _count series share their metric's).
func (m spMetrics) hasHelp(base string) bool {
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if name, ok := strings.CutSuffix(base, suffix); ok && m.help[name] {
			return true
		}
	}
	return false
}

// count counts the series of a metric whose labels contain every part.
func (m spMetrics) count(name string, parts ...string) int {
	n := 0
	for s := range m.value {
		if !strings.HasPrefix(s, name+"{") {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(s, p)
		}
		if all {
			n++
		}
	}
	return n
}

// spGet fetches a page with the given Authorization header ("" none).
func spGet(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// spArtifacts is the ignored folder the screenshots go to (test/artifacts).
func spArtifacts(t *testing.T) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "test", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// spChromium runs headless Chromium on url with args (--dump-dom,
// --screenshot=…) and returns its standard output. A Chromium that is
// missing or cannot start is testbed.Unavailable: CI=true fails.
func spChromium(t *testing.T, url string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testbed.Unavailable(t, "chromium", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		testbed.Unavailable(t, "chromium", fmtErr(err, errb.String()))
	}
	return out.String()
}

type chromiumError struct {
	err    error
	stderr string
}

func (e chromiumError) Error() string { return e.err.Error() + ": " + tail(e.stderr, 2000) }

func fmtErr(err error, stderr string) error { return chromiumError{err, stderr} }
