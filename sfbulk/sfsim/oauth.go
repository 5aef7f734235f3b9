package sfsim

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// App is the simulator's connected app: what a client needs for every
// OAuth flow.
type App struct {
	ClientID, ClientSecret string
	// CallbackURLs are the redirect URIs the web-server flow accepts.
	CallbackURLs []string
	// Certificate is the app's uploaded certificate: JWT bearer assertions
	// must be RS256-signed with PrivateKey.
	Certificate    *x509.Certificate
	CertificatePEM []byte
	PrivateKey     *rsa.PrivateKey
	PrivateKeyPEM  []byte
}

type appState struct {
	clientID, secret string
	callbacks        []string
	once             sync.Once
	key              *rsa.PrivateKey
	cert             *x509.Certificate
	certPEM, keyPEM  []byte
	keyErr           error
	ccUser           string // client-credentials Run-As user id ("" = admin)
	mu               sync.Mutex
}

func newAppState(o Options) *appState {
	a := &appState{clientID: o.ClientID, secret: o.ClientSecret, callbacks: o.CallbackURLs, key: o.JWTKey}
	if a.clientID == "" {
		a.clientID = "3MVG9" + randomString(80, alnum)
	}
	if a.secret == "" {
		a.secret = strings.ToUpper(randomString(64, "0123456789abcdef"))
	}
	return a
}

// keys generates (once) the key pair and self-signed certificate.
func (a *appState) keys() error {
	a.once.Do(func() {
		if a.key == nil {
			a.key, a.keyErr = rsa.GenerateKey(rand.Reader, 2048)
			if a.keyErr != nil {
				return
			}
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "navsync simulator connected app"},
			NotBefore: time.Unix(0, 0), NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &a.key.PublicKey, a.key)
		if err != nil {
			a.keyErr = err
			return
		}
		a.cert, _ = x509.ParseCertificate(der)
		a.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		a.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(a.key)})
	})
	return a.keyErr
}

// ConnectedApp returns the connected app: client id and secret, callback
// URLs and the key pair of its JWT bearer certificate.
func (s *Server) ConnectedApp() App {
	a := s.app
	_ = a.keys()
	return App{ClientID: a.clientID, ClientSecret: a.secret, CallbackURLs: append([]string(nil), a.callbacks...),
		Certificate: a.cert, CertificatePEM: a.certPEM, PrivateKey: a.key, PrivateKeyPEM: a.keyPEM}
}

