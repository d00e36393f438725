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
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongoconn"
)

// notify POSTs the report of a failed drill, as JSON (the stored report),
// to the drill's webhook, within its timeout, again after a transport
// error or a 5xx/429 answer (webhookRetry). It never fails the drill:
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
	tries := 0
	err = webhookRetry.DoIf(ctx, retryablePost, func(int) error { tries++; return post(ctx, hc, raw, body) })
	if err != nil {
		log.Warn("the drill failed and its webhook call failed too: the report is in the storage all the same", "err", err, "attempts", tries)
		return
	}
	log.Info("drill failure reported to the webhook", "attempts", tries)
}

// webhookRetry is the one retry policy (mongoconn.Retry) sized for a
// notification: three attempts, pauses up to 500 ms then 1 s, all within
// the webhook's timeout. A receiver that got the report but whose answer
// was lost gets it again: the report's id tells the copies apart.
var webhookRetry = mongoconn.Retry{Attempts: 3, Base: 500 * time.Millisecond, Max: time.Second}

// errBusy marks an answer worth another attempt (5xx, 429);
// errRefusedAnswer any other non-2xx answer.
var (
	errBusy          = errors.New("a failure on its side")
	errRefusedAnswer = errors.New("it refused the report, not sent again")
)

// retryablePost: a transport error (refused, reset) or a busy answer; not
// another 4xx (the receiver refused this report: sending it again changes
// nothing) nor the timeout (ctx is spent).
func retryablePost(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	return !errors.Is(err, errRefusedAnswer)
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
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("post the report: the webhook answered %s: %w", resp.Status, errBusy)
	default:
		return fmt.Errorf("post the report: the webhook answered %s: %w", resp.Status, errRefusedAnswer)
	}
}
