package sfbulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIVersion is the REST API version used when Config.APIVersion is empty.
const DefaultAPIVersion = "62.0"

// Config tunes a Client. The zero value works.
type Config struct {
	// APIVersion like "62.0" (default DefaultAPIVersion). Bulk 2.0 needs 47.0+.
	APIVersion string
	// HTTPClient defaults to DefaultHTTPClient().
	HTTPClient *http.Client
	// Logger receives request metadata only (method, route, status, codes),
	// never tokens, SOQL values or record values. Default: discard.
	Logger *slog.Logger
	// Retry governs 502/503/504, dropped connections, UNABLE_TO_LOCK_ROW and
	// the concurrency form of REQUEST_LIMIT_EXCEEDED.
	Retry RetryPolicy
	// UserDailyBudget stops the client (BudgetError, ErrBudgetExhausted)
	// before it sends call number UserDailyBudget+1 of the day for this user;
	// CallsToday seeds the count from a ledger. 0 means no budget.
	UserDailyBudget int64
	CallsToday      int64
	// OrgReserve stops the client (ErrLimitExhausted) when the org's
	// remaining daily requests, per the last Sforce-Limit-Info, fall to this
	// number, leaving room for other integrations. 0 means none.
	OrgReserve int
	// OnCall, if set, is called once per HTTP request sent to the instance
	// (for a persistent per-user ledger). It must be fast and safe for
	// concurrent use.
	OnCall func(userID string)
	// ExpectOrgID refuses tokens of any other org (ErrOrgMismatch).
	ExpectOrgID string
	// PollInterval and MaxPollInterval bound the Bulk job polling backoff
	// (defaults 500ms and 10s).
	PollInterval, MaxPollInterval time.Duration
	// LeadAutoAssign lets the org's active Lead (and Case) assignment rules
	// run on sObject Collections writes. By default (false) Create, Update
	// and Upsert send "Sforce-Auto-Assign: FALSE": without it Salesforce runs
	// the active assignment rule on every Lead created or updated through
	// REST and may silently change its owner. Bulk API 2.0 ingest jobs run
	// no assignment rule (none is named in the job), whatever this says.
	LeadAutoAssign bool
}

// Client talks to one org as one user. It is safe for concurrent use and
// holds no global state.
type Client struct {
	cfg   Config
	hc    *http.Client
	log   *slog.Logger
	ts    TokenSource
	retry RetryPolicy
	ident Identity

	calls, retries, refreshes atomic.Int64
	// reserved counts budget slots taken before sending (never fewer than
	// calls), so concurrent requests cannot overshoot the budget together.
	reserved atomic.Int64

	mu       sync.Mutex
	limit    LimitInfo
	describe map[string]*SObjectDescribe
}

// DefaultHTTPClient has dial, TLS and response-header timeouts but no overall
// timeout (result pages stream for as long as the context allows).
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute, // non-query REST calls run up to 10 min server side; most answer in seconds
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   8,
		},
		// Never follow a redirect with the bearer token to another host.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 0 && req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}

