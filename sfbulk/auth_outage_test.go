package sfbulk

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenEndpointOutage: every way the token endpoint can be out (a 5xx,
// Salesforce's JSON or a gateway's HTML page; a connection refused or
// reset; an answer cut off) is ErrUnavailable for each call made to it
// (refresh, JWT bearer, client credentials, the authorization code
// exchange, revoke), and retried where the flow retries (all but the code
// exchange: a code is used once). A refused grant stays the auth error it
// is (ErrAuthRevoked for invalid_grant), never ErrUnavailable, and is not
// retried; an answer the client cannot read as a token is no outage.
func TestTokenEndpointOutage(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	page := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%s</h1><hr><center>gateway</center></body></html>",
				status, http.StatusText(status), http.StatusText(status))
		}
	}
	oauthErr := func(status int, code, desc string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
		}
	}
	hijack := func(w http.ResponseWriter, then func(net.Conn, *bufio.ReadWriter)) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		then(conn, rw)
	}
	reset := func(w http.ResponseWriter, r *http.Request) {
		hijack(w, func(c net.Conn, _ *bufio.ReadWriter) {
			c.(*net.TCPConn).SetLinger(0) // close with a RST
			c.Close()
		})
	}
	cut := func(w http.ResponseWriter, r *http.Request) {
		hijack(w, func(c net.Conn, rw *bufio.ReadWriter) {
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"access_token\":\"00D5g0")
			rw.Flush()
			c.Close()
		})
	}

	tests := []struct {
		name        string
		answer      http.HandlerFunc // nil: nothing listens (connection refused)
		unavailable bool
		revoked     bool
		retried     bool // by the flows that retry
		code        string
	}{
		{name: "503 gateway page", answer: page(503), unavailable: true, retried: true, code: "http_503"},
		{name: "502 gateway page", answer: page(502), unavailable: true, retried: true, code: "http_502"},
		{name: "504 gateway page", answer: page(504), unavailable: true, retried: true, code: "http_504"},
		{name: "500 unknown_error", answer: oauthErr(500, "unknown_error", "retry your request"), unavailable: true, retried: true, code: "unknown_error"},
		{name: "connection refused", unavailable: true, retried: true},
		{name: "connection reset", answer: reset, unavailable: true, retried: true},
		{name: "answer cut off", answer: cut, unavailable: true, retried: true},
		{name: "invalid_grant", answer: oauthErr(400, "invalid_grant", "expired access/refresh token"), revoked: true, code: "invalid_grant"},
		{name: "invalid_client_id", answer: oauthErr(400, "invalid_client_id", "client identifier invalid"), code: "invalid_client_id"},
		{name: "200 page that is no token", answer: page(200), retried: true},
	}
	flows := []struct {
		name    string
		retries bool
		call    func(ctx context.Context, cfg OAuthConfig) error
	}{
		{"refresh_token", true, func(ctx context.Context, cfg OAuthConfig) error {
			ts, err := NewRefreshTokenSource(cfg, NewMemoryTokenStore(&Token{RefreshToken: "5Aep861.refresh"}))
			if err != nil {
				return err
			}
			_, err = ts.Token(ctx)
			return err
		}},
		{"jwt_bearer", true, func(ctx context.Context, cfg OAuthConfig) error {
			ts, err := NewJWTSource(cfg, "integration@acme.com", keyPEM)
			if err != nil {
				return err
			}
			_, err = ts.Token(ctx)
			return err
		}},
		{"client_credentials", true, func(ctx context.Context, cfg OAuthConfig) error {
			ts, err := NewClientCredentialsSource(cfg)
			if err != nil {
				return err
			}
			_, err = ts.Token(ctx)
			return err
		}},
		{"authorization_code", false, func(ctx context.Context, cfg OAuthConfig) error {
			flow := &AuthCodeFlow{OAuth: cfg, RedirectURL: "http://127.0.0.1:0/OauthRedirect", Store: NewMemoryTokenStore(nil),
				Timeout: 10 * time.Second, Open: func(authURL string) error {
					u, err := url.Parse(authURL)
					if err != nil {
						return err
					}
					q := u.Query()
					go func() { // the browser, back with a code
						if resp, err := http.Get(q.Get("redirect_uri") + "?code=aPrx.code&state=" + url.QueryEscape(q.Get("state"))); err == nil {
							resp.Body.Close()
						}
					}()
					return nil
				}}
			_, err := flow.Run(ctx)
			return err
		}},
		{"revoke", true, func(ctx context.Context, cfg OAuthConfig) error { return Revoke(ctx, cfg, "5Aep861.refresh") }},
	}
	const attempts = 3
	for _, tc := range tests {
		for _, fl := range flows {
			t.Run(tc.name+"/"+fl.name, func(t *testing.T) {
				var calls atomic.Int64
				var loginURL string
				if tc.answer == nil {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					loginURL = "http://" + ln.Addr().String()
					ln.Close()
				} else {
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						calls.Add(1)
						tc.answer(w, r)
					}))
					defer srv.Close()
					loginURL = srv.URL
				}
				cfg := OAuthConfig{LoginURL: loginURL, ClientID: "3MVG9.consumer", ClientSecret: "consumer-secret",
					Retry: RetryPolicy{MaxAttempts: attempts, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}
				err := fl.call(context.Background(), cfg)
				if fl.name == "revoke" && tc.answer != nil && strings.HasPrefix(tc.name, "200") {
					if err != nil { // revoke reads nothing from a 200
						t.Fatalf("revoke answered 200: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("no error")
				}
				if got := errors.Is(err, ErrUnavailable); got != tc.unavailable {
					t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v: %v", got, tc.unavailable, err)
				}
				if got := errors.Is(err, ErrAuthRevoked); got != tc.revoked {
					t.Errorf("errors.Is(err, ErrAuthRevoked) = %v, want %v: %v", got, tc.revoked, err)
				}
				want := int64(1)
				if tc.retried && fl.retries {
					want = attempts
				}
				if tc.answer != nil && calls.Load() != want {
					t.Errorf("%d calls to the token endpoint, want %d", calls.Load(), want)
				}
				var ae *AuthError
				if tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code) {
					t.Errorf("want an AuthError %s: %v", tc.code, err)
				}
				if tc.unavailable && !strings.Contains(err.Error(), "login host is unavailable") {
					t.Errorf("the error does not say the login host is unavailable: %v", err)
				}
				if strings.HasPrefix(tc.code, "http_5") && ae != nil && ae.Description != http.StatusText(ae.HTTPStatus) {
					t.Errorf("description %q, want the status text", ae.Description)
				}
				if strings.Contains(err.Error(), "<html") {
					t.Errorf("the gateway's page is in the error: %v", err)
				}
			})
		}
	}
}
