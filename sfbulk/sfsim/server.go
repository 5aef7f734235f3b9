package sfsim

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// Options configure a simulator org. The zero value is a usable org.
type Options struct {
	Logger *slog.Logger // nil: discard
	Faults Faults       // faults injected from the start (SetFaults changes them)

	// SessionTimeout is the access token lifetime (default 2h).
	SessionTimeout time.Duration
	// DailyAPILimit is the org's daily API request allocation (default
	// 15,000, a Developer Edition); PerUserDailyLimit caps each user's API
	// requests per day (0: no per-user cap).
	DailyAPILimit, PerUserDailyLimit int
	// LoginIPRanges are the org's Network Access ranges: a token request
	// from outside them is refused (empty: any address). Profile login IP
	// ranges are set with SetProfileLoginIPRanges.
	LoginIPRanges []netip.Prefix
	// TrustForwardedFor takes the client address from X-Forwarded-For.
	TrustForwardedFor bool
	// RefreshTokenTTL expires refresh tokens this long after issue (the
	// connected app's "Expire refresh token after"; 0: valid until revoked).
	RefreshTokenTTL time.Duration
	// LockSessionsToIP binds each access token to the address that got it
	// (Session Settings › "Lock sessions to the IP address from which they
	// originated"): from another address it answers INVALID_SESSION_ID.
	LockSessionsToIP bool
	// Now is the clock (default time.Now).
	Now func() time.Time

	// BaseURL is the scheme://host the org answers as (instance_url and
	// login_url). Empty: taken from each request's Host.
	BaseURL string
	// AdminUsername is the integration user the simulator adds (System
	// Administrator). Default "integration@navsync-sim.example.com".
	AdminUsername string
	// OrgName is Organization.Name (default "navsync Simulator Org").
	OrgName string
	// OrgID is the organisation id (15 or 18 characters, prefix 00D;
	// default 00D5g0000000001EAA). Give two orgs different ids to test
	// that tokens of one are refused by the other.
	OrgID string

	// ClientID and ClientSecret of the connected app (defaults generated).
	ClientID, ClientSecret string
	// CallbackURLs accepted as redirect_uri by the web-server flow (default
	// http://localhost:1717/OauthRedirect, the sf CLI's, and
	// http://localhost:8080/callback).
	CallbackURLs []string
	// JWTKey signs the connected app's certificate for the JWT bearer flow
	// (default: a 2048-bit key generated on first use).
	JWTKey *rsa.PrivateKey

	// BulkPageSize is the default rows per Bulk 2.0 result page when the
	// client sends no maxRecords (default 50,000).
	BulkPageSize int
	// QueryBatchSize is the REST query page size (default 2,000).
	QueryBatchSize int
	// DuplicateRules turns on the standard Contact and Lead duplicate rules:
	// creating a record with the first and last name of an existing one
	// and its email (or, for Contacts, its account) fails with
	// DUPLICATES_DETECTED unless the request sends
	// Sforce-Duplicate-Rule-Header: allowSave=true.
	DuplicateRules bool
	// LeadAssignmentRule gives the org an active Lead assignment rule that
	// assigns every Lead it runs on to one user: LeadQueue (a "Lead Queue"
	// user the simulator adds), a username or a user id ("": no rule).
	// REST creates and updates of Leads (sObject rows and Collections) run
	// it unless the request sends Sforce-Auto-Assign: FALSE; Bulk 2.0
	// ingest jobs run it only when created with its assignmentRuleId
	// (LeadAssignmentRuleID).
	LeadAssignmentRule string
}

// Supported API versions (GET /services/data).
const (
	minVersion = 31
	maxVersion = 66
)

// Server is one simulator org. It is safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	schema  *schema
	st      *store
	orgID   string
	adminID string
	auth    *authState
	limits  *limitState
	faults  *faultState
	jobs    *jobState
	app     *appState
	cursors *cursorState

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	profMu      sync.RWMutex
	profileIPs  map[string][]netip.Prefix
	fieldAccess map[string]FieldAccess // profile|object|field (lower case) → access other than FieldEdit; under profMu
	describeMu  sync.Mutex
	describeRaw map[string][]byte
	leadRuleID  string // the active Lead assignment rule ("" none)
	writes      writeLog
}

