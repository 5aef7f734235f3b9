package sfbulk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"

	"github.com/navsync/navsync/internal/sfid"
)

// Login hosts. A My Domain host is https://<domain>.my.salesforce.com, or
// https://<domain>--<sandbox>.sandbox.my.salesforce.com for a sandbox (see
// MyDomainURL).
const (
	ProductionLoginURL = "https://login.salesforce.com"
	SandboxLoginURL    = "https://test.salesforce.com"
)

// MyDomainURL returns the My Domain login URL of an org ("acme") or, with a
// sandbox name, of one of its sandboxes.
func MyDomainURL(domain, sandbox string) string {
	if sandbox != "" {
		return "https://" + domain + "--" + sandbox + ".sandbox.my.salesforce.com"
	}
	return "https://" + domain + ".my.salesforce.com"
}

// Token is a Salesforce access token and what came with it. It never prints
// its secrets (String and LogValue redact them).
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	InstanceURL  string    `json:"instance_url"`
	ID           string    `json:"id"` // identity URL https://{login}/id/{org}/{user}
	IssuedAt     time.Time `json:"issued_at,omitzero"`
	Scope        string    `json:"scope,omitempty"`
	// Username is set for JWT-minted tokens and by callers that know it.
	Username string `json:"username,omitempty"`
}

// String shows the instance and identity URLs and redacts both tokens. It
// and the methods below are on the value, so a Token printed or logged by
// value, or as a field of a struct, slice or map, is redacted as a *Token
// is. Its JSON encoding (the token store's format) carries the tokens.
func (t Token) String() string {
	return fmt.Sprintf("Token{instance=%s id=%s access=%s refresh=%s}", t.InstanceURL, t.ID, redact(t.AccessToken), redact(t.RefreshToken))
}

// GoString is %#v: Go syntax with both tokens redacted.
func (t Token) GoString() string {
	return fmt.Sprintf("sfbulk.Token{AccessToken:%q, RefreshToken:%q, InstanceURL:%q, ID:%q, IssuedAt:%#v, Scope:%q, Username:%q}",
		redactQ(t.AccessToken), redactQ(t.RefreshToken), t.InstanceURL, t.ID, t.IssuedAt, t.Scope, t.Username)
}

// Format prints String for every verb (with its width and flags) and
// GoString for %#v, so that no verb reaches the token fields.
func (t Token) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, t.GoString())
	case verb == 'v', verb == 's', verb == 'q', verb == 'x', verb == 'X':
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), t.String())
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(sfbulk.Token=%s)", verb, t.String())
	}
}

// LogValue keeps tokens out of logs. (A nil *Token cannot be logged: slog
// reports the nil dereference instead.)
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance_url", t.InstanceURL), slog.String("id", t.ID))
}

// redactQ is redact for %q: an empty token stays the empty string.
func redactQ(s string) string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "<redacted>"
}

// Identity is who a token acts as.
type Identity struct {
	OrgID, UserID, InstanceURL, IDURL string
	Username                          string
}

// Identity parses the token's identity URL.
func (t *Token) Identity() (Identity, error) {
	org, user, err := ParseIdentityURL(t.ID)
	if err != nil {
		return Identity{}, err
	}
	return Identity{OrgID: org, UserID: user, InstanceURL: t.InstanceURL, IDURL: t.ID, Username: t.Username}, nil
}