// New returns a client acting with the tokens of ts. It fetches (or mints)
// the first token to learn the instance and the identity, and checks the org
// against cfg.ExpectOrgID; it sends no API request.
func New(ctx context.Context, cfg Config, ts TokenSource) (*Client, error) {
	if ts == nil {
		return nil, errors.New("sfbulk: nil token source")
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	cfg.APIVersion = strings.TrimPrefix(cfg.APIVersion, "v")
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.MaxPollInterval < cfg.PollInterval {
		cfg.MaxPollInterval = max(10*time.Second, cfg.PollInterval)
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger, ts: ts, retry: cfg.Retry.withDefaults(), describe: map[string]*SObjectDescribe{}}
	if c.hc == nil {
		c.hc = DefaultHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	tok, err := ts.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("salesforce token: %w", err)
	}
	id, err := tok.Identity()
	if err != nil {
		return nil, fmt.Errorf("salesforce token: %w", err)
	}
	if err := checkInstance(tok.InstanceURL); err != nil {
		return nil, err
	}
	if cfg.ExpectOrgID != "" && !SameOrg(cfg.ExpectOrgID, id.OrgID) {
		return nil, fmt.Errorf("token of org %s, expected %s: %w", id.OrgID, cfg.ExpectOrgID, ErrOrgMismatch)
	}
	c.ident = id
	return c, nil
}

func checkInstance(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("instance url %q is not absolute", s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return fmt.Errorf("instance url %q must use https", s)
	}
	return nil
}

// Identity is the user and org this client acts as.
// InstanceURL follows the latest token (an org migration moves it).
func (c *Client) Identity() Identity {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ident
}

// APIVersion is the version in use, like "62.0".
func (c *Client) APIVersion() string { return c.cfg.APIVersion }

// Usage reports calls sent by this client and the org usage last seen.
func (c *Client) Usage() Usage {
	c.mu.Lock()
	li := c.limit
	c.mu.Unlock()
	return Usage{UserID: c.ident.UserID, Calls: c.cfg.CallsToday + c.calls.Load(), Budget: c.cfg.UserDailyBudget,
		Org: li, Retries: c.retries.Load(), Refreshes: c.refreshes.Load()}
}

// request describes one API call; the body is bytes so it can be resent.
type request struct {
	method      string
	path        string // under /services/data/vXX.X, or absolute "/services/..." on the instance
	query       url.Values
	body        []byte
	contentType string
	accept      string
	// idempotent: sending it twice does no harm, so it may be resent after
	// an answer was lost (GET, PATCH update/upsert, job creation).
	idempotent bool
	// noRetry disables status/network retries (the caller retries itself).
	noRetry bool
	// header holds extra request headers (e.g. Sforce-Auto-Assign).
	header http.Header
}

// route is the path without query string, for logs and errors.
func (r *request) route() string { return r.path }

// reserve takes a budget slot for one call, refusing it when the org
// reserve is reached or the user's budget is spent. Slots are taken
// atomically, so concurrent requests cannot overshoot the budget together.
func (c *Client) reserve() error {
	if r := c.cfg.OrgReserve; r > 0 {
		c.mu.Lock()
		li := c.limit
		c.mu.Unlock()
		if li.Max > 0 && li.Max-li.Used <= r {
			return &BudgetError{Org: true, Used: int64(li.Used), Budget: int64(li.Max)}
		}
	}
	b := c.cfg.UserDailyBudget
	for {
		r := c.reserved.Load()
		if used := c.cfg.CallsToday + r; b > 0 && used >= b {
			return &BudgetError{UserID: c.ident.UserID, Used: used, Budget: b}
		}
		if c.reserved.CompareAndSwap(r, r+1) {
			return nil
		}
	}
}

func (c *Client) noteLimits(h http.Header) {
	v := h.Get("Sforce-Limit-Info")
	if v == "" {
		return
	}
	if li, ok := ParseLimitInfo(v); ok {
		c.mu.Lock()
		c.limit = li
		c.mu.Unlock()
	}
}

// maxSessionRefreshes bounds the refreshes after consecutive 401s of one
// request.
const maxSessionRefreshes = 3

// do sends r with retries and a refresh after each 401, returning a 2xx
// response whose body the caller must close (gzip already undone). A 401
// refreshes the token and resends, once per consecutive 401 and at most
// maxSessionRefreshes times; it gives up at once when the refused token was
// minted for this request by the previous refresh (a cached token handed
// over by the source may have ended meanwhile). Errors are *APIError
// (answered), *RequestError (no answer; with SendState), *BudgetError,
// token errors or the context's error.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, error) {
	tok, err := c.ts.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("salesforce token: %w", err)
	}
	// refreshes counts the refreshes since the last answer other than 401;
	// minted tells that tok was minted by the last of them.
	refreshes, minted := 0, false
	// st is how far the request got over all attempts: MaybeSent as soon as
	// one attempt may have been applied without an answer, else Answered
	// once Salesforce answered, else NotSent.
	var st sendTracker
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, c.ctxErr(r, st.state(), err)
		}
		if err := c.reserve(); err != nil {
			return nil, err
		}
		resp, sent, err := c.send(ctx, r, tok)
		st.note(sent)
		var retryAfter time.Duration
		var lastErr error
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.ctxErr(r, st.state(), ctx.Err())
			}
			lastErr = &RequestError{Method: r.method, Path: r.route(), Sent: st.state(), Err: err}
			if !transientNetErr(err) || r.noRetry || (st.ambiguous && !r.idempotent) {
				return nil, lastErr
			}
			c.log.Warn("salesforce request failed", "method", r.method, "route", r.route(), "attempt", attempt, "sent", sent.String(), "err", err.Error())
		} else {
			c.noteLimits(resp.Header)
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				if err := wrapGzip(resp); err != nil {
					resp.Body.Close()
					return nil, &RequestError{Method: r.method, Path: r.route(), Sent: MaybeSent, Err: err}
				}
				return resp, nil
			}
			apiErr, bodyErr := readAPIError(resp, r)
			if resp.StatusCode != http.StatusUnauthorized {
				refreshes, minted = 0, false
			} else if refreshes < maxSessionRefreshes && !minted {
				refreshes++
				c.refreshes.Add(1)
				c.log.Info("salesforce session refused; refreshing token", "route", r.route(), "refresh", refreshes)
				nt, m, err := c.refreshToken(ctx, tok)
				if err != nil {
					return nil, fmt.Errorf("refresh after %s: %w", apiErr.ErrorCode, err)
				}
				if err := c.checkToken(nt); err != nil {
					return nil, err
				}
				tok, minted = nt, m
				c.mu.Lock()
				c.ident.InstanceURL = nt.InstanceURL
				c.mu.Unlock()
				attempt-- // the refresh retry is not a backoff attempt
				continue
			}
			lastErr = apiErr
			// A gateway 502/504 may have forwarded the request.
			if resp.StatusCode == 502 || resp.StatusCode == 504 {
				st.note(MaybeSent)
			}
			switch {
			case bodyErr != nil:
				// The error status arrived but its body was cut: the code is
				// unknown, so the request is sent again (a refused request
				// was not applied, and a gateway status marked it ambiguous).
				lastErr = &RequestError{Method: r.method, Path: r.route(), Sent: st.state(),
					Err: fmt.Errorf("status %d with a cut error body: %w", resp.StatusCode, bodyErr)}
				if r.noRetry || (st.ambiguous && !r.idempotent) {
					return nil, lastErr
				}
				c.log.Warn("salesforce error body cut; will retry", "method", r.method, "route", r.route(), "attempt", attempt, "status", resp.StatusCode)
			default:
				if st.ambiguous {
					lastErr = &RequestError{Method: r.method, Path: r.route(), Sent: MaybeSent, Err: apiErr}
				}
				if !apiErr.Retryable() || r.noRetry || (st.ambiguous && !r.idempotent) {
					return nil, lastErr
				}
				retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
				c.log.Warn("salesforce request refused; will retry", "method", r.method, "route", r.route(), "attempt", attempt, "status", apiErr.HTTPStatus, "code", apiErr.ErrorCode)
			}
		}
		if attempt >= c.retry.MaxAttempts {
			return nil, lastErr
		}
		c.retries.Add(1)
		if err := sleep(ctx, c.retry.Backoff(attempt, retryAfter)); err != nil {
			return nil, c.ctxErr(r, st.state(), err)
		}
	}
}

