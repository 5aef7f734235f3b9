package sfsim

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

func (h *harness) tokenReq(form url.Values) (int, map[string]string) {
	h.t.Helper()
	res, err := h.ts.Client().PostForm(h.ts.URL+"/services/oauth2/token", form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]string
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		h.t.Fatal(err)
	}
	return res.StatusCode, m
}

func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	cb, _ := json.Marshal(claims)
	body := hdr + "." + base64.RawURLEncoding.EncodeToString(cb)
	sum := sha256.Sum256([]byte(body))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var accessTokenShape = regexp.MustCompile(`^00D[0-9A-Za-z]{12}![0-9A-Za-z._]+$`)

func TestOAuthTokenResponses(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	app := h.s.ConnectedApp()
	_, refresh, err := h.s.IssueToken("std@example.com")
	if err != nil {
		t.Fatal(err)
	}
	status, m := h.tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, m)
	}
	if !accessTokenShape.MatchString(m["access_token"]) || !strings.HasPrefix(m["access_token"], h.s.OrgID()[:15]+"!") {
		t.Errorf("access token shape %q", m["access_token"])
	}
	if m["instance_url"] != h.ts.URL || m["id"] != h.ts.URL+"/id/"+h.s.OrgID()+"/"+uStd || m["token_type"] != "Bearer" {
		t.Errorf("token response %v", m)
	}
	if _, ok := m["refresh_token"]; ok {
		t.Error("refresh grant must not return a refresh token")
	}
	if !regexp.MustCompile(`^\d{13}$`).MatchString(m["issued_at"]) {
		t.Errorf("issued_at %q", m["issued_at"])
	}
	mac := hmac.New(sha256.New, []byte(app.ClientSecret))
	mac.Write([]byte(m["id"] + m["issued_at"]))
	if m["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Error("signature does not verify")
	}
	// The new token works; identity and userinfo answer.
	r := h.do("GET", v+"/limits", m["access_token"], nil)
	if r.status != 200 {
		t.Fatalf("limits with refreshed token: %d", r.status)
	}
	r = h.do("GET", "/services/oauth2/userinfo", m["access_token"], nil)
	var ui map[string]any
	r.json(t, &ui)
	if ui["user_id"] != uStd || ui["organization_id"] != h.s.OrgID() || ui["preferred_username"] != "std@example.com" {
		t.Errorf("userinfo %s", r.body)
	}
	r = h.do("GET", strings.TrimPrefix(m["id"], h.ts.URL), m["access_token"], nil)
	var id map[string]any
	r.json(t, &id)
	if id["username"] != "std@example.com" || id["organization_id"] != h.s.OrgID() || id["active"] != true {
		t.Errorf("identity %s", r.body)
	}
	if r := h.do("GET", "/services/oauth2/userinfo", "junk", nil); r.status != 403 || string(r.body) != "Bad_OAuth_Token" {
		t.Errorf("userinfo with bad token: %d %s", r.status, r.body)
	}
}

func TestOAuthGrantErrors(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	app := h.s.ConnectedApp()
	_, refreshStd, _ := h.s.IssueToken("std@example.com")
	if _, _, err := h.s.IssueToken("gone@example.com"); err == nil {
		t.Error("IssueToken for an inactive user")
	}
	if err := h.s.Set("User", uInactive, map[string]string{"IsActive": "true"}); err != nil {
		t.Fatal(err)
	}
	_, refreshGone, _ := h.s.IssueToken("gone@example.com")
	if err := h.s.Set("User", uInactive, map[string]string{"IsActive": "false"}); err != nil {
		t.Fatal(err)
	}
	jwtFor := func(sub, aud string, exp time.Time, key *rsa.PrivateKey) string {
		return signJWT(t, key, map[string]any{"iss": app.ClientID, "sub": sub, "aud": aud, "exp": exp.Unix()})
	}
	otherKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	later := h.clk.now().Add(2 * time.Minute)
	cases := []struct {
		name       string
		form       url.Values
		code, desc string
	}{
		{"unsupported grant", url.Values{"grant_type": {"password"}}, "unsupported_grant_type", "grant type not supported"},
		{"bad client id", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshStd}, "client_id": {"nope"}}, "invalid_client_id", "client identifier invalid"},
		{"bad secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshStd}, "client_id": {app.ClientID}, "client_secret": {"x"}}, "invalid_client", "invalid client credentials"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"5Aep861bogus"}, "client_id": {app.ClientID}}, "invalid_grant", "expired access/refresh token"},
		{"inactive user", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshGone}, "client_id": {app.ClientID}}, "invalid_grant", "inactive user"},
		{"jwt unapproved", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwtFor("ro@example.com", "https://login.salesforce.com", later, app.PrivateKey)}}, "invalid_grant", "user hasn't approved this consumer"},
		{"jwt bad signature", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwtFor("std@example.com", "https://login.salesforce.com", later, otherKey)}}, "invalid_grant", "invalid assertion"},
		{"jwt bad audience", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwtFor("std@example.com", "https://evil.example", later, app.PrivateKey)}}, "invalid_grant", "audience is invalid"},
		{"jwt expired", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwtFor("std@example.com", "https://login.salesforce.com", h.clk.now().Add(-time.Hour), app.PrivateKey)}}, "invalid_grant", "expired authorization code"},
		{"jwt garbage", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"a.b"}}, "invalid_grant", "invalid assertion"},
		{"client credentials bad secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {"x"}}, "invalid_client", "invalid client credentials"},
		{"code unknown", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "client_id": {app.ClientID}}, "invalid_grant", "invalid authorization code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := h.tokenReq(tc.form)
			if status != 400 || m["error"] != tc.code || m["error_description"] != tc.desc {
				t.Errorf("got %d %v, want 400 %s/%s", status, m, tc.code, tc.desc)
			}
		})
	}
	// JWT bearer and client credentials succeed for the right callers, without refresh tokens.
	for _, form := range []url.Values{
		{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwtFor("std@example.com", "https://login.salesforce.com", later, app.PrivateKey)}},
		{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}},
	} {
		status, m := h.tokenReq(form)
		if status != 200 || m["access_token"] == "" || m["refresh_token"] != "" {
			t.Errorf("%s: %d %v", form.Get("grant_type"), status, m)
		}
	}
	if err := h.s.SetClientCredentialsUser(""); err != nil {
		t.Fatal(err)
	}
	if status, m := h.tokenReq(url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}); status != 400 || m["error_description"] != "no client credentials user enabled" {
		t.Errorf("client credentials without run-as user: %d %v", status, m)
	}
}