// ParseIdentityURL returns the org and user ids of an identity URL
// (https://login.salesforce.com/id/00Dx.../005x...).
func ParseIdentityURL(id string) (orgID, userID string, err error) {
	u, err := url.Parse(id)
	if err != nil {
		return "", "", fmt.Errorf("parse identity url: %w", err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "id" {
		return "", "", fmt.Errorf("identity url %q: want /id/{org}/{user}", id)
	}
	orgID, userID = parts[len(parts)-2], parts[len(parts)-1]
	if !sfid.Valid(orgID) || !strings.HasPrefix(orgID, sfid.Organization) || !sfid.Valid(userID) || !strings.HasPrefix(userID, sfid.User) {
		return "", "", fmt.Errorf("identity url %q: bad org or user id", id)
	}
	return orgID, userID, nil
}

// SameOrg reports whether a and b name the same org. Each may be an org id
// (15 or 18 characters) or an identity URL; ids compare on their 15-character
// case-sensitive form. Empty or unparsable input is never the same org.
func SameOrg(a, b string) bool {
	oa, ob := orgOf(a), orgOf(b)
	if oa == "" || ob == "" {
		return false
	}
	return sfid.Equal(oa, ob)
}

func orgOf(s string) string {
	if strings.Contains(s, "/") {
		org, _, err := ParseIdentityURL(s)
		if err != nil {
			return ""
		}
		return org
	}
	if !sfid.Valid(s) || !strings.HasPrefix(s, sfid.Organization) {
		return ""
	}
	return s
}

// TokenSource hands out access tokens to a Client.
type TokenSource interface {
	// Token returns the current token, minting one when none is cached.
	Token(ctx context.Context) (*Token, error)
	// Refresh is called after a 401 INVALID_SESSION_ID with the token that
	// was refused. It mints a new one unless another caller already did,
	// and never returns a token it knows was refused.
	Refresh(ctx context.Context, stale *Token) (*Token, error)
}

// mintReporter is implemented by the package's sources: refreshMinted tells
// whether the token was minted for this call. A Client refreshes again after
// a cached token is refused, but gives up when a just-minted one is; for a
// source that cannot tell, every refused token counts as cached (bounded by
// maxSessionRefreshes).
type mintReporter interface {
	refreshMinted(ctx context.Context, stale *Token) (tok *Token, minted bool, err error)
}

// The sources embed tokenCache; a method of their own named refreshMinted
// would hide it.
var (
	_ mintReporter = (*RefreshTokenSource)(nil)
	_ mintReporter = (*JWTSource)(nil)
	_ mintReporter = (*ClientCredentialsSource)(nil)
)

// OAuthConfig is a connected app on a login host.
type OAuthConfig struct {
	// LoginURL is ProductionLoginURL, SandboxLoginURL or a My Domain URL
	// (https only; plain http is accepted for loopback hosts such as the simulator).
	LoginURL               string
	ClientID, ClientSecret string
	// Audience overrides the JWT aud claim (default: the login host, with My
	// Domain hosts mapped to login.salesforce.com or test.salesforce.com).
	Audience   string
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Retry applies to network failures and 5xx from the token endpoint.
	Retry RetryPolicy
}

// withClient returns the config with an HTTP client set, so a source reuses
// one transport (and its connections) for all its token requests.
func (c OAuthConfig) withClient() OAuthConfig {
	if c.HTTPClient == nil {
		c.HTTPClient = DefaultHTTPClient()
	}
	return c
}

func (c OAuthConfig) check() error {
	if c.ClientID == "" {
		return errors.New("oauth: client id (consumer key) is required")
	}
	u, err := url.Parse(c.LoginURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oauth: login url %q is not an absolute URL", c.LoginURL)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return fmt.Errorf("oauth: login url %q must use https", c.LoginURL)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c OAuthConfig) base() string         { return strings.TrimRight(c.LoginURL, "/") }
func (c OAuthConfig) tokenURL() string     { return c.base() + "/services/oauth2/token" }
func (c OAuthConfig) authorizeURL() string { return c.base() + "/services/oauth2/authorize" }

func (c OAuthConfig) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return DefaultHTTPClient()
}

func (c OAuthConfig) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c OAuthConfig) oauth2Config(redirect string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: c.authorizeURL(), TokenURL: c.tokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirect,
		Scopes:       scopes,
	}
}

// observed is ctx for one x/oauth2 token request, with the config's HTTP
// client watched by the returned netWatch: x/oauth2 flattens transport
// errors into text (and JWT ones into its own error string), so whether the
// token endpoint was reached is learnt here.
func (c OAuthConfig) observed(ctx context.Context) (context.Context, *netWatch) {
	hc := *c.httpClient()
	w := &netWatch{base: hc.Transport}
	if w.base == nil {
		w.base = http.DefaultTransport
	}
	hc.Transport = w
	return context.WithValue(ctx, oauth2.HTTPClient, &hc), w
}

// netWatch is an http.RoundTripper noting the first network failure of the
// requests it carries: no answer (refused, reset, timed out), or an answer
// whose body broke off. A cancelled context is not a failure.
type netWatch struct {
	base http.RoundTripper
	mu   sync.Mutex
	err  error
}

func (w *netWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(r)
	if err != nil {
		w.note(err)
		return nil, err
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w}
	return resp, nil
}

func (w *netWatch) note(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// failure is the first network failure noted, nil when none.
func (w *netWatch) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

type watchedBody struct {
	io.ReadCloser
	w *netWatch
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.w.note(err)
	}
	return n, err
}

// audience is the JWT aud claim: the login host.
func (c OAuthConfig) audience() string {
	if c.Audience != "" {
		return c.Audience
	}
	u, err := url.Parse(c.LoginURL)
	if err != nil {
		return c.base()
	}
	h := strings.ToLower(u.Hostname())
	switch {
	case h == "test.salesforce.com" || strings.HasSuffix(h, ".sandbox.my.salesforce.com"):
		return SandboxLoginURL
	case h == "login.salesforce.com" || strings.HasSuffix(h, ".my.salesforce.com"):
		return ProductionLoginURL
	}
	return c.base()
}

// fromOAuth2 turns an x/oauth2 token into a Token, checking the signature
// when the client secret is known.
func (c OAuthConfig) fromOAuth2(t *oauth2.Token) (*Token, error) {
	str := func(k string) string { s, _ := t.Extra(k).(string); return s }
	tok := &Token{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		InstanceURL:  str("instance_url"),
		ID:           str("id"),
		Scope:        str("scope"),
	}
	issued := str("issued_at")
	if ms, err := strconv.ParseInt(issued, 10, 64); err == nil {
		tok.IssuedAt = time.UnixMilli(ms)
	}
	if tok.AccessToken == "" || tok.InstanceURL == "" || tok.ID == "" {
		return nil, errors.New("token response lacks access_token, instance_url or id")
	}
	if _, err := url.Parse(tok.InstanceURL); err != nil {
		return nil, fmt.Errorf("token response instance_url: %w", err)
	}
	if sig := str("signature"); sig != "" && c.ClientSecret != "" {
		if !VerifySignature(c.ClientSecret, tok.ID, issued, sig) {
			return nil, ErrBadSignature
		}
	}
	return tok, nil
}

// VerifySignature checks a token response's signature: base64 HMAC-SHA256 of
// id+issued_at keyed with the client secret.
func VerifySignature(secret, id, issuedAt, signature string) bool {
	want, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + issuedAt))
	return hmac.Equal(m.Sum(nil), want)
}

