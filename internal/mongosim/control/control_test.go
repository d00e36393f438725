package control

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/internal/mongosim"
)

type fake struct{ calls []string }

func (f *fake) rec(s string) error {
	f.calls = append(f.calls, s)
	if strings.Contains(s, "nope") {
		return fmt.Errorf("x: %w", mongosim.ErrUnknownHost)
	}
	return nil
}
func (f *fake) Stop(h string) error                    { return f.rec("stop " + h) }
func (f *fake) Start(h string) error                   { return f.rec("start " + h) }
func (f *fake) Partition(g ...[]string) error          { return f.rec(fmt.Sprint("partition ", g)) }
func (f *fake) Heal()                                  { _ = f.rec("heal") }
func (f *fake) SetLag(h string, d time.Duration) error { return f.rec(fmt.Sprint("lag ", h, " ", d)) }
func (f *fake) PauseReplication(h string) error        { return f.rec("pause " + h) }
func (f *fake) ResumeReplication(h string) error       { return f.rec("resume " + h) }
func (f *fake) State() []mongosim.MemberState {
	return []mongosim.MemberState{{Host: "a:1", Up: true, State: "PRIMARY"}}
}

func TestHandler(t *testing.T) {
	f := &fake{}
	srv := httptest.NewServer(Handler(f))
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, body string
		code       int
	}{
		{"/members/127.0.1.1:27017/stop", "", 200},
		{"/members/127.0.1.1:27017/start", "", 200},
		{"/members/nope:1/stop", "", 404},
		{"/partition", `{"groups": [["a:1","b:1"],["c:1"]]}`, 200},
		{"/heal", "", 200},
		{"/members/a:1/lag", `{"lag": "2s"}`, 200},
		{"/members/a:1/lag", `{"lag": "soon"}`, 400},
		{"/members/a:1/pause", "", 200},
	} {
		if got := post(c.path, c.body); got != c.code {
			t.Errorf("%s: %d, want %d", c.path, got, c.code)
		}
	}
	want := "stop 127.0.1.1:27017|start 127.0.1.1:27017|stop nope:1|partition [[a:1 b:1] [c:1]]|heal|lag a:1 2s|pause a:1"
	if got := strings.Join(f.calls, "|"); got != want {
		t.Errorf("calls %q\nwant  %q", got, want)
	}
	resp, err := http.Get(srv.URL + "/state")
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(errors.Join(err, fmt.Errorf("status %v", resp)))
	}
	resp.Body.Close()
}
