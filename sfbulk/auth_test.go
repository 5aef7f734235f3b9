package sfbulk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

func TestParseIdentityAndSameOrg(t *testing.T) {
	org := sfid.New(sfid.Organization, "5g", 1)
	other := sfid.New(sfid.Organization, "5g", 2)
	user := sfid.New(sfid.User, "5g", 3)
	o, u, err := ParseIdentityURL("https://login.salesforce.com/id/" + org + "/" + user)
	if err != nil || o != org || u != user {
		t.Fatalf("got %s %s %v", o, u, err)
	}
	for _, bad := range []string{"", "https://x/id/" + org, "https://x/id/" + user + "/" + org, "https://x/foo/" + org + "/" + user, "::"} {
		if _, _, err := ParseIdentityURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{org, org, true},
		{org, org[:15], true},
		{org, "https://login.salesforce.com/id/" + org + "/" + user, true},
		{org, other, false},
		{org, strings.ToLower(org), false}, // 15-char ids are case-sensitive
		{org, "", false},
		{"", "", false},
		{user, user, false}, // not an org id
	}
	for _, tc := range tests {
		if got := SameOrg(tc.a, tc.b); got != tc.want {
			t.Errorf("SameOrg(%q,%q)=%v", tc.a, tc.b, got)
		}
	}
}

func TestFileTokenStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens", "admin.json")
	s := NewFileTokenStore(path)
	ctx := context.Background()
	if _, err := s.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Fatalf("missing file: %v", err)
	}
	tok := &Token{AccessToken: "00D!a", RefreshToken: "r1", InstanceURL: "https://x.my.salesforce.com", ID: "https://login.salesforce.com/id/a/b"}
	if err := s.Save(ctx, tok); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode().Perm(), err)
	}
	got, err := s.Load(ctx)
	if err != nil || *got != *tok {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	tok.RefreshToken = "r2"
	if err := s.Save(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(ctx); got.RefreshToken != "r2" {
		t.Fatal("rotated token not saved")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, ErrTokenStoreInsecure) {
		t.Fatalf("world-readable store accepted: %v", err)
	}
}

func TestTokenNeverPrintsSecrets(t *testing.T) {
	tok := &Token{AccessToken: "00Dsecret!AR", RefreshToken: "5Aepsecret", InstanceURL: "https://x", ID: "https://x/id/a/b"}
	for _, s := range []string{tok.String(), tok.LogValue().String()} {
		if strings.Contains(s, "secret") {
			t.Fatalf("secret leaked: %s", s)
		}
	}
}

func TestRefreshTokenFlow(t *testing.T) {
	f := newFakeOrg(t)
	f.rotate = true
	c, store := f.client(t, nil)
	if c.Identity().OrgID != f.orgID || c.Identity().UserID != f.userID || c.Identity().InstanceURL != f.srv.URL {
		t.Fatalf("identity %+v", c.Identity())
	}
	saved, _ := store.Load(context.Background())
	if saved.RefreshToken != "5Aep861.refresh-1x" || saved.AccessToken == "" || saved.InstanceURL != f.srv.URL {
		t.Fatalf("rotated token not stored: %v", saved)
	}
	if saved.IssuedAt.IsZero() || time.Since(saved.IssuedAt) > time.Minute {
		t.Fatalf("issued_at (ms) misparsed: %v", saved.IssuedAt)
	}
	// Second client from the same store reuses the stored access token.
	before := f.tokenCalls.Load()
	ts, _ := NewRefreshTokenSource(f.oauth(), store)
	if _, err := New(context.Background(), Config{HTTPClient: f.srv.Client()}, ts); err != nil {
		t.Fatal(err)
	}
	if f.tokenCalls.Load() != before {
		t.Fatal("stored access token not reused")
	}
}

func TestRefreshTokenSignature(t *testing.T) {
	f := newFakeOrg(t)
	f.signSecret = "not-the-client-secret" // a response whose id was not signed with our secret
	ts, _ := NewRefreshTokenSource(f.oauth(), NewMemoryTokenStore(&Token{RefreshToken: f.refreshToken}))
	if _, err := ts.Token(context.Background()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered signature: %v", err)
	}
	// Without a known secret there is nothing to verify against.
	cfg := f.oauth()
	cfg.ClientSecret = ""
	f.mu.Lock()
	f.noSecretCheck = true
	f.mu.Unlock()
	ts2, _ := NewRefreshTokenSource(cfg, NewMemoryTokenStore(&Token{RefreshToken: f.refreshToken}))
	if _, err := ts2.Token(context.Background()); err != nil {
		t.Fatalf("unverifiable signature refused: %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	// HMAC-SHA256("s", "idissued") computed independently.
	if !VerifySignature("s3cret", "https://login.salesforce.com/id/00D/005", "1278448384422", signFor("s3cret", "https://login.salesforce.com/id/00D/005", "1278448384422")) {
		t.Fatal("valid signature refused")
	}
	if VerifySignature("s3cret", "https://login.salesforce.com/id/00D/006", "1278448384422", signFor("s3cret", "https://login.salesforce.com/id/00D/005", "1278448384422")) {
		t.Fatal("tampered id accepted")
	}
	if VerifySignature("s3cret", "x", "1", "!!notbase64") {
		t.Fatal("bad base64 accepted")
	}
}

func TestRefreshRevoked(t *testing.T) {
	f := newFakeOrg(t)
	f.revoked = true
	ts, _ := NewRefreshTokenSource(f.oauth(), NewMemoryTokenStore(&Token{RefreshToken: f.refreshToken}))
	_, err := New(context.Background(), Config{HTTPClient: f.srv.Client()}, ts)
	if !errors.Is(err, ErrAuthRevoked) {
		t.Fatalf("want ErrAuthRevoked, got %v", err)
	}
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Description != "expired access/refresh token" || !strings.Contains(ae.Hint, "valid until revoked") || !strings.Contains(ae.Hint, "IP") {
		t.Fatalf("description or fix missing: %+v", ae)
	}
	if f.tokenCalls.Load() != 1 {
		t.Fatalf("invalid_grant retried: %d token calls", f.tokenCalls.Load())
	}
}

func TestTokenEndpointUnavailableIsRetried(t *testing.T) {
	f := newFakeOrg(t)
	f.tokenFails = 2
	c, _ := f.client(t, nil)
	if c.Identity().OrgID != f.orgID {
		t.Fatal("no identity")
	}
	if f.tokenCalls.Load() != 3 {
		t.Fatalf("token calls %d, want 3", f.tokenCalls.Load())
	}
}

func TestNoStoredToken(t *testing.T) {
	f := newFakeOrg(t)
	ts, _ := NewRefreshTokenSource(f.oauth(), NewMemoryTokenStore(nil))
	if _, err := New(context.Background(), Config{HTTPClient: f.srv.Client()}, ts); !errors.Is(err, ErrNoToken) {
		t.Fatalf("got %v", err)
	}
}

func TestSessionExpiryRefreshesOnce(t *testing.T) {
	f := newFakeOrg(t)
	f.mux.HandleFunc("GET /services/data/v62.0/limits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"DailyApiRequests": map[string]any{"Max": 15000, "Remaining": 14000, "Ant Migration Tool": map[string]int{"Max": 0, "Remaining": 0}}})
	})
	c, _ := f.client(t, nil)
	f.expireAll()
	lim, err := c.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if lim["DailyApiRequests"].Remaining != 14000 {
		t.Fatalf("limits %v", lim)
	}
	if c.Usage().Refreshes != 1 {
		t.Fatalf("refreshes %d", c.Usage().Refreshes)
	}
	// A token that is refused even when fresh: one refresh, then the error.
	f.mux.HandleFunc("GET /services/data/v62.0/sobjects/Contact/describe", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, 401, "INVALID_SESSION_ID", "Session expired or invalid")
	})
	calls := f.apiCalls.Load()
	_, err = c.Describe(context.Background(), "Contact")
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("want ErrSessionExpired, got %v", err)
	}
	if n := f.apiCalls.Load() - calls; n != 2 {
		t.Fatalf("%d calls for a persistent 401, want 2 (never a loop)", n)
	}
}