// tokenTransportError marks a token request that got no usable answer
// (connection refused or dropped, body cut, an answer x/oauth2 could not
// read). x/oauth2 flattens such errors with %v, so their cause cannot be
// inspected; they are retried. netErr is the network failure seen under
// the request (nil when the endpoint answered, unreadably): only then is
// the token endpoint unavailable.
type tokenTransportError struct{ err, netErr error }

func (e *tokenTransportError) Error() string {
	if e.netErr != nil {
		return e.err.Error() + ": " + unavailableHint
	}
	return e.err.Error()
}

func (e *tokenTransportError) Unwrap() error { return e.err }

// Is: a network failure at the token endpoint is ErrUnavailable, as one at
// the instance is.
func (e *tokenTransportError) Is(target error) bool {
	return target == ErrUnavailable && e.netErr != nil
}

// authErr converts an x/oauth2 error into an AuthError when the token
// endpoint answered, and marks every other failure as a transport error
// (with netErr, the network failure seen under the request, if any).
func authErr(flow string, err, netErr error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return &tokenTransportError{err: err, netErr: netErr}
	}
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			code, desc = body.Error, body.Description
		}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if code == "" {
		code = "http_" + strconv.Itoa(status)
		if status >= 500 {
			desc = http.StatusText(status) // a gateway's HTML page says no more
		}
	}
	hint := authHint(flow, code, desc)
	if status >= 500 {
		hint = unavailableHint
	}
	return &AuthError{Flow: flow, HTTPStatus: status, Code: code, Description: desc, Hint: hint}
}

// unavailableHint is the fix for a token endpoint that answers 5xx or
// cannot be reached.
const unavailableHint = "the login host is unavailable (Salesforce, or a proxy or gateway on the way): check status.salesforce.com and this host's network and proxy, then run again"

// retryableAuth: transport failures and 5xx from the token endpoint. A
// refresh whose answer was lost is sent again; with refresh-token rotation
// on, Salesforce may then answer invalid_grant (the first call rotated it).
func retryableAuth(err error) bool {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.HTTPStatus >= 500
	}
	var te *tokenTransportError
	return errors.As(err, &te)
}

// mintWithRetry calls mint, retrying transient failures per policy.
func mintWithRetry(ctx context.Context, p RetryPolicy, mint func(context.Context) (*Token, error)) (*Token, error) {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		t, err := mint(ctx)
		if err == nil || attempt >= p.MaxAttempts || !retryableAuth(err) || ctx.Err() != nil {
			return t, err
		}
		if err := sleep(ctx, p.Backoff(attempt, 0)); err != nil {
			return nil, err
		}
	}
}

// tokenCache is the single-flight cache shared by the sources. It remembers
// the last access tokens Salesforce refused, so it never hands one out again.
type tokenCache struct {
	mu      sync.Mutex
	cur     *Token
	refused []string // refused access tokens, oldest first, at most maxRefused
	mint    func(ctx context.Context) (*Token, error)
}