// SetClientCredentialsUser sets the client-credentials flow's Run-As user
// (default the admin integration user); "" disables the flow ("no client
// credentials user enabled").
func (s *Server) SetClientCredentialsUser(username string) error {
	id := "-"
	if username != "" {
		u, ok := s.userByUsername(username)
		if !ok {
			return fmt.Errorf("sfsim: no user %q", username)
		}
		id = u.ID
	}
	s.app.mu.Lock()
	s.app.ccUser = id
	s.app.mu.Unlock()
	return nil
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

type session struct {
	userID, clientID string
	issued           time.Time
	refresh          string     // refresh token that minted it ("" = none)
	ip               netip.Addr // where it was issued (zero: not locked)
}

type refreshGrant struct {
	token, userID, clientID string
	created                 time.Time
}

type authCode struct {
	userID, clientID, redirect string
	challenge, method          string
	expires                    time.Time
}

type authState struct {
	mu       sync.Mutex
	sessions map[string]*session
	refresh  map[string]*refreshGrant
	byUser   map[string][]*refreshGrant // userID|clientID → oldest first
	codes    map[string]*authCode
	approved map[string]bool // userID → consented to the app
}

func newAuthState() *authState {
	return &authState{sessions: map[string]*session{}, refresh: map[string]*refreshGrant{}, byUser: map[string][]*refreshGrant{},
		codes: map[string]*authCode{}, approved: map[string]bool{}}
}

// maxRefreshTokens per user per connected app; a sixth approval revokes the oldest.
const maxRefreshTokens = 5

func (s *Server) newAccessToken(userID, clientID, refresh string, ip netip.Addr) (string, time.Time) {
	tok := s.orgID[:15] + "!AQ" + randomString(2, "0123456789") + "AQ" + randomString(92, alnum+"._")
	now := s.now()
	s.auth.mu.Lock()
	s.auth.sessions[tok] = &session{userID: userID, clientID: clientID, issued: now, refresh: refresh, ip: ip}
	s.auth.mu.Unlock()
	return tok, now
}

func (s *Server) newRefreshToken(userID, clientID string) string {
	tok := "5Aep861" + randomString(80, alnum+".")
	g := &refreshGrant{token: tok, userID: userID, clientID: clientID, created: s.now()}
	a := s.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	key := userID + "|" + clientID
	list := append(a.byUser[key], g)
	for len(list) > maxRefreshTokens {
		a.revokeRefreshLocked(list[0].token)
		list = list[1:]
	}
	a.byUser[key] = list
	a.refresh[tok] = g
	a.approved[userID] = true
	return tok
}

func (a *authState) revokeRefreshLocked(tok string) {
	g, ok := a.refresh[tok]
	if !ok {
		return
	}
	delete(a.refresh, tok)
	key := g.userID + "|" + g.clientID
	list := a.byUser[key]
	for i, x := range list {
		if x == g {
			a.byUser[key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	for t, se := range a.sessions {
		if se.refresh == tok {
			delete(a.sessions, t)
		}
	}
}

// IssueToken mints an access token and a refresh token for a user as if
// the user had consented in the web-server flow (tests and the sim command).
func (s *Server) IssueToken(username string) (accessToken, refreshToken string, err error) {
	u, ok := s.userByUsername(username)
	if !ok {
		return "", "", fmt.Errorf("sfsim: issue token: no user %q", username)
	}
	if !u.IsActive {
		return "", "", fmt.Errorf("sfsim: issue token: user %s is inactive", u.ID)
	}
	refreshToken = s.newRefreshToken(u.ID, s.app.clientID)
	accessToken, _ = s.newAccessToken(u.ID, s.app.clientID, refreshToken, netip.Addr{})
	return accessToken, refreshToken, nil
}

// SetApproved records or withdraws a user's approval of the connected app;
// JWT bearer needs it (System Administrator and Standard User profiles are
// pre-authorized).
func (s *Server) SetApproved(username string, approved bool) error {
	u, ok := s.userByUsername(username)
	if !ok {
		return fmt.Errorf("sfsim: no user %q", username)
	}
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	if approved {
		s.auth.approved[u.ID] = true
	} else {
		s.auth.approved[u.ID] = false
	}
	return nil
}

func (s *Server) approvedLocked(u *User) bool {
	if v, ok := s.auth.approved[u.ID]; ok {
		return v
	}
	return u.ProfileID == sfid.ProfileSystemAdmin || u.ProfileID == sfid.ProfileStandard
}

// sessionTimeout is the access-token lifetime now (session-expiry faults shorten it).
func (s *Server) sessionTimeout() time.Duration {
	d := s.opts.SessionTimeout
	if f := s.faults.get(); f.SessionExpiry > 0 && f.SessionExpiry < d {
		d = f.SessionExpiry
	}
	return d
}

func errInvalidSession() *apiError {
	return &apiError{status: 401, code: "INVALID_SESSION_ID", message: "Session expired or invalid", noField: true}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "OAuth "} {
		if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// authenticate resolves the bearer token to an active user.
func (s *Server) authenticate(r *http.Request) (*User, *apiError) {
	tok := bearer(r)
	if tok == "" {
		return nil, errInvalidSession()
	}
	s.auth.mu.Lock()
	se, ok := s.auth.sessions[tok]
	if ok && s.now().Sub(se.issued) >= s.sessionTimeout() {
		delete(s.auth.sessions, tok)
		ok = false
		if f := s.faults.get(); f.SessionExpiry > 0 && f.SessionExpiry < s.opts.SessionTimeout {
			s.faults.count("session-expiry")
		}
	}
	s.auth.mu.Unlock()
	if !ok || (se.ip.IsValid() && se.ip != s.clientIP(r)) {
		return nil, errInvalidSession()
	}
	u, found := s.userByID(se.userID)
	if !found || !u.IsActive {
		return nil, errInvalidSession()
	}
	return u, nil
}

// ExpireSessions ends every access token (refresh tokens stay valid).
func (s *Server) ExpireSessions() {
	s.auth.mu.Lock()
	clear(s.auth.sessions)
	s.auth.mu.Unlock()
}

// oauthError is a token-endpoint error.
type oauthError struct{ code, desc string }

func writeOAuthError(w http.ResponseWriter, e oauthError) {
	writeJSON(w, 400, map[string]string{"error": e.code, "error_description": e.desc})
}

var (
	errGrantIP       = oauthError{"invalid_grant", "ip restricted or invalid login hours"}
	errGrantInactive = oauthError{"invalid_grant", "inactive user"}
	errGrantRevoked  = oauthError{"invalid_grant", "expired access/refresh token"}
	errClientID      = oauthError{"invalid_client_id", "client identifier invalid"}
	errClientSecret  = oauthError{"invalid_client", "invalid client credentials"}
)

func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request, what string) {
	switch what {
	case "token":
		s.handleToken(w, r)
	case "authorize":
		s.handleAuthorize(w, r)
	case "revoke":
		s.handleRevoke(w, r)
	case "userinfo":
		s.handleUserinfo(w, r)
	default:
		writeAPIError(w, errNotFound())
	}
}

// clientIP is the request's source address.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	if s.opts.TrustForwardedFor {
		if xf := r.Header.Get("X-Forwarded-For"); xf != "" {
			first, _, _ := strings.Cut(xf, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return a.Unmap()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func inRanges(a netip.Addr, ranges []netip.Prefix) bool {
	for _, p := range ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// loginAllowed checks the org's Network Access ranges and the profile's
// login IP ranges.
func (s *Server) loginAllowed(r *http.Request, u *User) bool {
	ip := s.clientIP(r)
	if len(s.opts.LoginIPRanges) > 0 && !inRanges(ip, s.opts.LoginIPRanges) {
		return false
	}
	s.profMu.RLock()
	pr := s.profileIPs[u.ProfileID]
	s.profMu.RUnlock()
	return len(pr) == 0 || inRanges(ip, pr)
}

func (s *Server) checkClient(id, secret string, needSecret bool) *oauthError {
	if id != s.app.clientID {
		return &errClientID
	}
	if (needSecret || secret != "") && !hmac.Equal([]byte(secret), []byte(s.app.secret)) {
		return &errClientSecret
	}
	return nil
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, oauthError{"invalid_request", "must use HTTP POST"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, oauthError{"invalid_request", "invalid request body"})
		return
	}
	f := r.Form
	grant := f.Get("grant_type")
	var (
		u  *User
		oe *oauthError
	)
	switch grant {
	case "refresh_token":
		u, oe = s.grantRefresh(f) // not rotated: no new refresh token
	case "authorization_code":
		u, oe = s.grantCode(f)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		u, oe = s.grantJWT(r, f)
	case "client_credentials":
		u, oe = s.grantClientCredentials(r, f)
	default:
		oe = &oauthError{"unsupported_grant_type", "grant type not supported"}
	}
	if oe == nil && !u.IsActive {
		oe = &errGrantInactive
	}
	if oe == nil && !s.loginAllowed(r, u) {
		oe = &errGrantIP
	}
	if oe != nil {
		writeOAuthError(w, *oe)
		return
	}
	resp := map[string]string{}
	parent := "" // the refresh token the access token hangs off (revoking it ends the session)
	switch grant {
	case "refresh_token":
		parent = f.Get("refresh_token")
	case "authorization_code":
		parent = s.newRefreshToken(u.ID, s.app.clientID)
		resp["refresh_token"] = parent
	}
	var ip netip.Addr
	if s.opts.LockSessionsToIP {
		ip = s.clientIP(r)
	}
	tok, issued := s.newAccessToken(u.ID, s.app.clientID, parent, ip)
	base := s.baseURL(r)
	id := base + "/id/" + s.orgID + "/" + u.ID
	issuedAt := strconv.FormatInt(issued.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.app.secret))
	mac.Write([]byte(id + issuedAt))
	resp["access_token"] = tok
	resp["instance_url"] = base
	resp["id"] = id
	resp["token_type"] = "Bearer"
	resp["issued_at"] = issuedAt
	resp["signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	resp["scope"] = "id api refresh_token"
	if parent == "" {
		resp["scope"] = "id api"
	}
	s.log.Debug("sfsim: token issued", "grant_type", grant)
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	writeJSON(w, 200, resp)
}

func (s *Server) grantRefresh(f url.Values) (*User, *oauthError) {
	if oe := s.checkClient(f.Get("client_id"), f.Get("client_secret"), false); oe != nil {
		return nil, oe
	}
	s.auth.mu.Lock()
	g, ok := s.auth.refresh[f.Get("refresh_token")]
	s.auth.mu.Unlock()
	if !ok || g.clientID != f.Get("client_id") {
		return nil, &errGrantRevoked
	}
	if ttl := s.opts.RefreshTokenTTL; ttl > 0 && s.now().Sub(g.created) >= ttl {
		s.auth.mu.Lock()
		s.auth.revokeRefreshLocked(g.token)
		s.auth.mu.Unlock()
		return nil, &errGrantRevoked
	}
	u, ok := s.userByID(g.userID)
	if !ok {
		return nil, &errGrantRevoked
	}
	return u, nil
}

func (s *Server) grantCode(f url.Values) (*User, *oauthError) {
	if f.Get("client_id") != s.app.clientID {
		return nil, &errClientID
	}
	s.auth.mu.Lock()
	c, ok := s.auth.codes[f.Get("code")]
	delete(s.auth.codes, f.Get("code"))
	s.auth.mu.Unlock()
	if !ok || c.clientID != f.Get("client_id") {
		return nil, &oauthError{"invalid_grant", "invalid authorization code"}
	}
	if s.now().After(c.expires) {
		return nil, &oauthError{"invalid_grant", "expired authorization code"}
	}
	if f.Get("redirect_uri") != c.redirect {
		return nil, &oauthError{"redirect_uri_mismatch", "redirect_uri must match configuration"}
	}
	secret := f.Get("client_secret")
	if secret != "" && !hmac.Equal([]byte(secret), []byte(s.app.secret)) {
		return nil, &errClientSecret
	}
	if c.challenge != "" {
		v := f.Get("code_verifier")
		got := v
		if c.method == "S256" {
			sum := sha256.Sum256([]byte(v))
			got = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if v == "" || got != c.challenge {
			return nil, &oauthError{"invalid_grant", "invalid code verifier"}
		}
	} else if secret == "" {
		return nil, &oauthError{"invalid_client", "client secret required"}
	}
	u, ok := s.userByID(c.userID)
	if !ok {
		return nil, &oauthError{"invalid_grant", "authentication failure"}
	}
	return u, nil
}

func (s *Server) grantJWT(r *http.Request, f url.Values) (*User, *oauthError) {
	bad := &oauthError{"invalid_grant", "invalid assertion"}
	parts := strings.Split(f.Get("assertion"), ".")
	if len(parts) != 3 {
		return nil, bad
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil {
		return nil, bad
	}
	if hdr.Alg != "RS256" {
		return nil, &oauthError{"invalid_grant", "invalid assertion: algorithm not supported"}
	}
	if claims.Iss != s.app.clientID {
		return nil, &errClientID
	}
	if err := s.app.keys(); err != nil {
		return nil, bad
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.app.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, bad
	}
	var auds []string
	if json.Unmarshal(claims.Aud, &auds) != nil {
		var one string
		_ = json.Unmarshal(claims.Aud, &one)
		auds = []string{one}
	}
	audOK := false
	for _, a := range auds {
		a = strings.TrimRight(a, "/")
		if a == "https://login.salesforce.com" || a == "https://test.salesforce.com" || a == s.baseURL(r) {
			audOK = true
		}
	}
	if !audOK {
		return nil, &oauthError{"invalid_grant", "audience is invalid"}
	}
	exp, err := claims.Exp.Float64()
	if err != nil || time.Unix(int64(exp), 0).Before(s.now().Add(-3*time.Minute)) {
		return nil, &oauthError{"invalid_grant", "expired authorization code"}
	}
	u, ok := s.userByUsername(claims.Sub)
	if !ok {
		return nil, &oauthError{"invalid_grant", "user hasn't approved this consumer"}
	}
	s.auth.mu.Lock()
	approved := s.approvedLocked(u)
	s.auth.mu.Unlock()
	if !approved {
		return nil, &oauthError{"invalid_grant", "user hasn't approved this consumer"}
	}
	return u, nil
}

func (s *Server) grantClientCredentials(r *http.Request, f url.Values) (*User, *oauthError) {
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if bu, bp, ok := r.BasicAuth(); ok && id == "" {
		id, secret = bu, bp
	}
	if oe := s.checkClient(id, secret, true); oe != nil {
		return nil, oe
	}
	host := strings.ToLower(r.Host)
	if strings.HasPrefix(host, "login.salesforce.com") || strings.HasPrefix(host, "test.salesforce.com") {
		return nil, &oauthError{"invalid_grant", "request not supported on this domain"}
	}
	s.app.mu.Lock()
	runAs := s.app.ccUser
	s.app.mu.Unlock()
	if runAs == "-" {
		return nil, &oauthError{"invalid_grant", "no client credentials user enabled"}
	}
	if runAs == "" {
		runAs = s.adminID
	}
	u, ok := s.userByID(runAs)
	if !ok {
		return nil, &oauthError{"invalid_grant", "no client credentials user enabled"}
	}
	return u, nil
}

// handleAuthorize is the web-server flow's consent step. There is no login
// page: the user named by login_hint (default the admin user) approves at
// once and is redirected back with a code.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.Form
	if f.Get("client_id") != s.app.clientID {
		writeOAuthError(w, errClientID)
		return
	}
	redirect := f.Get("redirect_uri")
	okRedirect := false
	for _, cb := range s.app.callbacks {
		if cb == redirect {
			okRedirect = true
		}
	}
	if !okRedirect {
		writeOAuthError(w, oauthError{"redirect_uri_mismatch", "redirect_uri must match configuration"})
		return
	}
	back, _ := url.Parse(redirect)
	q := back.Query()
	if st := f.Get("state"); st != "" {
		q.Set("state", st)
	}
	fail := func(code, desc string) {
		q.Set("error", code)
		q.Set("error_description", desc)
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	if f.Get("response_type") != "code" {
		fail("unsupported_response_type", "response type not supported")
		return
	}
	method := f.Get("code_challenge_method")
	if f.Get("code_challenge") != "" && method == "" {
		method = "plain"
	}
	if method != "" && method != "S256" && method != "plain" {
		fail("invalid_request", "invalid code_challenge_method")
		return
	}
	username := f.Get("login_hint")
	if username == "" {
		username = s.opts.AdminUsername
	}
	u, ok := s.userByUsername(username)
	if !ok || !u.IsActive {
		fail("access_denied", "end-user denied authorization")
		return
	}
	code := "aPrx" + randomString(60, alnum+".")
	s.auth.mu.Lock()
	s.auth.codes[code] = &authCode{userID: u.ID, clientID: s.app.clientID, redirect: redirect, challenge: f.Get("code_challenge"),
		method: method, expires: s.now().Add(15 * time.Minute)}
	s.auth.approved[u.ID] = true
	s.auth.mu.Unlock()
	q.Set("code", code)
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.Form.Get("token")
	a := s.auth
	a.mu.Lock()
	_, isRefresh := a.refresh[tok]
	_, isAccess := a.sessions[tok]
	if isRefresh {
		a.revokeRefreshLocked(tok)
	}
	if isAccess {
		delete(a.sessions, tok)
	}
	a.mu.Unlock()
	if !isRefresh && !isAccess {
		writeOAuthError(w, oauthError{"invalid_token", "invalid token"})
		return
	}
	w.WriteHeader(http.StatusOK)
}

// identity answers are the recorded identity with this org's values.
func (s *Server) identityDoc(r *http.Request, u *User) map[string]any {
	b, _ := recordings.ReadFile("schema/identity.json")
	base := s.baseURL(r)
	txt := strings.ReplaceAll(string(b), "https://na85.salesforce.com", base)
	txt = strings.ReplaceAll(txt, "https://c.na85.content.force.com", base)
	txt = strings.ReplaceAll(txt, "00Di0000000bcK3", s.orgID[:15])
	var d map[string]any
	_ = json.Unmarshal([]byte(txt), &d)
	d["id"] = base + "/id/" + s.orgID + "/" + u.ID
	d["user_id"] = u.ID
	d["organization_id"] = s.orgID
	d["username"] = u.Username
	d["nick_name"] = strings.SplitN(u.Username, "@", 2)[0]
	d["display_name"] = strings.TrimSpace(u.FirstName + " " + u.LastName)
	d["email"] = u.Email
	d["first_name"] = u.FirstName
	d["last_name"] = u.LastName
	d["active"] = u.IsActive
	d["addr_zip"] = nil
	if urls, ok := d["urls"].(map[string]any); ok {
		urls["profile"] = base + "/" + u.ID[:15]
	}
	return d
}

func (s *Server) bearerUser(w http.ResponseWriter, r *http.Request) (*User, bool) {
	tok := bearer(r)
	if tok == "" {
		_ = r.ParseForm()
		tok = r.Form.Get("oauth_token")
	}
	if tok == "" {
		tok = r.URL.Query().Get("access_token")
	}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	u, e := s.authenticate(r)
	if e != nil {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Bad_OAuth_Token"))
		return nil, false
	}
	return u, true
}

func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request, rest string) {
	org, uid, ok := strings.Cut(rest, "/")
	caller, authed := s.bearerUser(w, r)
	if !authed {
		return
	}
	if !ok || !sfid.Equal(org, s.orgID) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Bad_Id"))
		return
	}
	u, found := s.userByID(uid)
	if !found {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Bad_Id"))
		return
	}
	_ = caller
	writeJSON(w, 200, s.identityDoc(r, u))
}

func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearerUser(w, r)
	if !ok {
		return
	}
	d := s.identityDoc(r, u)
	info := map[string]any{
		"sub": d["id"], "user_id": u.ID, "organization_id": s.orgID, "preferred_username": u.Username,
		"nickname": d["nick_name"], "name": d["display_name"], "email": u.Email, "email_verified": true,
		"given_name": u.FirstName, "family_name": u.LastName, "zoneinfo": "America/Los_Angeles", "photos": d["photos"],
		"profile": s.baseURL(r) + "/" + u.ID[:15], "picture": d["photos"].(map[string]any)["picture"],
		"address": map[string]any{"country": "US"}, "is_salesforce_integration_user": false, "urls": d["urls"],
		"active": u.IsActive, "user_type": "STANDARD", "language": "en_US", "locale": "en_US", "utcOffset": -28800000,
		"updated_at": s.now().UTC().Format("2006-01-02T15:04:05Z"), "is_app_installed": true,
	}
	writeJSON(w, 200, info)
}

// limitState counts API requests per UTC day, for the org and per user.
type limitState struct {
	mu        sync.Mutex
	day       string
	org       int
	users     map[string]int
	queryJobs int
}

func (s *Server) rollDayLocked() {
	l := s.limits
	d := s.now().UTC().Format(dateLayout)
	if d != l.day {
		l.day, l.org, l.queryJobs = d, 0, 0
		clear(l.users)
	}
}

func (s *Server) countRequest(u *User) *apiError {
	l := s.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	s.rollDayLocked()
	if l.org >= s.opts.DailyAPILimit {
		return &apiError{status: 403, code: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded.", noField: true}
	}
	if s.opts.PerUserDailyLimit > 0 && l.users[u.ID] >= s.opts.PerUserDailyLimit {
		return &apiError{status: 403, code: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded for this user.", noField: true}
	}
	l.org++
	l.users[u.ID]++
	return nil
}

func (s *Server) setLimitHeader(w http.ResponseWriter, u *User) {
	l := s.limits
	l.mu.Lock()
	s.rollDayLocked()
	v := fmt.Sprintf("api-usage=%d/%d", l.org, s.opts.DailyAPILimit)
	if u != nil && s.opts.PerUserDailyLimit > 0 {
		v += fmt.Sprintf("; per-user-api-usage=%d/%d", l.users[u.ID], s.opts.PerUserDailyLimit)
	}
	l.mu.Unlock()
	w.Header().Set("Sforce-Limit-Info", v)
}

// APIUsage reports the API requests counted today: for the org and for a user id.
func (s *Server) APIUsage(userID string) (org, user int) {
	l := s.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	s.rollDayLocked()
	return l.org, l.users[userID]
}
