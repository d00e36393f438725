package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
)

// hook is a local HTTP server standing for the webhook's receiver.
type hook struct {
	srv    *httptest.Server
	bodies chan []byte
}

func newHook(t *testing.T, status int, hang bool) *hook {
	t.Helper()
	h := &hook{bodies: make(chan []byte, 4)}
	release := make(chan struct{})
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			b = []byte("bad request: " + r.Method + " " + r.Header.Get("Content-Type"))
		}
		h.bodies <- b
		if hang {
			<-release
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() { close(release); h.srv.Close() })
	return h
}

func failedReport() *Report {
	return &Report{Format: Format, Kind: KindRestore, ID: "20261201T050000Z-0001", Drill: "weekly", Passed: false,
		Reasons: []string{"RTO 41s exceeds max_rto 30s by 11s"}}
}

func TestNotify(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		hang    bool
		passed  bool
		env     string // the URL variable's value ("" unset)
		called  bool
		wantLog string
	}{
		{name: "failed drill posted", status: 204, called: true, wantLog: "drill failure reported to the webhook"},
		{name: "passed drill not posted", status: 204, passed: true},
		{name: "webhook answers 500", status: 500, called: true, wantLog: "the webhook answered 500"},
		{name: "webhook hangs", status: 200, hang: true, called: true, wantLog: "context deadline exceeded"},
		{name: "URL variable unset", status: 200, env: "-", wantLog: "its URL cannot be read"},
		{name: "not an http URL", status: 200, env: "ftp://hooks.example/x", wantLog: "not an http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHook(t, tc.status, tc.hang)
			url := h.srv.URL + "/hooks/secret-token-123"
			switch tc.env {
			case "":
				t.Setenv("DRILL_TEST_HOOK", url)
			case "-":
			default:
				t.Setenv("DRILL_TEST_HOOK", tc.env)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			rep := failedReport()
			rep.Passed = tc.passed
			wh := &config.DrillWebhook{URLEnv: "DRILL_TEST_HOOK", Timeout: config.Duration(200 * time.Millisecond)}
			notify(context.Background(), log, &http.Client{}, wh, rep) // returns: a failing webhook never fails the drill
			select {
			case b := <-h.bodies:
				var got Report
				if !tc.called || json.Unmarshal(b, &got) != nil || got.ID != rep.ID || len(got.Reasons) != 1 {
					t.Errorf("webhook received %q (called: want %v)", b, tc.called)
				}
			default:
				if tc.called {
					t.Error("the webhook was not called")
				}
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", logs.String(), tc.wantLog)
			}
			if strings.Contains(logs.String(), "secret-token-123") {
				t.Errorf("the webhook's URL was logged: %s", logs.String())
			}
		})
	}
}