// New builds an org holding the four profiles, the Organization record and
// the admin integration user.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 2 * time.Hour
	}
	if opts.DailyAPILimit <= 0 {
		opts.DailyAPILimit = 15000
	}
	if opts.AdminUsername == "" {
		opts.AdminUsername = "integration@navsync-sim.example.com"
	}
	if opts.OrgName == "" {
		opts.OrgName = "navsync Simulator Org"
	}
	if opts.BulkPageSize <= 0 {
		opts.BulkPageSize = 50000
	}
	if opts.QueryBatchSize <= 0 {
		opts.QueryBatchSize = 2000
	}
	if len(opts.CallbackURLs) == 0 {
		opts.CallbackURLs = []string{"http://localhost:1717/OauthRedirect", "http://localhost:8080/callback"}
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	sc, err := newSchema()
	if err != nil {
		return nil, fmt.Errorf("sfsim: %w", err)
	}
	orgID := sfid.New(sfid.Organization, "5g", 1)
	if opts.OrgID != "" {
		id, err := sfid.To18(opts.OrgID)
		if err != nil || !strings.HasPrefix(id, sfid.Organization) {
			return nil, fmt.Errorf("sfsim: OrgID %q is not an organization id", opts.OrgID)
		}
		orgID = id
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: opts, log: opts.Logger, now: opts.Now, schema: sc, st: newStore(sc),
		orgID: orgID, adminID: sfid.New(sfid.User, "5g", 1),
		ctx: ctx, cancel: cancel, profileIPs: map[string][]netip.Prefix{}, describeRaw: map[string][]byte{},
	}
	s.auth = newAuthState()
	s.limits = &limitState{users: map[string]int{}}
	s.faults = newFaultState(opts.Faults)
	s.jobs = &jobState{query: map[string]*queryJob{}, ingest: map[string]*ingestJob{}}
	s.cursors = &cursorState{m: map[string]*cursor{}}
	s.app = newAppState(opts)
	if err := s.seedOrg(); err != nil {
		cancel()
		return nil, err
	}
	if err := s.seedLeadAssignment(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// Close stops background job processing. Handlers keep answering.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// OrgID is the 18-character organisation id.
func (s *Server) OrgID() string { return s.orgID }

// seedOrg inserts the profiles, the Organization and the admin user.
func (s *Server) seedOrg() error {
	now := nowStamp(s.now())
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	pt := st.table("Profile")
	for _, p := range profiles {
		vals := make([]string, len(pt.obj.Fields))
		set := func(n, v string) { vals[pt.obj.Field(n).index] = v }
		set("Id", p.id)
		set("Name", p.name)
		set("Description", p.desc)
		set("UserType", "Standard")
		set("PermissionsApiEnabled", fmt.Sprint(p.api))
		set("PermissionsModifyAllData", fmt.Sprint(p.modifyAll))
		set("PermissionsViewSetup", fmt.Sprint(p.modifyAll))
		set("CreatedDate", now)
		set("CreatedById", s.adminID)
		set("LastModifiedDate", now)
		set("LastModifiedById", s.adminID)
		pt.insert(vals)
	}
	ot := st.table("Organization")
	vals := make([]string, len(ot.obj.Fields))
	for n, v := range map[string]string{"Id": s.orgID, "Name": s.opts.OrgName, "Country": "US", "InstanceName": "SIM5G",
		"IsSandbox": "false", "OrganizationType": "Developer Edition", "LanguageLocaleKey": "en_US", "DefaultLocaleSidKey": "en_US",
		"TimeZoneSidKey": "America/Los_Angeles", "CreatedDate": now, "CreatedById": s.adminID, "LastModifiedDate": now, "LastModifiedById": s.adminID} {
		vals[ot.obj.Field(n).index] = v
	}
	ot.insert(vals)
	ut := st.table("User")
	uv := make([]string, len(ut.obj.Fields))
	for n, v := range map[string]string{"Id": s.adminID, "Username": s.opts.AdminUsername, "Email": s.opts.AdminUsername,
		"FirstName": "Integration", "LastName": "User", "Alias": "integ", "IsActive": "true", "ProfileId": sfid.ProfileSystemAdmin,
		"UserType": "Standard", "TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
		"EmailEncodingKey": "UTF-8", "CreatedDate": now, "CreatedById": s.adminID, "LastModifiedDate": now, "LastModifiedById": s.adminID} {
		uv[ut.obj.Field(n).index] = v
	}
	ut.insert(uv)
	ut.seq = 1
	return nil
}

// profile is one of the four profiles every simulator org has.
type profile struct {
	id, name, desc string
	api, modifyAll bool
	writes         map[string]bool // objects the profile may create, edit and delete
}

var profiles = []profile{
	{id: sfid.ProfileSystemAdmin, name: "System Administrator", desc: "API enabled, modify all data", api: true, modifyAll: true},
	{id: sfid.ProfileStandard, name: "Standard User", desc: "API enabled; creates and edits Contacts, Leads and OpportunityContactRoles", api: true,
		writes: map[string]bool{"Contact": true, "Lead": true, "OpportunityContactRole": true}},
	{id: sfid.ProfileReadOnly, name: "Read Only", desc: "API enabled; reads only", api: true},
	{id: sfid.ProfileNoAPI, name: "Standard User (no API)", desc: "Standard User without API Enabled",
		writes: map[string]bool{"Contact": true, "Lead": true, "OpportunityContactRole": true}},
}

func profileByID(id string) *profile {
	for i := range profiles {
		if sfid.Equal(profiles[i].id, id) {
			return &profiles[i]
		}
	}
	return nil
}

// canWrite reports whether the profile may create/edit/delete obj.
func (p *profile) canWrite(obj string) bool {
	if p == nil {
		return false
	}
	return p.modifyAll || p.writes[obj]
}

// User is a simulator org user as the Go API reports it.
type User struct {
	ID, Username, Email, FirstName, LastName, ProfileID string
	IsActive                                            bool
}

func (u *User) profile() *profile { return profileByID(u.ProfileID) }

// userByID reads a user; the caller holds no lock.
func (s *Server) userByID(id string) (*User, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return s.userByIDLocked(id)
}

func (s *Server) userByIDLocked(id string) (*User, bool) {
	t := s.st.table("User")
	r, ok := t.find(id)
	if !ok {
		return nil, false
	}
	return userFromView(t.newView().load(r)), true
}

func userFromView(v *view) *User {
	o := v.t.obj
	g := func(n string) string { return strings.Clone(v.get(o.Field(n))) }
	return &User{ID: g("Id"), Username: g("Username"), Email: g("Email"), FirstName: g("FirstName"), LastName: g("LastName"),
		ProfileID: g("ProfileId"), IsActive: g("IsActive") == "true"}
}

func (s *Server) userByUsername(name string) (*User, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	t := s.st.table("User")
	rows := t.idx[t.obj.Field("Username").index].lookup(name, nil)
	if len(rows) != 1 {
		return nil, false
	}
	return userFromView(t.newView().load(rows[0])), true
}

// AdminUser is the integration user the simulator adds to every org.
func (s *Server) AdminUser() User {
	u, _ := s.userByID(s.adminID)
	return *u
}

// LookupUser returns a user by username.
func (s *Server) LookupUser(username string) (User, bool) {
	u, ok := s.userByUsername(username)
	if !ok {
		return User{}, false
	}
	return *u, true
}

// SetProfileLoginIPRanges restricts logins of a profile's users to ranges
// (Setup › Profiles › Login IP Ranges); nil lifts the restriction.
func (s *Server) SetProfileLoginIPRanges(profileID string, ranges []netip.Prefix) error {
	p := profileByID(profileID)
	if p == nil {
		return fmt.Errorf("sfsim: unknown profile %q", profileID)
	}
	s.profMu.Lock()
	defer s.profMu.Unlock()
	s.profileIPs[p.id] = ranges
	return nil
}

// baseURL is the scheme://host the org answers as.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// apiError is a top-level REST error.
type apiError struct {
	status  int
	code    string
	message string
	fields  []string
	noField bool             // omit "fields" (e.g. INVALID_SESSION_ID)
	dup     *duplicateResult // DUPLICATES_DETECTED
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errNotFound() *apiError {
	return &apiError{status: 404, code: "NOT_FOUND", message: "The requested resource does not exist", noField: true}
}

func errBadRequest(code, msg string) *apiError {
	return &apiError{status: 400, code: code, message: msg}
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	m := map[string]any{"message": e.message, "errorCode": e.code}
	if !e.noField {
		f := e.fields
		if f == nil {
			f = []string{}
		}
		m["fields"] = f
	}
	if e.dup != nil {
		m["duplicateResult"] = e.dup.json()
		delete(m, "fields")
	}
	writeJSON(w, e.status, []any{m})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`[{"message":"An unexpected error occurred","errorCode":"UNKNOWN_EXCEPTION"}]`)
		status = 500
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Handler serves the org: OAuth, identity, REST, Bulk 2.0.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// cleanPath collapses repeated slashes and drops a trailing slash, so
// //services/data/ and /services/data route alike without redirects.
func cleanPath(p string) string {
	if !strings.Contains(p, "//") && (len(p) <= 1 || !strings.HasSuffix(p, "/")) {
		return p
	}
	var b strings.Builder
	prevSlash := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(c)
	}
	out := b.String()
	if len(out) > 1 {
		out = strings.TrimSuffix(out, "/")
	}
	if out == "" {
		out = "/"
	}
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as the net/http docs do
				panic(v)
			}
			s.log.Error("sfsim: handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeAPIError(w, &apiError{status: 500, code: "UNKNOWN_EXCEPTION", message: "An unexpected error occurred. Please include this ErrorId if you contact support: 0-0 (0)", noField: true})
		}
	}()
	if len(r.RequestURI) > maxURI {
		writeAPIError(w, &apiError{status: http.StatusRequestURITooLong, code: "URI_TOO_LONG", message: fmt.Sprintf("The request URI is longer than %d bytes", maxURI), noField: true})
		return
	}
	if r.Method == http.MethodHead {
		// Answer as GET on a shallow copy: net/http still sees the HEAD
		// request and drops the body.
		r = r.WithContext(r.Context())
		r.Method = http.MethodGet
	}
	r, body := withDeadlineBody(w, r)
	defer body.finish()
	path := cleanPath(r.URL.Path)
	if strings.HasPrefix(path, "/services/data/v") {
		s.setLimitHeader(w, nil) // on every REST answer, faults and errors included
		if isWriteRequest(r.Method, path) {
			s.writes.requests.Add(1) // before faults: an attempt counts
		}
	}
	fw, proceed := s.applyFaults(w, r)
	if !proceed {
		return
	}
	w = fw
	switch {
	case path == "/services/data":
		s.handleVersions(w, r)
	case strings.HasPrefix(path, "/services/data/"):
		s.serveAPI(w, r, strings.TrimPrefix(path, "/services/data/"))
	case strings.HasPrefix(path, "/services/oauth2/"):
		s.serveOAuth(w, r, strings.TrimPrefix(path, "/services/oauth2/"))
	case strings.HasPrefix(path, "/id/"):
		s.handleIdentity(w, r, strings.TrimPrefix(path, "/id/"))
	default:
		writeAPIError(w, errNotFound())
	}
	if d, ok := w.(*dropWriter); ok {
		// An answer without a body (the 201 of a Bulk upload) is dropped
		// too, after the request was applied: an answer with a body was
		// cut at its first write and never gets here.
		d.abort()
	}
}

