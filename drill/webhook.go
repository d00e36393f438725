package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/noscites/citadel/config"
)

// notify POSTs the report of a failed drill, as JSON (the stored report),
// to the drill's webhook, within its timeout. It never fails the drill:
// a URL that cannot be read, a refused connection, a timeout or an answer
// other than 2xx is logged, and the drill's outcome stays what it was.
// The URL is a secret (it may carry a token): it is never logged, only its
// host.
func notify(ctx context.Context, log *slog.Logger, hc *http.Client, h *config.DrillWebhook, rep *Report) {
	if h == nil || rep.Passed {
		return
	}
	log = log.With("drill", rep.Drill, "run", rep.ID)
	raw, err := h.URL()
	if err != nil {
		log.Warn("the drill failed but its webhook was not called: its URL cannot be read", "err", err)
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		log.Warn("the drill failed but its webhook was not called: its URL is not an http(s) URL: fix drills[].webhook")
		return
	}
	log = log.With("webhook", u.Scheme+"://"+u.Host)
	body, err := json.Marshal(rep)
	if err != nil {
		log.Warn("the drill failed but its webhook was not called", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.TimeoutOr())
	defer cancel()
	if err := post(ctx, hc, raw, body); err != nil {
		log.Warn("the drill failed and its webhook call failed too: the report is in the storage all the same", "err", err)
		return
	}
	log.Info("drill failure reported to the webhook")
}

// post sends body and wants a 2xx answer; errors never hold the URL.
func post(ctx context.Context, hc *http.Client, to string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return errors.New("build the webhook request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "citadel-drill")
	resp, err := hc.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return fmt.Errorf("post the report: %w", ue.Err)
	}
	if err != nil {
		return fmt.Errorf("post the report: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post the report: the webhook answered %s", resp.Status)
	}
	return nil
}
