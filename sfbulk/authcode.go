package sfbulk

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// AuthCodeFlow is the authorization-code flow with PKCE (S256) and a
// loopback redirect: a user grants consent once in a browser, and the
// resulting refresh token is saved to Store for RefreshTokenSource.
type AuthCodeFlow struct {
	OAuth OAuthConfig
	// RedirectURL must equal a callback URL of the connected app, on a
	// loopback host, e.g. http://localhost:1717/OauthRedirect. Port 0 picks a
	// free port (only useful when the app accepts any loopback port).
	RedirectURL string
	// Scopes default to "api refresh_token id".
	Scopes []string
	// Open is given the authorize URL: open a browser or print it.
	Open func(authURL string) error
	// LoginHint pre-fills the username on Salesforce's login page (optional).
	LoginHint string
	// Store receives the token (with its refresh token).
	Store TokenStore
	// Timeout bounds the wait for the browser (default 5 minutes).
	Timeout time.Duration
}

// Run listens on the loopback redirect, sends the user to the authorize URL,
// checks state, exchanges the code with the PKCE verifier, verifies the
// signature and saves the token.
func (f *AuthCodeFlow) Run(ctx context.Context) (*Token, error) {
	if err := f.OAuth.check(); err != nil {
		return nil, err
	}
	oc := f.OAuth.withClient()
	if f.Open == nil || f.Store == nil {
		return nil, errors.New("auth code flow: Open and Store are required")
	}
	ru, err := url.Parse(f.RedirectURL)
	if err != nil || ru.Scheme != "http" || !isLoopback(ru.Hostname()) {
		return nil, fmt.Errorf("auth code flow: redirect %q must be http on a loopback host", f.RedirectURL)
	}
	ln, err := net.Listen("tcp", ru.Host)
	if err != nil {
		return nil, fmt.Errorf("auth code flow: listen %s: %w", ru.Host, err)
	}
	defer ln.Close()
	if ru.Port() == "0" {
		ru.Host = net.JoinHostPort(ru.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	redirect := ru.String()
	scopes := f.Scopes
	if len(scopes) == 0 {
		scopes = []string{"api", "refresh_token", "id"}
	}
	conf := oc.oauth2Config(redirect, scopes)
	verifier := oauth2.GenerateVerifier()
	state := randomState()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if f.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", f.LoginHint))
	}
	authURL := conf.AuthCodeURL(state, opts...)

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(ru.Path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res result
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			http.Error(w, "state mismatch", http.StatusBadRequest)
			return // not ours: keep waiting
		case q.Get("error") != "":
			code, desc := q.Get("error"), q.Get("error_description")
			res.err = &AuthError{Flow: "authorization_code", Code: code, Description: desc, Hint: authHint("authorization_code", code, desc)}
		case q.Get("code") == "":
			res.err = errors.New("auth code flow: redirect without code")
		default:
			res.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		msg := "navsync is authorized. You can close this window."
		if res.err != nil {
			msg = "Authorization failed: " + html.EscapeString(res.err.Error())
		}
		fmt.Fprintf(w, "<!doctype html><title>navsync</title><p>%s</p>", msg)
		select {
		case done <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	if err := f.Open(authURL); err != nil {
		return nil, fmt.Errorf("auth code flow: open browser: %w", err)
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var res result
	select {
	case res = <-done:
	case <-wctx.Done():
		return nil, fmt.Errorf("auth code flow: waiting for the browser: %w", wctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	octx, watch := oc.observed(ctx)
	ot, err := conf.Exchange(octx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("auth code exchange: %w", authErr("authorization_code", err, watch.failure()))
	}
	tok, err := oc.fromOAuth2(ot)
	if err != nil {
		return nil, fmt.Errorf("auth code exchange: %w", err)
	}
	if tok.RefreshToken == "" {
		f.OAuth.logger().Warn("salesforce returned no refresh token; add the refresh_token scope to the connected app")
	}
	if err := f.Store.Save(ctx, tok); err != nil {
		return nil, fmt.Errorf("save token: %w", err)
	}
	return tok, nil
}

func randomState() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