// maxURI is Salesforce's limit on the request URI (salesforce-api.md §3).
const maxURI = 16384

// call is one authenticated API request.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	version string // "62.0"
	user    *User
	prof    *profile
	assign  autoAssign // Sforce-Auto-Assign of a REST write
}

// prefix returns "/services/data/vNN.N".
func (c *call) prefix() string { return "/services/data/v" + c.version }

func parseVersion(seg string) (string, bool) {
	if len(seg) < 2 || seg[0] != 'v' {
		return "", false
	}
	maj, min, ok := strings.Cut(seg[1:], ".")
	if !ok || min != "0" {
		return "", false
	}
	n := 0
	for _, c := range maj {
		if c < '0' || c > '9' {
			return "", false
		}
		n = n*10 + int(c-'0')
	}
	if n < minVersion || n > maxVersion || len(maj) > 3 {
		return "", false
	}
	return maj + ".0", true
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rest string) {
	verSeg, tail, _ := strings.Cut(rest, "/")
	version, ok := parseVersion(verSeg)
	if !ok {
		writeAPIError(w, errNotFound())
		return
	}
	u, apiErr := s.authenticate(r)
	if apiErr != nil {
		s.setLimitHeader(w, nil)
		writeAPIError(w, apiErr)
		return
	}
	p := u.profile()
	if p == nil || !p.api {
		s.setLimitHeader(w, nil)
		writeAPIError(w, &apiError{status: 403, code: "API_DISABLED_FOR_ORG", message: "The REST API is not enabled for this Organization.", noField: true})
		return
	}
	if e := s.countRequest(u); e != nil {
		s.setLimitHeader(w, u)
		writeAPIError(w, e)
		return
	}
	s.setLimitHeader(w, u)
	if s.faults.roll("limit", func(f *Faults) float64 { return f.Limit }) {
		writeAPIError(w, &apiError{status: 403, code: "REQUEST_LIMIT_EXCEEDED", message: "ConcurrentPerOrgLongTxn Limit exceeded.", noField: true})
		return
	}
	c := &call{s: s, w: w, r: r, version: version, user: u, prof: p}
	var segs []string
	if tail != "" {
		segs = strings.Split(tail, "/")
	}
	if err := c.route(segs); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			writeAPIError(w, ae)
			return
		}
		s.log.Error("sfsim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeAPIError(w, &apiError{status: 500, code: "UNKNOWN_EXCEPTION", message: "An unexpected error occurred. Please include this ErrorId if you contact support: 0-0 (0)", noField: true})
	}
}

