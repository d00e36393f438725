package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

func TestHandlePageToken(t *testing.T) {
	s := NewServer(Config{Token: "s3cret"})
	s.HandlePage("GET /status", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("page")) }))
	for _, tc := range []struct {
		name, url, header, cookie string
		code                      int
		location, setCookie       string
	}{
		{"no token", "/status", "", "", 401, "", ""},
		{"bearer header", "/status", "Bearer s3cret", "", 200, "", ""},
		{"wrong header", "/status", "Bearer nope", "", 401, "", ""},
		{"cookie", "/status", "", "s3cret", 200, "", ""},
		{"wrong cookie", "/status", "", "nope", 401, "", ""},
		{"query sets the cookie and drops the token", "/status?token=s3cret&x=1", "", "", 303, "/status?x=1", "s3cret"},
		{"wrong query", "/status?token=nope", "", "", 401, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.url, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: PageCookie, Value: tc.cookie})
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.code || rec.Header().Get("Location") != tc.location {
				t.Fatalf("%s: %d to %q, want %d to %q", tc.url, rec.Code, rec.Header().Get("Location"), tc.code, tc.location)
			}
			var got string
			for _, c := range rec.Result().Cookies() {
				if c.Name == PageCookie {
					got = c.Value
					if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
						t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict", c)
					}
				}
			}
			if got != tc.setCookie {
				t.Errorf("cookie %q, want %q", got, tc.setCookie)
			}
		})
	}
}

func TestLastLoads(t *testing.T) {
	params := func(read, ins, upd, unch, rej int) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"files": []string{"a.csv"}, "read": read, "inserted": ins, "updated": upd, "unchanged": unch, "rejected": rej})
		return b
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	recs := []store.AuditRecord{ // newest first
		{Action: ingestAction, Target: "od/dvf", Time: t0.Add(3 * time.Minute), Outcome: "dry-run", Parameters: params(9, 0, 0, 0, 0)},
		{Action: ingestAction, Target: "od/dvf", Time: t0.Add(2 * time.Minute), Outcome: "ok", Parameters: params(26, 10, 5, 6, 5)},
		{Action: "backup.run", Target: "main", Time: t0.Add(90 * time.Second), Outcome: "ok"},
		{Action: ingestAction, Target: "od/airbnb", Time: t0.Add(time.Minute), Outcome: "failed"},
		{Action: ingestAction, Target: "od/dvf", Time: t0, Outcome: "ok", Parameters: params(1, 1, 0, 0, 0)},
	}
	got := LastLoads(recs)
	want := []Load{
		{Target: "od/dvf", Time: t0.Add(2 * time.Minute), OK: true, Read: 26, Documents: 21, Rejected: 5},
		{Target: "od/airbnb", Time: t0.Add(time.Minute)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("load %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