func TestJWTBearerFlow(t *testing.T) {
	f := newFakeOrg(t)
	cfg := f.oauth()
	cfg.ClientSecret = ""
	ts, err := NewJWTSource(cfg, "integration@acme.com", f.keyPEM())
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), Config{HTTPClient: f.srv.Client(), Retry: testRetry()}, ts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Identity().Username != "integration@acme.com" {
		t.Fatalf("username %q", c.Identity().Username)
	}
	f.mu.Lock()
	claims := f.lastJWT
	f.mu.Unlock()
	if claims["sub"] != "integration@acme.com" || claims["aud"] != f.srv.URL || claims["iss"] != f.clientID {
		t.Fatalf("claims %v", claims)
	}
	// Re-minted on 401.
	f.mux.HandleFunc("GET /services/data/v62.0/limits", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) })
	f.expireAll()
	if _, err := c.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.tokenCalls.Load() != 2 {
		t.Fatalf("token calls %d", f.tokenCalls.Load())
	}
	// Any user by username; an unapproved one is ErrAuthRevoked with the JWT fix.
	_, err = ts.ForUser("unapproved@x.com").Token(context.Background())
	var ae *AuthError
	if !errors.Is(err, ErrAuthRevoked) || !errors.As(err, &ae) || !strings.Contains(ae.Hint, "pre-authorized") || !strings.Contains(ae.Description, "approved") {
		t.Fatalf("got %v", err)
	}
	if _, err := NewJWTSource(cfg, "u", []byte("not a key")); err == nil {
		t.Fatal("bad key accepted")
	}
}