func TestOAuthWebServerFlowWithPKCE(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	app := h.s.ConnectedApp()
	client := *h.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	verifier := "dBjftJeZ4CVP-mJ92K9ekmmBmD5qTq6Lp8X8P1S9nyjcx"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func() string {
		q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.CallbackURLs[0]},
			"state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "login_hint": {"std@example.com"}}
		res, err := client.Get(h.ts.URL + "/services/oauth2/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		return loc.Query().Get("code")
	}
	code := authorize()
	status, m := h.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {app.ClientID},
		"redirect_uri": {app.CallbackURLs[0]}, "code_verifier": {"wrong-verifier"}})
	if status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("bad verifier: %d %v", status, m)
	}
	code = authorize()
	status, m = h.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {app.ClientID},
		"redirect_uri": {app.CallbackURLs[0]}, "code_verifier": {verifier}})
	if status != 200 || !strings.HasPrefix(m["refresh_token"], "5Aep861") || m["id"] != h.ts.URL+"/id/"+h.s.OrgID()+"/"+uStd {
		t.Fatalf("code exchange: %d %v", status, m)
	}
	// A used code is gone.
	status, m = h.tokenReq(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {app.ClientID},
		"redirect_uri": {app.CallbackURLs[0]}, "code_verifier": {verifier}})
	if status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("reused code: %d %v", status, m)
	}
	res, _ := client.Get(h.ts.URL + "/services/oauth2/authorize?response_type=code&client_id=" + url.QueryEscape(app.ClientID) + "&redirect_uri=http://evil.example/cb")
	if res.StatusCode != 400 {
		t.Errorf("foreign redirect_uri: %d", res.StatusCode)
	}
	res.Body.Close()
}

func TestRefreshTokenCapAndRevoke(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	app := h.s.ConnectedApp()
	var refresh []string
	var access string
	for i := 0; i < 6; i++ {
		a, r, err := h.s.IssueToken("std@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			access = a
		}
		refresh = append(refresh, r)
	}
	form := func(tok string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}, "client_id": {app.ClientID}}
	}
	if status, m := h.tokenReq(form(refresh[0])); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("sixth approval must revoke the oldest: %d %v", status, m)
	}
	if r := h.do("GET", v+"/limits", access, nil); r.status != 401 {
		t.Errorf("access token of a revoked refresh token: %d", r.status)
	}
	if status, _ := h.tokenReq(form(refresh[1])); status != 200 {
		t.Errorf("second-oldest still valid: %d", status)
	}
	res, err := h.ts.Client().PostForm(h.ts.URL+"/services/oauth2/revoke", url.Values{"token": {refresh[5]}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, res)
	}
	res.Body.Close()
	if status, _ := h.tokenReq(form(refresh[5])); status != 400 {
		t.Error("revoked refresh token still works")
	}
	res, _ = h.ts.Client().PostForm(h.ts.URL+"/services/oauth2/revoke", url.Values{"token": {"nope"}})
	if res.StatusCode != 400 {
		t.Errorf("revoke unknown: %d", res.StatusCode)
	}
	res.Body.Close()
}