// refreshToken asks the source for a token to replace the refused one and
// tells whether it was minted for this call (false when the source cannot say).
func (c *Client) refreshToken(ctx context.Context, stale *Token) (*Token, bool, error) {
	if mr, ok := c.ts.(mintReporter); ok {
		return mr.refreshMinted(ctx, stale)
	}
	t, err := c.ts.Refresh(ctx, stale)
	return t, false, err
}

type sendTracker struct{ ambiguous, answered bool }

func (t *sendTracker) note(s SendState) {
	switch s {
	case MaybeSent:
		t.ambiguous = true
	case Answered:
		t.answered = true
	}
}

func (t *sendTracker) state() SendState {
	switch {
	case t.ambiguous:
		return MaybeSent
	case t.answered:
		return Answered
	}
	return NotSent
}

func (c *Client) ctxErr(r *request, st SendState, err error) error {
	if st == NotSent {
		return err
	}
	return &RequestError{Method: r.method, Path: r.route(), Sent: st, Err: err}
}

// checkToken refuses a refreshed token of another org or on a bad instance.
func (c *Client) checkToken(t *Token) error {
	if !SameOrg(t.ID, c.ident.OrgID) {
		return fmt.Errorf("refreshed token: %w", ErrOrgMismatch)
	}
	return checkInstance(t.InstanceURL)
}