// maxRefused bounds the refused tokens a cache remembers (a token is
// reported refused by every request that carried it, so few are ever live).
const maxRefused = 8

func (c *tokenCache) isRefusedLocked(access string) bool {
	for _, r := range c.refused {
		if r == access {
			return true
		}
	}
	return false
}

func (c *tokenCache) noteRefusedLocked(access string) {
	if access == "" || c.isRefusedLocked(access) {
		return
	}
	if len(c.refused) == maxRefused {
		c.refused = append(c.refused[:0], c.refused[1:]...)
	}
	c.refused = append(c.refused, access)
}

func (c *tokenCache) Token(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && !c.isRefusedLocked(c.cur.AccessToken) {
		return c.cur, nil
	}
	return c.mintLocked(ctx)
}

func (c *tokenCache) mintLocked(ctx context.Context) (*Token, error) {
	c.cur = nil
	t, err := c.mint(ctx)
	if err != nil {
		return nil, err
	}
	c.cur = t
	return t, nil
}

// Refresh marks stale as refused and returns a token not known to be
// refused: the one another caller minted meanwhile, else a new one.
func (c *tokenCache) Refresh(ctx context.Context, stale *Token) (*Token, error) {
	t, _, err := c.refreshMinted(ctx, stale)
	return t, err
}

// refreshMinted is Refresh telling whether the token was minted by this call
// (minted) or is one another caller minted since stale was handed out.
// Only a minted token refused again proves a refresh cannot help; a cached
// one may have ended in the meantime (short session timeouts under load).
func (c *tokenCache) refreshMinted(ctx context.Context, stale *Token) (tok *Token, minted bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stale != nil {
		c.noteRefusedLocked(stale.AccessToken)
		if c.cur != nil && !c.isRefusedLocked(c.cur.AccessToken) {
			return c.cur, false, nil // someone else refreshed already
		}
	}
	t, err := c.mintLocked(ctx)
	if err != nil {
		return nil, false, err
	}
	return t, true, nil
}

// RefreshTokenSource uses a stored refresh token (web-server or PKCE consent
// done once) and keeps the store current: every new access token, instance
// URL and rotated refresh token is saved atomically.
type RefreshTokenSource struct {
	tokenCache
	cfg   OAuthConfig
	store TokenStore
}

// NewRefreshTokenSource reads the store lazily: a stored access token is used
// until Salesforce refuses it, then the refresh token mints a new one.
func NewRefreshTokenSource(cfg OAuthConfig, store TokenStore) (*RefreshTokenSource, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &RefreshTokenSource{cfg: cfg.withClient(), store: store}
	s.mint = s.refresh
	return s, nil
}

// Token returns the stored access token if there is one, else refreshes.
func (s *RefreshTokenSource) Token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	if s.cur == nil {
		st, err := s.store.Load(ctx)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("load token: %w", err)
		}
		if st.AccessToken != "" && st.InstanceURL != "" && st.ID != "" && !s.isRefusedLocked(st.AccessToken) {
			s.cur = st
		}
	}
	s.mu.Unlock()
	return s.tokenCache.Token(ctx)
}

func (s *RefreshTokenSource) refresh(ctx context.Context) (*Token, error) {
	st, err := s.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load token: %w", err)
	}
	if st.RefreshToken == "" {
		return nil, fmt.Errorf("stored token has no refresh token: %w", ErrNoToken)
	}
	tok, err := mintWithRetry(ctx, s.cfg.Retry, func(ctx context.Context) (*Token, error) {
		octx, watch := s.cfg.observed(ctx)
		ot, err := s.cfg.oauth2Config("", nil).TokenSource(octx, &oauth2.Token{RefreshToken: st.RefreshToken}).Token()
		if err != nil {
			return nil, authErr("refresh_token", err, watch.failure())
		}
		return s.cfg.fromOAuth2(ot)
	})
	if err != nil {
		return nil, fmt.Errorf("refresh token: %w", err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = st.RefreshToken
	}
	tok.Username = st.Username
	if tok.RefreshToken != st.RefreshToken {
		s.cfg.logger().Info("salesforce refresh token rotated; saving")
	}
	if st.ID != "" && !SameOrg(st.ID, tok.ID) {
		return nil, fmt.Errorf("refreshed token for another org: %w", ErrOrgMismatch)
	}
	if err := s.store.Save(ctx, tok); err != nil {
		return nil, fmt.Errorf("save refreshed token: %w", err)
	}
	return tok, nil
}

