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
	"sync"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
)

// hook is a local HTTP server standing for the webhook's receiver.
type hook struct {
	srv    *httptest.Server
	bodies chan []byte
}

// newHook answers each call with the next of statuses, the last one
// again once they are used up.
func newHook(t *testing.T, hang bool, statuses ...int) *hook {
	t.Helper()
	h := &hook{bodies: make(chan []byte, 8)}
	release := make(chan struct{})
	var mu sync.Mutex
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			b = []byte("bad request: " + r.Method + " " + r.Header.Get("Content-Type"))
		}
		h.bodies <- b
		if hang {
			<-release
		}
		mu.Lock()
		status := statuses[0]
		if len(statuses) > 1 {
			statuses = statuses[1:]
		}
		mu.Unlock()
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
		status  []int
		hang    bool
		calls   int // POSTs the webhook receives
		passed  bool
		env     string // the URL variable's value ("" unset)
		called  bool
		wantLog string
	}{
		{name: "failed drill posted", status: []int{204}, called: true, calls: 1, wantLog: "drill failure reported to the webhook"},
		{name: "passed drill not posted", status: []int{204}, passed: true},
		{name: "webhook answers 500 three times", status: []int{500}, called: true, calls: 3, wantLog: "the webhook answered 500"},
		{name: "503 then 204: sent again", status: []int{503, 204}, called: true, calls: 2, wantLog: "drill failure reported to the webhook"},
		{name: "429 then 200: sent again", status: []int{429, 200}, called: true, calls: 2, wantLog: "attempts=2"},
		{name: "404: not sent again", status: []int{404, 204}, called: true, calls: 1, wantLog: "not sent again"},
		{name: "webhook hangs", status: []int{200}, hang: true, called: true, calls: 1, wantLog: "context deadline exceeded"},
		{name: "URL variable unset", status: []int{200}, env: "-", wantLog: "its URL cannot be read"},
		{name: "not an http URL", status: []int{200}, env: "ftp://hooks.example/x", wantLog: "not an http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHook(t, tc.hang, tc.status...)
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
			timeout := 5 * time.Second // room for three attempts and their pauses (≤ 1.5 s)
			if tc.hang {
				timeout = 200 * time.Millisecond
			}
			wh := &config.DrillWebhook{URLEnv: "DRILL_TEST_HOOK", Timeout: config.Duration(timeout)}
			notify(context.Background(), log, &http.Client{}, wh, rep) // returns: a failing webhook never fails the drill
			if got := len(h.bodies); got != tc.calls {
				t.Errorf("webhook called %d times, want %d", got, tc.calls)
			}
			for len(h.bodies) > 0 {
				b := <-h.bodies
				var got Report
				if !tc.called || json.Unmarshal(b, &got) != nil || got.ID != rep.ID || len(got.Reasons) != 1 {
					t.Errorf("webhook received %q (called: want %v)", b, tc.called)
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