// send performs one HTTP exchange. sent tells whether the request was fully
// written before a failure.
func (c *Client) send(ctx context.Context, r *request, tok *Token) (*http.Response, SendState, error) {
	u := strings.TrimRight(tok.InstanceURL, "/")
	if strings.HasPrefix(r.path, "/services/") {
		u += r.path
	} else {
		u += "/services/data/v" + c.cfg.APIVersion + r.path
	}
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var wrote atomic.Bool
	var writes atomic.Int32
	trace := &httptrace.ClientTrace{
		// Counted per write, so the transport's own silent resend of an
		// idempotent request on a broken keep-alive connection counts too.
		WroteHeaders: func() {
			if writes.Add(1) > 1 {
				c.reserved.Add(1) // the transport resent it on its own
			}
			c.calls.Add(1)
			if c.cfg.OnCall != nil {
				c.cfg.OnCall(c.ident.UserID)
			}
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, u, body)
	if err != nil {
		return nil, NotSent, err
	}
	if r.body != nil {
		b := r.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "navsync-sfbulk")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	for k, v := range r.header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error prints the whole URL, SOQL values included: keep the
		// cause and the route only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", ue.Op, r.route(), ue.Err)
		}
		st := NotSent
		if wrote.Load() {
			st = MaybeSent
		}
		return nil, st, err
	}
	c.log.Debug("salesforce request", "method", r.method, "route", r.route(), "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
	return resp, Answered, nil
}

// wrapGzip replaces a gzip body with its decompressed stream.
func wrapGzip(resp *http.Response) error {
	if !strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		return nil
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		return fmt.Errorf("gzip body: %w", err)
	}
	resp.Body = &gzipBody{zr: zr, raw: resp.Body}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	return nil
}

type gzipBody struct {
	zr  *gzip.Reader
	raw io.ReadCloser
}

func (g *gzipBody) Read(p []byte) (int, error) { return g.zr.Read(p) }
func (g *gzipBody) Close() error               { g.zr.Close(); return g.raw.Close() }

// readAPIError reads (and closes) an error response into an APIError. A
// body cut by a dropped connection is reported as bodyErr.
func readAPIError(resp *http.Response, r *request) (e *APIError, bodyErr error) {
	defer resp.Body.Close()
	if err := wrapGzip(resp); err != nil {
		return &APIError{HTTPStatus: resp.StatusCode, Method: r.method, Path: r.route(), Message: "undecodable gzip error body"}, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e = &APIError{HTTPStatus: resp.StatusCode, Method: r.method, Path: r.route()}
	if err != nil && transientNetErr(err) {
		bodyErr = err
	}
	var arr []struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	if json.Unmarshal(b, &arr) == nil && len(arr) > 0 {
		e.ErrorCode, e.Message, e.Fields = arr[0].ErrorCode, arr[0].Message, arr[0].Fields
		return e, nil
	}
	var one struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(b, &one) == nil && one.ErrorCode != "" {
		e.ErrorCode, e.Message = one.ErrorCode, one.Message
		return e, nil
	}
	// A gateway page or plain text: keep a short printable excerpt.
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	e.Message = s
	return e, bodyErr
}

// doJSON sends r (marshalling in as the body when non-nil) and decodes the
// answer into out (when non-nil).
func (c *Client) doJSON(ctx context.Context, r *request, in, out any) error {
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s body: %w", r.route(), err)
		}
		r.body, r.contentType = b, "application/json"
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return err
		}
		if out == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		} else {
			dec := json.NewDecoder(resp.Body)
			dec.UseNumber()
			err = dec.Decode(out)
			if errors.Is(err, io.EOF) && resp.StatusCode == http.StatusNoContent {
				err = nil
			}
		}
		resp.Body.Close()
		if err == nil {
			return nil
		}
		// The answer was lost while reading it: resend only what is idempotent.
		rerr := &RequestError{Method: r.method, Path: r.route(), Sent: MaybeSent, Err: err}
		if !r.idempotent || !transientNetErr(err) || attempt >= c.retry.MaxAttempts {
			if !transientNetErr(err) {
				return fmt.Errorf("decode %s: %w", r.route(), err)
			}
			return rerr
		}
		c.retries.Add(1)
		if err := sleep(ctx, c.retry.Backoff(attempt, 0)); err != nil {
			return err
		}
	}
}
