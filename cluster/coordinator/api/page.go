package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// PageCookie is the cookie a browser keeps the coordinator token in once
// it opened a page with ?token=.
const PageCookie = "citadel_token"

// HandlePage serves a page for browsers (the status page) at pattern. It
// needs the token like /v1, accepted three ways so a browser works: the
// Authorization header, the citadel_token cookie, or ?token= once, which
// sets the cookie (HttpOnly, SameSite=Strict, Secure over https) and
// redirects to the same URL without the token, so it leaves the address
// bar and the history. Without a valid token the answer is 401 with a
// form asking for it. The token is never logged; neither is the query.
// Routes may be added while the server runs (ServeMux is safe for that).
func (s *Server) HandlePage(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.pageAuth(h))
}

func (s *Server) pageAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Has("token") {
			s.pageLogin(w, r, q)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			if c, err := r.Cookie(PageCookie); err == nil {
				got, ok = c.Value, true
			}
		}
		if !ok || !s.validToken(got) {
			s.pageRefused(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// pageLogin checks ?token=, keeps it in the cookie and redirects to the
// URL without it.
func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request, q url.Values) {
	tok := q.Get("token")
	if !s.validToken(tok) {
		s.pageRefused(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: PageCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	q.Del("token")
	to := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}

func (s *Server) validToken(got string) bool {
	sum := sha256.Sum256([]byte(got))
	return s.cfg.Token != "" && subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
}

func (s *Server) pageRefused(w http.ResponseWriter, r *http.Request) {
	s.cfg.Log.Warn("page request refused: missing or wrong token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(loginPage))
}

// loginPage asks for the token; the form sends it as ?token= (see pageAuth).
const loginPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>citadel: token needed</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;color:#222}
input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box;margin:.5rem 0}button{font-size:1rem;padding:.4rem 1rem}</style>
</head><body><h1>citadel coordinator</h1>
<p>This page needs the coordinator token (the one in <code>coordinator.token_env</code> or <code>token_file</code>).
The browser keeps it in a cookie for this site.</p>
<form method="get"><label for="token">Token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Open the status page</button></form></body></html>
`