func methodNotAllowed(method string, allowed ...string) *apiError {
	return &apiError{status: 405, code: "METHOD_NOT_ALLOWED", message: fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", method, strings.Join(allowed, ",")), noField: true}
}

func (c *call) route(segs []string) error {
	m := c.r.Method
	if len(segs) == 0 {
		if m != http.MethodGet {
			return methodNotAllowed(m, "GET", "HEAD")
		}
		return c.resources()
	}
	if (segs[0] == "sobjects" || segs[0] == "composite") && m != http.MethodGet && m != http.MethodHead {
		var ae *apiError
		if c.assign, ae = c.s.parseAutoAssign(c.r); ae != nil {
			return ae
		}
	}
	switch segs[0] {
	case "limits":
		if len(segs) != 1 {
			return errNotFound()
		}
		return c.handleLimits()
	case "query", "queryAll":
		if m != http.MethodGet {
			return methodNotAllowed(m, "GET", "HEAD")
		}
		switch len(segs) {
		case 1:
			return c.handleQuery(segs[0] == "queryAll")
		case 2:
			return c.handleQueryMore(segs[1], segs[0] == "queryAll")
		}
		return errNotFound()
	case "sobjects":
		return c.routeSObjects(segs[1:])
	case "composite":
		if len(segs) >= 2 && segs[1] == "sobjects" {
			return c.routeCollections(segs[2:])
		}
		return errNotFound()
	case "search":
		if len(segs) == 2 && segs[1] == "suggestions" {
			if m != http.MethodGet {
				return methodNotAllowed(m, "GET", "HEAD")
			}
			return c.handleSuggestions()
		}
		return errNotFound()
	case "jobs":
		if len(segs) >= 2 && segs[1] == "query" {
			return c.routeQueryJobs(segs[2:])
		}
		if len(segs) >= 2 && segs[1] == "ingest" {
			return c.routeIngestJobs(segs[2:])
		}
		return errNotFound()
	}
	return errNotFound()
}