// JWTSource mints tokens with the JWT bearer flow (RS256, iss = consumer
// key, sub = username, aud = login host, 3 minutes). It needs no secret and
// no stored token; a 401 simply mints a new one.
type JWTSource struct {
	tokenCache
	cfg      OAuthConfig
	username string
	key      []byte
}

// NewJWTSource checks the private key (PEM, PKCS#1 or PKCS#8 RSA) and returns
// a source for username.
func NewJWTSource(cfg OAuthConfig, username string, privateKeyPEM []byte) (*JWTSource, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if username == "" {
		return nil, errors.New("jwt: username is required")
	}
	blk, _ := pem.Decode(privateKeyPEM)
	if blk == nil {
		return nil, errors.New("jwt: private key is not PEM")
	}
	if _, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(blk.Bytes); err1 != nil {
			return nil, fmt.Errorf("jwt: parse private key: %w", err)
		}
	}
	s := &JWTSource{cfg: cfg.withClient(), username: username, key: privateKeyPEM}
	s.mint = s.mintJWT
	return s, nil
}

// ForUser returns a source for another user of the same connected app.
func (s *JWTSource) ForUser(username string) *JWTSource {
	n := &JWTSource{cfg: s.cfg, username: username, key: s.key}
	n.mint = n.mintJWT
	return n
}

func (s *JWTSource) mintJWT(ctx context.Context) (*Token, error) {
	tok, err := mintWithRetry(ctx, s.cfg.Retry, func(ctx context.Context) (*Token, error) {
		jc := &jwt.Config{
			Email:      s.cfg.ClientID,
			Subject:    s.username,
			PrivateKey: s.key,
			TokenURL:   s.cfg.tokenURL(),
			Audience:   s.cfg.audience(),
			Expires:    3 * time.Minute,
		}
		octx, watch := s.cfg.observed(ctx)
		ot, err := jc.TokenSource(octx).Token()
		if err != nil {
			return nil, authErr("jwt_bearer", err, watch.failure())
		}
		return s.cfg.fromOAuth2(ot)
	})
	if err != nil {
		return nil, fmt.Errorf("jwt bearer token: %w", err)
	}
	tok.Username = s.username
	return tok, nil
}

// ClientCredentialsSource mints tokens with the client-credentials flow; the
// token acts as the connected app's Run As user. Only My Domain hosts accept it.
type ClientCredentialsSource struct {
	tokenCache
	cfg OAuthConfig
}

// NewClientCredentialsSource refuses login.salesforce.com and
// test.salesforce.com, which answer invalid_grant "request not supported on
// this domain" to this grant.
func NewClientCredentialsSource(cfg OAuthConfig) (*ClientCredentialsSource, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("client credentials: the client secret is required")
	}
	u, _ := url.Parse(cfg.LoginURL)
	if h := strings.ToLower(u.Hostname()); h == "login.salesforce.com" || h == "test.salesforce.com" {
		return nil, fmt.Errorf("client credentials on %s (Salesforce answers invalid_grant \"request not supported on this domain\"): %s: %w",
			h, authHint("client_credentials", "invalid_grant", "request not supported on this domain"), ErrLoginHost)
	}
	s := &ClientCredentialsSource{cfg: cfg.withClient()}
	s.mint = s.mintCC
	return s, nil
}

func (s *ClientCredentialsSource) mintCC(ctx context.Context) (*Token, error) {
	tok, err := mintWithRetry(ctx, s.cfg.Retry, func(ctx context.Context) (*Token, error) {
		cc := &clientcredentials.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, TokenURL: s.cfg.tokenURL(), AuthStyle: oauth2.AuthStyleInParams}
		octx, watch := s.cfg.observed(ctx)
		ot, err := cc.Token(octx)
		if err != nil {
			return nil, authErr("client_credentials", err, watch.failure())
		}
		return s.cfg.fromOAuth2(ot)
	})
	if err != nil {
		return nil, fmt.Errorf("client credentials token: %w", err)
	}
	return tok, nil
}

// StaticTokenSource serves a fixed token (an access token pasted by an admin,
// or a test). It cannot refresh: Refresh returns ErrSessionExpired.
type StaticTokenSource struct{ T *Token }

// Token returns the fixed token.
func (s StaticTokenSource) Token(context.Context) (*Token, error) { return s.T, nil }

// Refresh always fails.
func (s StaticTokenSource) Refresh(context.Context, *Token) (*Token, error) {
	return nil, fmt.Errorf("static token cannot be refreshed: %w", ErrSessionExpired)
}
