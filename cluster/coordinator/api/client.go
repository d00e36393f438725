package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// Client talks to one coordinator node; the node forwards writes to the
// leader, so any node's address works.
type Client struct {
	base  *url.URL
	token string
	who   string
	hc    *http.Client
}

// ClientOptions tune a Client.
type ClientOptions struct {
	// Who names the operator in writes (audit, triggers).
	Who string
	// TLS for an https:// URL (nil: the system roots).
	TLS     *tls.Config
	Timeout time.Duration // per request, default 30s
	// HTTP replaces the whole HTTP client (tests, load generators).
	HTTP *http.Client
}

// NewClient returns a client for baseURL ("http://host:port", or a bare
// host:port taken as http).
func NewClient(baseURL, token string, o ClientOptions) (*Client, error) {
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("coordinator url %q: write http://host:port", baseURL)
	}
	hc := o.HTTP
	if hc == nil {
		if o.Timeout <= 0 {
			o.Timeout = 30 * time.Second
		}
		hc = &http.Client{Timeout: o.Timeout, Transport: &http.Transport{TLSClientConfig: o.TLS, MaxIdleConnsPerHost: 4}}
	}
	return &Client{base: u, token: token, who: o.Who, hc: hc}, nil
}

// retries bounds the tries of a request answered 503 no_leader: the node
// asked knew no leader (an election in progress), so nothing was done yet.
const retries = 6

func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := c.once(ctx, method, path, query, in, out)
		var e *Error
		if try == retries || !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || e.Code != CodeNoLeader {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

func (c *Client) once(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.who != "" {
		req.Header.Set("X-Citadel-Who", c.who)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("call coordinator %s: %w", c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&e.ErrorResponse); err != nil || e.Code == "" {
			e.ErrorResponse = ErrorResponse{Error: http.StatusText(resp.StatusCode), Code: CodeInternal}
			if resp.StatusCode == http.StatusUnauthorized {
				e.Code = CodeUnauthorized
			}
		}
		return fmt.Errorf("%s %s: %w", method, path, e)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

func limitQuery(limit int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// Status returns the answering node's raft view.
func (c *Client) Status(ctx context.Context) (StatusResponse, error) {
	var out StatusResponse
	return out, c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &out)
}

// Leader returns the leader's id and addresses.
func (c *Client) Leader(ctx context.Context) (LeaderResponse, error) {
	var out LeaderResponse
	return out, c.do(ctx, http.MethodGet, "/v1/leader", nil, nil, &out)
}

// Nodes lists the raft configuration with the directory's details.
func (c *Client) Nodes(ctx context.Context) ([]NodeView, error) {
	var out []NodeView
	return out, c.do(ctx, http.MethodGet, "/v1/nodes", nil, nil, &out)
}

// AddNode adds a node as a non-voter; the leader promotes it once caught up.
func (c *Client) AddNode(ctx context.Context, n store.NodeInfo) error {
	return c.do(ctx, http.MethodPost, "/v1/nodes", nil, n, nil)
}

// RemoveNode takes a node out of the group.
func (c *Client) RemoveNode(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/nodes/"+url.PathEscape(id), nil, nil, nil)
}

// Jobs lists the job definitions with their state and next slot.
func (c *Client) Jobs(ctx context.Context) ([]JobView, error) {
	var out []JobView
	return out, c.do(ctx, http.MethodGet, "/v1/jobs", nil, nil, &out)
}

// Trigger starts a run of job now. errors.Is(err, ErrBusy) when it runs.
func (c *Client) Trigger(ctx context.Context, job string) (store.Run, error) {
	var out store.Run
	return out, c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(job)+"/trigger", nil, nil, &out)
}

// Runs returns a job's history newest first ("" for every job).
func (c *Client) Runs(ctx context.Context, job string, limit int) ([]store.Run, error) {
	path := "/v1/runs"
	if job != "" {
		path = "/v1/jobs/" + url.PathEscape(job) + "/runs"
	}
	var out []store.Run
	return out, c.do(ctx, http.MethodGet, path, limitQuery(limit), nil, &out)
}

// Backups returns the catalog cache, filtered when the names are set.
func (c *Client) Backups(ctx context.Context, replicaSet, storage string) ([]store.CatalogEntry, error) {
	q := url.Values{}
	if replicaSet != "" {
		q.Set("replica_set", replicaSet)
	}
	if storage != "" {
		q.Set("storage", storage)
	}
	var out []store.CatalogEntry
	return out, c.do(ctx, http.MethodGet, "/v1/backups", q, nil, &out)
}

// PutBackups caches catalog entries.
func (c *Client) PutBackups(ctx context.Context, b store.CatalogPutBody) error {
	return c.do(ctx, http.MethodPost, "/v1/backups", nil, b, nil)
}

// Drills returns the drill history newest first.
func (c *Client) Drills(ctx context.Context, name string, limit int) ([]store.DrillRecord, error) {
	q := limitQuery(limit)
	if name != "" {
		q.Set("name", name)
	}
	var out []store.DrillRecord
	return out, c.do(ctx, http.MethodGet, "/v1/drills", q, nil, &out)
}

// PutDrill records a drill's outcome.
func (c *Client) PutDrill(ctx context.Context, d store.DrillRecord) error {
	return c.do(ctx, http.MethodPost, "/v1/drills", nil, d, nil)
}

// Audit returns audit records newest first.
func (c *Client) Audit(ctx context.Context, since time.Time, actionPrefix string, limit int) ([]store.AuditRecord, error) {
	q := limitQuery(limit)
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	if actionPrefix != "" {
		q.Set("action", actionPrefix)
	}
	var out []store.AuditRecord
	return out, c.do(ctx, http.MethodGet, "/v1/audit", q, nil, &out)
}

// AppendAudit writes an audit record through raft (the audit trail's
// coordinator sink for a CLI process).
func (c *Client) AppendAudit(ctx context.Context, a store.AuditRecord) error {
	return c.do(ctx, http.MethodPost, "/v1/audit", nil, a, nil)
}

// PITR returns the archiver state of every replica set.
func (c *Client) PITR(ctx context.Context) ([]store.PITRState, error) {
	var out []store.PITRState
	return out, c.do(ctx, http.MethodGet, "/v1/pitr", nil, nil, &out)
}