func TestSessionExpiry(t *testing.T) {
	h := newHarness(t, Options{SessionTimeout: 15 * time.Minute}, 1)
	tok := h.token("std@example.com")
	if r := h.do("GET", v+"/limits", tok, nil); r.status != 200 {
		t.Fatalf("fresh token: %d", r.status)
	}
	h.clk.advance(16 * time.Minute)
	r := h.do("GET", v+"/limits", tok, nil)
	if r.status != 401 || r.errorCode() != "INVALID_SESSION_ID" || !strings.Contains(string(r.body), "Session expired or invalid") {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
}

func TestLoginIPRestrictions(t *testing.T) {
	h := newHarness(t, Options{LoginIPRanges: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, 1)
	app := h.s.ConnectedApp()
	_, refresh, _ := h.s.IssueToken("std@example.com")
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {app.ClientID}}
	if status, m := h.tokenReq(form); status != 400 || m["error"] != "invalid_grant" || !strings.Contains(m["error_description"], "ip restricted") {
		t.Errorf("outside network access ranges: %d %v", status, m)
	}
	// Profile login IP ranges.
	h2 := newHarness(t, Options{}, 1)
	app2 := h2.s.ConnectedApp()
	if err := h2.s.SetProfileLoginIPRanges(sfid.ProfileStandard, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}); err != nil {
		t.Fatal(err)
	}
	_, refresh2, _ := h2.s.IssueToken("std@example.com")
	form2 := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2}, "client_id": {app2.ClientID}}
	if status, m := h2.tokenReq(form2); status != 400 || !strings.Contains(m["error_description"], "ip restricted") {
		t.Errorf("outside profile ranges: %d %v", status, m)
	}
	_, refreshAdmin, _ := h2.s.IssueToken(h2.s.AdminUser().Username)
	if status, _ := h2.tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshAdmin}, "client_id": {app2.ClientID}}); status != 200 {
		t.Errorf("admin profile is not restricted: %d", status)
	}
}

func TestDailyLimits(t *testing.T) {
	h := newHarness(t, Options{DailyAPILimit: 3, PerUserDailyLimit: 2}, 1)
	std := h.token("std@example.com")
	for i := 0; i < 2; i++ {
		if r := h.do("GET", v+"/limits", std, nil); r.status != 200 {
			t.Fatalf("call %d: %d", i, r.status)
		}
	}
	r := h.do("GET", v+"/limits", std, nil)
	if r.status != 403 || r.errorCode() != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("per-user limit: %d %s", r.status, r.body)
	}
	if r := h.do("GET", v+"/limits", h.admin, nil); r.status != 200 {
		t.Fatalf("admin's first call: %d", r.status)
	}
	r = h.do("GET", v+"/limits", h.admin, nil)
	if r.status != 403 || r.errorCode() != "REQUEST_LIMIT_EXCEEDED" || !strings.Contains(string(r.body), "TotalRequests Limit exceeded.") {
		t.Errorf("org limit: %d %s", r.status, r.body)
	}
	if got := r.header.Get("Sforce-Limit-Info"); got != "api-usage=3/3; per-user-api-usage=1/2" {
		t.Errorf("Sforce-Limit-Info %q", got)
	}
	h.clk.advance(24 * time.Hour)
	if r := h.do("GET", v+"/limits", h.token("std@example.com"), nil); r.status != 200 {
		t.Errorf("next day: %d", r.status)
	}
}

func TestTokensOfAnotherOrgAreRefused(t *testing.T) {
	a := newHarness(t, Options{}, 1)
	b := newHarness(t, Options{OrgID: sfid.New(sfid.Organization, "5g", 2)}, 1)
	if a.s.OrgID() == b.s.OrgID() {
		t.Fatal("same org id")
	}
	if r := b.do("GET", v+"/limits", a.admin, nil); r.status != 401 || r.errorCode() != "INVALID_SESSION_ID" {
		t.Errorf("foreign token: %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(b.admin, b.s.OrgID()[:15]+"!") {
		t.Errorf("token %q not of org %s", b.admin, b.s.OrgID())
	}
	if _, err := New(Options{OrgID: acc1}); err == nil {
		t.Error("an account id accepted as org id")
	}
}

func TestRefreshTokenTTLAndIPLockedSessions(t *testing.T) {
	h := newHarness(t, Options{RefreshTokenTTL: time.Hour, LockSessionsToIP: true, TrustForwardedFor: true}, 1)
	app := h.s.ConnectedApp()
	_, refresh, _ := h.s.IssueToken("std@example.com")
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {app.ClientID}}
	status, m := h.tokenReq(form)
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, m)
	}
	tok := m["access_token"]
	if r := h.do("GET", v+"/limits", tok, nil); r.status != 200 {
		t.Errorf("same address: %d", r.status)
	}
	if r := h.do("GET", v+"/limits", tok, nil, "X-Forwarded-For", "203.0.113.9"); r.status != 401 || r.errorCode() != "INVALID_SESSION_ID" {
		t.Errorf("session used from another address: %d %s", r.status, r.body)
	}
	h.clk.advance(61 * time.Minute)
	if status, m := h.tokenReq(form); status != 400 || m["error_description"] != "expired access/refresh token" {
		t.Errorf("refresh token past its TTL: %d %v", status, m)
	}
}
