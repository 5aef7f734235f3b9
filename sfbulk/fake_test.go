package sfbulk

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// fakeOrg is a minimal Salesforce speaking the exact wire shapes of
// salesforce-api.md: the OAuth token endpoint (refresh, JWT bearer, client
// credentials, authorization code with PKCE) and an authenticated
// /services/data tree whose handlers each test installs.
type fakeOrg struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux
	orgID  string
	userID string

	clientID, secret string
	jwtKey           *rsa.PrivateKey

	mu            sync.Mutex
	refreshToken  string
	access        map[string]bool // valid access tokens
	rotate        bool            // rotate the refresh token on each refresh
	revoked       bool            // refresh answers invalid_grant
	signSecret    string          // signs token responses instead of secret
	noSecretCheck bool            // refresh accepts a missing client secret
	ccWrongDomain bool            // client credentials answer "not supported on this domain"
	tokenFails    int             // next token requests answered 503
	lastJWT       map[string]any  // claims of the last JWT assertion
	challenge     string          // PKCE challenge of the pending authorization
	tokenCalls    atomic.Int64
	apiCalls      atomic.Int64
	apiUsed       int
}

func newFakeOrg(t *testing.T) *fakeOrg {
	t.Helper()
	f := &fakeOrg{
		t: t, mux: http.NewServeMux(),
		orgID: sfid.New(sfid.Organization, "5g", 7), userID: sfid.New(sfid.User, "5g", 9),
		clientID: "3MVG9.consumer", secret: "s3cret",
		refreshToken: "5Aep861.refresh-1", access: map[string]bool{}, apiUsed: 100,
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOrg) idURL() string { return f.srv.URL + "/id/" + f.orgID + "/" + f.userID }

func (f *fakeOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/services/oauth2/token":
		f.tokenCalls.Add(1)
		f.token(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/services/data/"):
		f.apiCalls.Add(1)
		f.mu.Lock()
		ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.apiUsed++
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/15000", f.apiUsed))
		f.mu.Unlock()
		if !ok {
			writeErr(w, 401, "INVALID_SESSION_ID", "Session expired or invalid")
			return
		}
		if r.Header.Get("Accept-Encoding") != "gzip" {
			f.t.Errorf("request without Accept-Encoding: gzip: %s", r.URL.Path)
		}
		f.mux.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `[{"message":%q,"errorCode":%q}]`, msg, code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// mint issues a new access token and answers with Salesforce's token response.
func (f *fakeOrg) mint(w http.ResponseWriter, refresh string) {
	f.mu.Lock()
	at := fmt.Sprintf("%s!AR%d", f.orgID[:15], len(f.access)+1)
	f.access[at] = true
	f.mu.Unlock()
	issued := strconv.FormatInt(time.Now().UnixMilli(), 10)
	key := f.secret
	if f.signSecret != "" {
		key = f.signSecret
	}
	resp := map[string]any{"access_token": at, "instance_url": f.srv.URL, "id": f.idURL(), "token_type": "Bearer",
		"issued_at": issued, "signature": signFor(key, f.idURL(), issued), "scope": "id api refresh_token"}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	writeJSON(w, 200, resp)
}

func oauthErr(w http.ResponseWriter, code, desc string) {
	writeJSON(w, 400, map[string]string{"error": code, "error_description": desc})
}

func (f *fakeOrg) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, "invalid_request", err.Error())
		return
	}
	f.mu.Lock()
	if f.tokenFails > 0 {
		f.tokenFails--
		f.mu.Unlock()
		http.Error(w, "<html>Service Unavailable</html>", http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		f.mu.Lock()
		noSecret := f.noSecretCheck
		f.mu.Unlock()
		if r.PostForm.Get("client_id") != f.clientID || (r.PostForm.Get("client_secret") != f.secret && !noSecret) {
			oauthErr(w, "invalid_client", "invalid client credentials")
			return
		}
		f.mu.Lock()
		good := !f.revoked && r.PostForm.Get("refresh_token") == f.refreshToken
		var next string
		if good && f.rotate {
			next = f.refreshToken + "x"
			f.refreshToken = next
		}
		f.mu.Unlock()
		if !good {
			oauthErr(w, "invalid_grant", "expired access/refresh token")
			return
		}
		f.mint(w, next)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		claims, err := f.verifyJWT(r.PostForm.Get("assertion"))
		if err != nil {
			oauthErr(w, "invalid_grant", err.Error())
			return
		}
		f.mu.Lock()
		f.lastJWT = claims
		f.mu.Unlock()
		f.mint(w, "")
	case "client_credentials":
		if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.secret {
			oauthErr(w, "invalid_client", "invalid client credentials")
			return
		}
		f.mu.Lock()
		wrong := f.ccWrongDomain
		f.mu.Unlock()
		if wrong {
			oauthErr(w, "invalid_grant", "request not supported on this domain")
			return
		}
		f.mint(w, "")
	case "authorization_code":
		f.mu.Lock()
		ch := f.challenge
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "aPrx.code" || base64.RawURLEncoding.EncodeToString(sum[:]) != ch {
			oauthErr(w, "invalid_grant", "invalid authorization code")
			return
		}
		f.mint(w, f.refreshToken)
	default:
		oauthErr(w, "unsupported_grant_type", "grant type not supported")
	}
}

func (f *fakeOrg) verifyJWT(a string) (map[string]any, error) {
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed assertion")
	}
	var hdr map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if json.Unmarshal(hb, &hdr) != nil || hdr["alg"] != "RS256" {
		return nil, fmt.Errorf("alg must be RS256")
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	f.mu.Lock()
	key := f.jwtKey
	f.mu.Unlock()
	if key == nil {
		return nil, fmt.Errorf("no certificate uploaded")
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("invalid assertion signature")
	}
	var claims map[string]any
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(cb, &claims); err != nil {
		return nil, err
	}
	if claims["iss"] != f.clientID {
		return nil, fmt.Errorf("invalid client")
	}
	if claims["sub"] == "unapproved@x.com" {
		return nil, fmt.Errorf("user hasn't approved this consumer")
	}
	exp, _ := claims["exp"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d <= 0 || d > 5*time.Minute {
		return nil, fmt.Errorf("expired or too long lived assertion")
	}
	return claims, nil
}

// expireAll invalidates every access token (a session timeout).
func (f *fakeOrg) expireAll() {
	f.mu.Lock()
	f.access = map[string]bool{}
	f.mu.Unlock()
}

// keyPEM generates the connected app's certificate key on first use.
func (f *fakeOrg) keyPEM() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jwtKey == nil {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			f.t.Fatal(err)
		}
		f.jwtKey = key
	}
	b, _ := x509.MarshalPKCS8PrivateKey(f.jwtKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
}

func (f *fakeOrg) oauth() OAuthConfig {
	return OAuthConfig{LoginURL: f.srv.URL, ClientID: f.clientID, ClientSecret: f.secret, HTTPClient: f.srv.Client(),
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}

func testRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}
}

// client returns a Client on a refresh-token source with fast retries.
func (f *fakeOrg) client(t *testing.T, mod func(*Config)) (*Client, *MemoryTokenStore) {
	t.Helper()
	store := NewMemoryTokenStore(&Token{RefreshToken: f.refreshToken})
	ts, err := NewRefreshTokenSource(f.oauth(), store)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{HTTPClient: f.srv.Client(), Retry: testRetry(), PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(context.Background(), cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	return c, store
}

func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	return b
}

func signFor(secret, id, issued string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + issued))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