func TestJWTAudience(t *testing.T) {
	tests := map[string]string{
		ProductionLoginURL:            ProductionLoginURL,
		SandboxLoginURL:               SandboxLoginURL,
		MyDomainURL("acme", ""):       ProductionLoginURL,
		MyDomainURL("acme", "uat"):    SandboxLoginURL,
		"http://127.0.0.1:8080/":      "http://127.0.0.1:8080",
		"https://acme.my.site.com/xx": "https://acme.my.site.com/xx",
	}
	for login, want := range tests {
		if got := (OAuthConfig{LoginURL: login}).audience(); got != want {
			t.Errorf("%s: aud %s, want %s", login, got, want)
		}
	}
	if MyDomainURL("acme", "uat") != "https://acme--uat.sandbox.my.salesforce.com" {
		t.Fatal(MyDomainURL("acme", "uat"))
	}
}

func TestLoginURLChecks(t *testing.T) {
	for _, bad := range []string{"http://login.salesforce.com", "login.salesforce.com", ""} {
		if _, err := NewRefreshTokenSource(OAuthConfig{LoginURL: bad, ClientID: "x"}, NewMemoryTokenStore(nil)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientCredentialsFlow(t *testing.T) {
	for _, host := range []string{ProductionLoginURL, SandboxLoginURL} {
		_, err := NewClientCredentialsSource(OAuthConfig{LoginURL: host, ClientID: "x", ClientSecret: "y"})
		if !errors.Is(err, ErrLoginHost) || !strings.Contains(err.Error(), "my.salesforce.com") {
			t.Fatalf("%s: %v", host, err)
		}
	}
	f := newFakeOrg(t)
	ts, err := NewClientCredentialsSource(f.oauth())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Config{HTTPClient: f.srv.Client()}, ts); err != nil {
		t.Fatal(err)
	}
	f.ccWrongDomain = true
	ts2, _ := NewClientCredentialsSource(f.oauth())
	_, err = ts2.Token(context.Background())
	if !errors.Is(err, ErrLoginHost) || errors.Is(err, ErrAuthRevoked) {
		t.Fatalf("server's domain answer: %v", err)
	}
}

func TestAuthCodePKCE(t *testing.T) {
	f := newFakeOrg(t)
	store := NewMemoryTokenStore(nil)
	flow := &AuthCodeFlow{
		OAuth:       f.oauth(),
		RedirectURL: "http://127.0.0.1:0/OauthRedirect",
		Store:       store,
		Timeout:     10 * time.Second,
		Open: func(authURL string) error {
			// The "browser": check the request, then follow the redirect.
			u, err := url.Parse(authURL)
			if err != nil {
				return err
			}
			q := u.Query()
			if u.Path != "/services/oauth2/authorize" || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != f.clientID {
				t.Errorf("authorize url %s", authURL)
			}
			f.mu.Lock()
			f.challenge = q.Get("code_challenge")
			f.mu.Unlock()
			go func() {
				// A forged callback with the wrong state is ignored...
				if resp, err := http.Get(q.Get("redirect_uri") + "?code=evil&state=wrong"); err == nil {
					resp.Body.Close()
				}
				resp, err := http.Get(q.Get("redirect_uri") + "?code=aPrx.code&state=" + url.QueryEscape(q.Get("state")))
				if err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		},
	}
	tok, err := flow.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := store.Load(context.Background())
	if tok.RefreshToken != f.refreshToken || saved.RefreshToken != f.refreshToken {
		t.Fatalf("refresh token not saved: %v", saved)
	}
	// Consent denied.
	flow.Open = func(authURL string) error {
		u, _ := url.Parse(authURL)
		q := u.Query()
		go func() {
			resp, err := http.Get(q.Get("redirect_uri") + "?error=access_denied&error_description=end-user+denied+authorization&state=" + url.QueryEscape(q.Get("state")))
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	_, err = flow.Run(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "access_denied" {
		t.Fatalf("denied consent: %v", err)
	}
}

func TestOrgMismatchRefused(t *testing.T) {
	f := newFakeOrg(t)
	ts, _ := NewRefreshTokenSource(f.oauth(), NewMemoryTokenStore(&Token{RefreshToken: f.refreshToken}))
	_, err := New(context.Background(), Config{HTTPClient: f.srv.Client(), ExpectOrgID: sfid.New(sfid.Organization, "5g", 99)}, ts)
	if !errors.Is(err, ErrOrgMismatch) {
		t.Fatalf("got %v", err)
	}
}

func TestUserTokenStorePaths(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"jane@acme.com":    "jane@acme.com.json",
		"../../etc/passwd": "%2E.%2F..%2Fetc%2Fpasswd.json",
		"a b/c\\d":         "a%20b%2Fc%5Cd.json",
		"josé@example.com": "jos%C3%A9@example.com.json",
		".hidden@x.com":    "%2Ehidden@x.com.json",
	}
	for user, want := range tests {
		s := UserTokenStore(dir, user)
		if filepath.Dir(s.Path) != dir || filepath.Base(s.Path) != want {
			t.Errorf("%q -> %q, want %q in %s", user, s.Path, want, dir)
		}
	}
	a, b := UserTokenStore(dir, "a@x.com"), UserTokenStore(dir, "b@x.com")
	ctx := context.Background()
	if err := a.Save(ctx, &Token{RefreshToken: "ra"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Fatalf("users share a store: %v", err)
	}
}
