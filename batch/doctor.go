package batch

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/internal/atomicfile"
	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/sfbulk"
)

// navsync doctor: the seed's troubleshooting list made into checks
// (DESIGN.md "doctor", docs/readme-contacts.md "navsync doctor"). Doctor
// reads the config, signs in, describes and queries a little (about ten
// API calls), signs each lead owner in (token requests, not API calls),
// and writes nothing to the org or the state store. The only files it
// writes are DoctorOwnersFile and DoctorTokensFile in the reports folder.

// Statuses of a check.
const (
	CheckPass = "pass"
	CheckWarn = "warn" // worth a look; does not fail the doctor
	CheckFail = "fail"
	CheckSkip = "skip" // not applicable, or a check it depends on failed
)

// Names of the doctor's checks, in the order they are reported.
const (
	CheckConfig          = "config"
	CheckSignIn          = "sign_in"
	CheckLoginIP         = "login_ip"
	CheckAPIEnabled      = "api_enabled"
	CheckLoginHost       = "login_host"
	CheckSnapshotFields  = "snapshot_fields"
	CheckWritebackFields = "writeback_fields"
	CheckContactFields   = "contact_fields"
	CheckLeadSource      = "lead_source"
	CheckOpportunityRole = "opportunity_role"
	CheckOwners          = "owners"
	CheckOwnerTokenOrg   = "owner_token_org"
	CheckOwnerSignIn     = "owner_sign_in"
	CheckOwnerAccess     = "owner_access"
)

// DoctorChecks are the checks' names and what each verifies, in report order.
var DoctorChecks = []struct{ Name, Title string }{
	{CheckConfig, "the config file loads and validates"},
	{CheckSignIn, "the integration user signs in (salesforce.auth)"},
	{CheckLoginIP, "logins from this host's address are allowed (Network Access, profile login IP ranges)"},
	{CheckAPIEnabled, "the API is enabled for the org and the integration user"},
	{CheckLoginHost, "login_url matches the org: production or sandbox"},
	{CheckSnapshotFields, "every field the run reads is visible to the integration user"},
	{CheckWritebackFields, "writeback fields on Contact and Lead are visible and editable for the integration user"},
	{CheckContactFields, "the fields of created Contacts are createable; no required Contact field is left unfilled"},
	{CheckLeadSource, "contacts.lead_source is an active Contact.LeadSource value"},
	{CheckOpportunityRole, "contacts.opportunity_role.role is an OpportunityContactRole.Role value"},
	{CheckOwners, "every owner in the Sales Navigator exports is an active User (by email)"},
	{CheckOwnerTokenOrg, "every stored owner token is usable and of the job's org"},
	{CheckOwnerSignIn, "every owner's sign-in still works (stored refresh tokens, or JWT pre-authorization)"},
	{CheckOwnerAccess, "every owner who signs in may use the API and create Contacts (describe Contact as the owner)"},
}

// Files the doctor writes into reports.dir (mode 0600): who is behind the
// counts of the owners and owner_token_* checks. They hold email
// addresses and usernames, which the doctor's output and logs never show.
// The leading underscore keeps them out of a dataset read of the reports
// folder (pyarrow, pandas and Spark skip _ files), which holds Parquet only.
const (
	DoctorOwnersFile = "_doctor-owners.csv"
	DoctorTokensFile = "_doctor-tokens.csv"
)

// CheckResult is one check's outcome.
type CheckResult struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Status string `json:"status"` // CheckPass, CheckWarn, CheckFail or CheckSkip
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// DoctorReport is every check's result, in DoctorChecks order.
type DoctorReport struct {
	Config   string `json:"config"`
	LoginURL string `json:"login_url,omitempty"`
	OrgID    string `json:"org_id,omitempty"` // the job's org: salesforce.org_id, or the org the sign-in landed in
	// HostAddress is this host's address as the doctor found it (the local
	// address of its connection to the login host), "" when unknown.
	HostAddress string        `json:"host_address,omitempty"`
	OwnersFile  string        `json:"owners_file,omitempty"`
	TokensFile  string        `json:"tokens_file,omitempty"`
	Checks      []CheckResult `json:"checks"`
	// ConfigErr is why the config could not be loaded (nil when it was;
	// errors.Is(ConfigErr, ErrConfig)). Every other check is skipped then.
	ConfigErr error `json:"-"`
}

// Failed returns the checks that failed.
func (r *DoctorReport) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the named check's result, or nil.
func (r *DoctorReport) Check(name string) *CheckResult {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// DoctorOptions change how Doctor reaches Salesforce.
type DoctorOptions struct {
	// HTTPClient carries every request (token requests and API calls); nil:
	// sfbulk.DefaultHTTPClient. Tests route a production login host to the
	// simulator with it.
	HTTPClient *http.Client
	Log        *slog.Logger // nil: discard
	// Parallel is how many owners sign in at once (default 4).
	Parallel int
}

// Doctor loads the config at path and runs every check. It never returns
// early on a failed check: checks that depend on it are skipped, the others
// still run. A config that cannot be loaded fails the config check and
// skips the rest (ConfigErr is set).
func Doctor(ctx context.Context, path string, o DoctorOptions) *DoctorReport {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Parallel < 1 {
		o.Parallel = 4
	}
	d := &doctor{o: o, log: o.Log, res: map[string]*CheckResult{}, rep: &DoctorReport{Config: path}}
	cfg, err := Load(path)
	if err != nil {
		d.rep.ConfigErr = err
		d.set(CheckConfig, CheckFail, err.Error(), "fix what is named (navsync.example.yaml explains every key), then run navsync doctor again")
		return d.finish("the config is not valid (config)")
	}
	d.cfg = cfg
	d.rep.LoginURL = cfg.Salesforce.LoginURL
	d.set(CheckConfig, CheckPass, fmt.Sprintf("%s: %d lead export(s), contact creation %s", path, len(cfg.SalesNav.Leads), onOff(cfg.Contacts.Enabled)), "")
	d.run(ctx)
	why := "the integration user could not sign in (sign_in)"
	if d.sf != nil {
		why = "the integration user cannot use the API (api_enabled)"
	}
	return d.finish(why)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// doctor is one doctor run's state.
type doctor struct {
	o   DoctorOptions
	log *slog.Logger
	cfg *Config
	rep *DoctorReport
	res map[string]*CheckResult

	oc    sfbulk.OAuthConfig
	api   sfbulk.Config
	sf    *sfbulk.Client // the integration user's client; nil when the sign-in failed
	orgID string         // the job's org ("" when unknown)
	apiOK bool           // the integration user may call the API
	addr  addrProbe

	mu     sync.Mutex
	logins []loginAttempt // for login_ip

	owners    []ownerRow // nil when the owners check did not run
	ownerUser map[string]*ownerRow
	tokens    []tokenRow // refresh_token flow: the stored tokens
}

// loginAttempt is one token request: who (for counting) and whether the
// org refused it for its IP restrictions.
type loginAttempt struct {
	owner     bool
	ipRefused bool
}

func (d *doctor) set(name, status, detail, fix string) {
	d.res[name] = &CheckResult{Name: name, Status: status, Detail: detail, Fix: fix}
}

func (d *doctor) done(name string) bool { _, ok := d.res[name]; return ok }

// finish orders the results; checks not run are skipped with why (or a
// generic reason).
func (d *doctor) finish(why string) *DoctorReport {
	for _, c := range DoctorChecks {
		r, ok := d.res[c.Name]
		if !ok {
			r = &CheckResult{Name: c.Name, Status: CheckSkip, Detail: "not checked: " + cmpOr(why, "a check it depends on failed")}
		}
		r.Title = c.Title
		d.rep.Checks = append(d.rep.Checks, *r)
	}
	if d.addr.get().IsValid() {
		d.rep.HostAddress = d.addr.get().String()
	}
	d.rep.OrgID = d.orgID
	return d.rep
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (d *doctor) run(ctx context.Context) {
	cfg := d.cfg
	oc, api, err := ownerOAuth(cfg, d.log)
	if err != nil {
		d.set(CheckSignIn, CheckFail, err.Error(), "set the connected app's secret as salesforce.auth names it")
		return
	}
	// A doctor answers in seconds: fewer, shorter retries than a run.
	retry := sfbulk.RetryPolicy{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}
	oc.Retry, api.Retry = retry, retry
	if d.o.HTTPClient != nil {
		oc.HTTPClient, api.HTTPClient = d.o.HTTPClient, d.o.HTTPClient
	}
	d.oc, d.api = oc, api
	d.orgID = cfg.Salesforce.OrgID

	d.signIn(ctx)
	if d.sf != nil {
		d.checkOrg(ctx)
	} else {
		d.skipFrom("the integration user could not sign in (sign_in)", CheckAPIEnabled, CheckLoginHost)
	}
	if d.apiOK {
		d.checkSnapshotFields(ctx)
		d.checkWritebackFields(ctx)
	}
	ct := cfg.Contacts
	if !ct.Enabled {
		d.skipFrom("contacts.enabled is false: no Contact is created", CheckContactFields, CheckLeadSource, CheckOpportunityRole,
			CheckOwners, CheckOwnerTokenOrg, CheckOwnerSignIn, CheckOwnerAccess)
	} else {
		if d.apiOK {
			d.checkContactSchema(ctx)
			d.checkOwners(ctx)
		}
		d.checkOwnerTokens(ctx)
	}
	d.checkLoginIP()
	d.writeFiles()
}

// skipFrom skips the named checks (unless already decided) with why.
func (d *doctor) skipFrom(why string, names ...string) {
	for _, n := range names {
		if !d.done(n) {
			d.set(n, CheckSkip, "not checked: "+why, "")
		}
	}
}

// ---- the integration user's sign-in ----

// tokenSource is the job's own token source, as Connect builds it.
func (d *doctor) tokenSource() (sfbulk.TokenSource, error) {
	a := d.cfg.Salesforce.Auth
	switch a.Flow {
	case FlowRefreshToken:
		file, _ := tokenStoreFile(a)
		return sfbulk.NewRefreshTokenSource(d.oc, sfbulk.NewFileTokenStore(file))
	case FlowJWT:
		key, err := os.ReadFile(a.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("salesforce.auth.private_key_file: %w", err)
		}
		return sfbulk.NewJWTSource(d.oc, a.Username, key)
	case FlowClientCredentials:
		return sfbulk.NewClientCredentialsSource(d.oc)
	}
	return nil, fmt.Errorf("unknown salesforce.auth.flow %q", a.Flow)
}

func (d *doctor) signIn(ctx context.Context) {
	flow := d.cfg.Salesforce.Auth.Flow
	ts, err := d.tokenSource()
	if err != nil {
		d.set(CheckSignIn, CheckFail, err.Error(), "fix salesforce.auth (navsync.example.yaml)")
		return
	}
	// A real token request, even when a stored access token still works:
	// a revoked refresh token or a refused address shows here.
	tok, err := ts.Refresh(d.addr.trace(ctx), nil)
	if err != nil {
		f := d.authFailure(err, flow, false)
		d.noteLogin(false, f.ipRefused)
		d.set(CheckSignIn, CheckFail, "the integration user's sign-in ("+flow+" flow) was refused: "+f.detail, f.fix)
		return
	}
	d.noteLogin(false, false)
	org, user, _ := sfbulk.ParseIdentityURL(tok.ID)
	if want := d.cfg.Salesforce.OrgID; want != "" && !sfbulk.SameOrg(want, tok.ID) {
		d.set(CheckSignIn, CheckFail, fmt.Sprintf("the integration user signed in to org %s, but salesforce.org_id is %s: the job refuses that token", org, want),
			"point salesforce.login_url at the org of salesforce.org_id (a sandbox: https://test.salesforce.com or its My Domain), or correct org_id")
		return
	}
	cfg := d.api
	cfg.ExpectOrgID = d.cfg.Salesforce.OrgID
	c, err := sfbulk.New(ctx, cfg, ts)
	if err != nil {
		d.set(CheckSignIn, CheckFail, err.Error(), "")
		return
	}
	d.sf = c
	if d.orgID == "" {
		d.orgID = c.Identity().OrgID
	}
	d.set(CheckSignIn, CheckPass, fmt.Sprintf("signed in as user %s of org %s (%s flow), instance %s", user, org, flow, c.Identity().InstanceURL), "")
}

func (d *doctor) noteLogin(owner, ipRefused bool) {
	d.mu.Lock()
	d.logins = append(d.logins, loginAttempt{owner: owner, ipRefused: ipRefused})
	d.mu.Unlock()
}

// authOutcome is a refused sign-in, explained.
type authOutcome struct {
	detail, fix string
	ipRefused   bool
	revoked     bool   // invalid_grant of a refresh token: re-consent needed
	kind        string // for the files: ip_restricted, revoked, not_approved, inactive, other_org, error
}

// Fixes shared by several checks.
const (
	reconsentFix = "re-consent: sign the user in again to store a new refresh token (an owner: navsync auth login --user USERNAME; " +
		"the integration user: the authorization-code flow into salesforce.auth.token_store). In the connected app (Setup › App Manager › " +
		"the app › Manage › Edit Policies) set Refresh Token Policy to \"Refresh token is valid until revoked\", and do not lock sessions " +
		"to the IP address they came from (Setup › Session Settings: clear \"Lock sessions to the IP address from which they originated\"). " +
		"Salesforce keeps at most 5 refresh tokens per user per connected app: a 6th sign-in revokes the oldest"
	preauthFix = "in the connected app (Setup › App Manager › the app › Manage › Edit Policies) set Permitted Users to \"Admin approved users " +
		"are pre-authorized\", then add the users' profiles or permission sets (Manage Profiles / Manage Permission Sets); the app's " +
		"certificate must match the private key"
	apiFix = "give the user's profile, or a permission set assigned to the user, the \"API Enabled\" system permission (Setup › Profiles › " +
		"the profile › System Permissions); Professional Edition orgs need the API add-on, Essentials and Group editions have no API access"
)

// authFailure explains a token request's error. owner selects the
// wording of fixes that differ for owners.
func (d *doctor) authFailure(err error, flow string, owner bool) authOutcome {
	var ae *sfbulk.AuthError
	errors.As(err, &ae)
	desc := ""
	if ae != nil {
		desc = strings.ToLower(ae.Description)
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case ae != nil && (strings.Contains(desc, "ip restricted") || strings.Contains(desc, "login hours") || strings.Contains(desc, "ip address")):
		return authOutcome{detail: fmt.Sprintf("%s (%s): refused for the org's IP restrictions or login hours", ae.Code, ae.Description),
			fix: "see login_ip: " + d.ipFix(), ipRefused: true, kind: "ip_restricted"}
	case ae != nil && strings.Contains(desc, "inactive"):
		return authOutcome{detail: fmt.Sprintf("%s (%s): the user is deactivated", ae.Code, ae.Description),
			fix: "reactivate the User (Setup › Users), or use an active one", kind: "inactive"}
	case ae != nil && strings.Contains(desc, "approved this consumer"):
		return authOutcome{detail: fmt.Sprintf("%s (%s): the user is not pre-authorized for the connected app", ae.Code, ae.Description),
			fix: preauthFix, kind: "not_approved"}
	case ae != nil && strings.Contains(desc, "audience"):
		return authOutcome{detail: fmt.Sprintf("%s (%s)", ae.Code, ae.Description),
			fix: "the JWT audience follows login_url: a sandbox needs https://test.salesforce.com or its My Domain (…--….sandbox.my.salesforce.com), production https://login.salesforce.com or its My Domain", kind: "error"}
	case ae != nil && errors.Is(err, sfbulk.ErrLoginHost):
		return authOutcome{detail: err.Error(), fix: ae.Hint, kind: "error"}
	case ae != nil && flow == FlowRefreshToken && errors.Is(err, sfbulk.ErrAuthRevoked):
		return authOutcome{detail: fmt.Sprintf("%s (%s): the refresh token was revoked or has expired", ae.Code, ae.Description),
			fix: reconsentFix, revoked: true, kind: "revoked"}
	case ae != nil && flow == FlowJWT && errors.Is(err, sfbulk.ErrAuthRevoked):
		return authOutcome{detail: fmt.Sprintf("%s (%s)", ae.Code, ae.Description), fix: preauthFix + "; " + ae.Hint, kind: "not_approved"}
	case ae != nil:
		return authOutcome{detail: fmt.Sprintf("%s (%s)", ae.Code, ae.Description), fix: ae.Hint, kind: "error"}
	case errors.Is(err, sfbulk.ErrOrgMismatch):
		return authOutcome{detail: "the refreshed token belongs to another org", fix: "sign the user in again against this org's login host", kind: "other_org"}
	case errors.Is(err, sfbulk.ErrNoToken):
		fix := "sign the integration user in (authorization-code flow) and store its token in salesforce.auth.token_store"
		if owner {
			fix = "the owner signs in once: navsync auth login --user USERNAME"
		}
		return authOutcome{detail: "no token stored: " + err.Error(), fix: fix, kind: "no_token"}
	case errors.Is(err, sfbulk.ErrTokenStoreInsecure):
		return authOutcome{detail: err.Error(), fix: "chmod 600 the token file (and chmod 700 its folder)", kind: "insecure"}
	case errors.As(err, &ne) || errors.As(err, &ue):
		return authOutcome{detail: "cannot reach the login host: " + err.Error(),
			fix: "check DNS, the proxy (HTTPS_PROXY) and the firewall: this host must reach " + d.cfg.Salesforce.LoginURL + " over HTTPS", kind: "error"}
	}
	return authOutcome{detail: err.Error(), kind: "error"}
}

// ---- this host's address ----

// addrProbe learns the local address of the connections to the login
// host from the token requests themselves (httptrace).
type addrProbe struct {
	mu   sync.Mutex
	addr netip.Addr
}

func (p *addrProbe) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Conn == nil {
			return
		}
		ap, err := netip.ParseAddrPort(i.Conn.LocalAddr().String())
		if err != nil {
			return
		}
		p.mu.Lock()
		p.addr = ap.Addr().Unmap()
		p.mu.Unlock()
	}})
}

func (p *addrProbe) get() netip.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// hostAddress is this host's address as Salesforce most likely sees it,
// with a note when it may differ: the local address of the connection
// to the login host (learnt from the sign-in), else the address the
// system would route a packet to the login host from (no packet is sent).
func (d *doctor) hostAddress() (addr, note string) {
	a := d.addr.get()
	u, err := url.Parse(d.cfg.Salesforce.LoginURL)
	if !a.IsValid() && err == nil && u.Hostname() != "" {
		port := u.Port()
		if port == "" {
			port = "443"
		}
		if c, err := net.DialTimeout("udp", net.JoinHostPort(u.Hostname(), port), 2*time.Second); err == nil {
			if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
				a = ap.Addr().Unmap()
			}
			c.Close()
		}
	}
	if !a.IsValid() {
		return "", "this host's address could not be found: Setup › Login History shows the source IP of each refused login"
	}
	if a.IsPrivate() || a.IsLinkLocalUnicast() || (a.IsLoopback() && err == nil && !isLoopbackHost(u.Hostname())) {
		note = "a private address: Salesforce sees the public address of this host's NAT gateway or proxy instead (Setup › Login History shows it)"
	}
	return a.String(), note
}

func (d *doctor) ipFix() string {
	addr, note := d.hostAddress()
	if addr == "" {
		addr = "of this host"
	}
	s := fmt.Sprintf("allow the address %s: add it to the org's trusted IP ranges (Setup › Network Access › New: start and end %s) "+
		"and to the Login IP Ranges of the refused users' profiles when they have any (Setup › Profiles › the profile › Login IP Ranges); "+
		"or, in the connected app, set IP Relaxation to \"Relax IP restrictions\" (Setup › App Manager › the app › Manage › Edit Policies). "+
		"A profile's Login Hours refuse logins the same way", addr, addr)
	if note != "" {
		s += " (" + note + ")"
	}
	return s
}

func (d *doctor) checkLoginIP() {
	d.mu.Lock()
	logins := append([]loginAttempt(nil), d.logins...)
	d.mu.Unlock()
	if len(logins) == 0 {
		d.set(CheckLoginIP, CheckSkip, "not checked: no login was attempted", "")
		return
	}
	var integ, owners, refusedOwners int
	integRefused := false
	for _, l := range logins {
		if l.owner {
			owners++
			if l.ipRefused {
				refusedOwners++
			}
		} else {
			integ++
			integRefused = integRefused || l.ipRefused
		}
	}
	addr, note := d.hostAddress()
	where := "this host"
	if addr != "" {
		where += " (" + addr + ")"
	}
	if !integRefused && refusedOwners == 0 {
		s := fmt.Sprintf("no login from %s was refused for its address (%d login(s): the integration user", where, integ+owners)
		if owners > 0 {
			s += fmt.Sprintf(" and %d owner(s)", owners)
		}
		s += ")"
		if note != "" {
			s += "; " + note
		}
		d.set(CheckLoginIP, CheckPass, s, "")
		return
	}
	var who []string
	if integRefused {
		who = append(who, "the integration user")
	}
	if refusedOwners > 0 {
		who = append(who, fmt.Sprintf("%d of %d owner(s)", refusedOwners, owners))
	}
	d.set(CheckLoginIP, CheckFail, fmt.Sprintf("logins from %s were refused (invalid_grant: ip restricted or invalid login hours) for %s",
		where, strings.Join(who, " and ")), d.ipFix())
}

// ---- the org: API access, production or sandbox ----

func (d *doctor) checkOrg(ctx context.Context) {
	recs, err := d.sf.QueryRecords(ctx, "SELECT Id, Name, IsSandbox, OrganizationType, InstanceName FROM Organization")
	switch {
	case errors.Is(err, sfbulk.ErrAPIDisabled):
		d.set(CheckAPIEnabled, CheckFail, fmt.Sprintf("Salesforce answers API_DISABLED_FOR_ORG to user %s: %v", d.sf.Identity().UserID, err), apiFix)
		d.set(CheckLoginHost, CheckSkip, "not checked: the org cannot be read without the API (api_enabled)", "")
		return
	case err != nil:
		d.set(CheckAPIEnabled, CheckFail, "reading the Organization failed: "+err.Error(), "")
		d.set(CheckLoginHost, CheckSkip, "not checked: the Organization could not be read (api_enabled)", "")
		return
	case len(recs) != 1:
		d.set(CheckAPIEnabled, CheckFail, fmt.Sprintf("the Organization query returned %d records", len(recs)), "")
		return
	}
	d.apiOK = true
	org := recs[0]
	d.set(CheckAPIEnabled, CheckPass, fmt.Sprintf("user %s called the REST API (%s, instance %s)", d.sf.Identity().UserID,
		cmpOr(org.String("OrganizationType"), "edition unknown"), cmpOr(org.String("InstanceName"), "?")), "")
	sandbox, _ := org.Get("IsSandbox").(bool)
	d.checkLoginHost(sandbox)
}

// loginHostKind is what a login URL points at: "production", "sandbox",
// "loopback" (the simulator) or "" (cannot tell: a custom host).
func loginHostKind(loginURL string) string {
	u, err := url.Parse(loginURL)
	if err != nil {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	first, _, _ := strings.Cut(h, ".")
	switch {
	case isLoopbackHost(h):
		return "loopback"
	case h == "login.salesforce.com":
		return "production"
	case h == "test.salesforce.com":
		return "sandbox"
	case strings.HasSuffix(h, ".sandbox.my.salesforce.com"):
		return "sandbox"
	case strings.HasSuffix(h, ".my.salesforce.com"):
		// A sandbox's My Domain without enhanced domains: <domain>--<sandbox>.my.salesforce.com.
		if strings.Contains(first, "--") {
			return "sandbox"
		}
		return "production"
	}
	return ""
}

func (d *doctor) checkLoginHost(sandbox bool) {
	login := d.cfg.Salesforce.LoginURL
	orgKind := "a production org"
	if sandbox {
		orgKind = "a sandbox"
	}
	switch kind := loginHostKind(login); {
	case kind == "loopback":
		d.set(CheckLoginHost, CheckPass, fmt.Sprintf("%s is a loopback host (the simulator); the org is %s", login, orgKind), "")
	case kind == "":
		d.set(CheckLoginHost, CheckWarn, fmt.Sprintf("%s is neither login.salesforce.com, test.salesforce.com nor a My Domain: cannot tell production from sandbox; the org is %s", login, orgKind),
			"use https://login.salesforce.com or https://test.salesforce.com, or the org's My Domain (https://<domain>.my.salesforce.com; a sandbox: https://<domain>--<sandbox>.sandbox.my.salesforce.com)")
	case sandbox && kind == "production":
		d.set(CheckLoginHost, CheckFail, fmt.Sprintf("the org %s is a sandbox, but login_url %s is a production login host", d.orgID, login),
			"set salesforce.login_url to https://test.salesforce.com or the sandbox's My Domain (https://<domain>--<sandbox>.sandbox.my.salesforce.com), and salesforce.org_id to the sandbox's org id")
	case !sandbox && kind == "sandbox":
		d.set(CheckLoginHost, CheckFail, fmt.Sprintf("the org %s is a production org, but login_url %s is a sandbox login host", d.orgID, login),
			"set salesforce.login_url to https://login.salesforce.com or the org's My Domain (https://<domain>.my.salesforce.com)")
	default:
		d.set(CheckLoginHost, CheckPass, fmt.Sprintf("%s is a %s login host and the org is %s", login, kind, orgKind), "")
	}
}

// ---- fields ----

// checkSnapshotFields describes the snapshot's objects as the run's
// extract does; the writeback fields are left to writeback_fields.
func (d *doctor) checkSnapshotFields(ctx context.Context) {
	wb := d.cfg.Writeback.FieldNames()
	err := checkFields(ctx, d.sf, snapshot.Objects(wb))
	if err == nil {
		d.set(CheckSnapshotFields, CheckPass, "Contact, Lead, Account, Opportunity and User: every field of the snapshot is visible", "")
		return
	}
	var missing []string
	var other []error
	for _, e := range unjoin(err) {
		var mf *MissingFieldError
		switch {
		case errors.As(e, &mf) && mf.Field != "" && slices.ContainsFunc(wb, func(f string) bool { return strings.EqualFold(f, mf.Field) }):
			// writeback_fields reports it
		case errors.As(e, &mf):
			if mf.Field == "" {
				missing = append(missing, mf.Object+" ("+mf.Reason+")")
			} else {
				missing = append(missing, mf.Object+"."+mf.Field)
			}
		default:
			other = append(other, e)
		}
	}
	switch {
	case len(other) > 0:
		d.set(CheckSnapshotFields, CheckFail, "describe failed: "+errors.Join(other...).Error(), "")
	case len(missing) > 0:
		d.set(CheckSnapshotFields, CheckFail, "not visible to the integration user: "+strings.Join(missing, ", ")+"; the run stops before extracting (exit 5)",
			"grant the integration user's profile or permission set read access to these objects and fields (Field-Level Security)")
	default:
		d.set(CheckSnapshotFields, CheckPass, "every field of the snapshot other than the writeback fields is visible", "")
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

func (d *doctor) checkWritebackFields(ctx context.Context) {
	cfg := d.cfg
	var hidden, readOnly, notCreate, errs []string
	var notes []string
	for _, obj := range []string{"Contact", "Lead"} {
		desc, err := d.sf.Describe(ctx, obj)
		if err != nil {
			errs = append(errs, fmt.Sprintf("describe %s: %v", obj, err))
			continue
		}
		for _, w := range cfg.Writeback.Fields {
			f := desc.Field(w.Field)
			name := obj + "." + w.Field
			switch {
			case f == nil:
				hidden = append(hidden, name)
			case cfg.Writeback.Writes(obj) && !f.Updateable:
				readOnly = append(readOnly, name)
			case obj == "Contact" && cfg.Contacts.Enabled && !f.Createable:
				notCreate = append(notCreate, name)
			}
		}
		if obj == "Contact" && cfg.Contacts.Enabled {
			if f := desc.Field(cfg.ContactExternalIDField()); f != nil {
				if f.ExternalID {
					notes = append(notes, fmt.Sprintf("Contact.%s is an External ID: created Contacts are upserted on it", f.Name))
				} else {
					notes = append(notes, fmt.Sprintf("Contact.%s is not an External ID: an interrupted create is reconciled by a query before any resend", f.Name))
				}
			}
		}
	}
	if len(errs) > 0 {
		d.set(CheckWritebackFields, CheckFail, strings.Join(errs, "; "), "")
		return
	}
	var probs, fixes []string
	if len(hidden) > 0 {
		probs = append(probs, "not visible (not deployed, or hidden by field-level security): "+strings.Join(hidden, ", "))
		fixes = append(fixes, "deploy the missing fields on Contact and Lead (Sales_Navigator_Lead_Id__c: Text 255, External ID; LinkedIn_Profile_URL__c: URL) "+
			"and give the integration user's profile or permission set Read and Edit in each field's Field-Level Security "+
			"(Setup › Object Manager › the object › Fields & Relationships › the field › Set Field-Level Security)")
	}
	if len(readOnly) > 0 {
		probs = append(probs, "read-only for the integration user (describe: updateable false): "+strings.Join(readOnly, ", "))
		fixes = append(fixes, "clear Read-Only for the integration user's profile or permission set in those fields' Field-Level Security, "+
			"and give it Edit on the objects")
	}
	if len(notCreate) > 0 {
		probs = append(probs, "not createable (created Contacts carry them): "+strings.Join(notCreate, ", "))
		fixes = append(fixes, "give Edit in those fields' Field-Level Security to the integration user and to the owners' profiles or permission sets")
	}
	if len(probs) > 0 {
		d.set(CheckWritebackFields, CheckFail, strings.Join(probs, "; "), strings.Join(fixes, "; "))
		return
	}
	s := fmt.Sprintf("%s visible on Contact and Lead, editable on %s", strings.Join(cfg.Writeback.FieldNames(), ", "), strings.Join(cfg.Writeback.Objects, " and "))
	if len(notes) > 0 {
		s += "; " + strings.Join(notes, "; ")
	}
	d.set(CheckWritebackFields, CheckPass, s, "")
}

// contactCreateFields are the fields navsync sets on a created Contact
// (LeadSource has a check of its own).
var contactCreateFields = []string{"FirstName", "LastName", "AccountId", "MailingCountry", "Title", "Email", "Phone"}

// checkContactSchema runs the run's own check (checkContactSchema) and
// sorts its problems into contact_fields, lead_source and
// opportunity_role, and checks that the fields navsync sets are createable.
func (d *doctor) checkContactSchema(ctx context.Context) {
	cfg := d.cfg
	desc, err := d.sf.Describe(ctx, "Contact")
	if err != nil {
		d.set(CheckContactFields, CheckFail, "describe Contact: "+err.Error(), "")
		d.skipFrom("Contact could not be described (contact_fields)", CheckLeadSource, CheckOpportunityRole)
		return
	}
	var fields, ls, role []string
	for _, n := range contactCreateFields {
		switch f := desc.Field(n); {
		case f == nil:
			fields = append(fields, "Contact."+n+" is not visible to the integration user")
		case !f.Createable:
			fields = append(fields, "Contact."+n+" is not createable for the integration user")
		}
	}
	_, serr := checkContactSchema(ctx, d.sf, cfg)
	switch {
	case serr == nil:
	case errors.Is(serr, ErrContactSchema):
		_, list, _ := strings.Cut(serr.Error(), ":\n")
		for _, p := range strings.Split(list, "\n") {
			p = strings.TrimSpace(p)
			switch {
			case p == "":
			case strings.Contains(p, "OpportunityContactRole") || strings.Contains(p, "opportunity_role"):
				role = append(role, p)
			case strings.Contains(p, "LeadSource") || strings.Contains(p, "lead_source"):
				ls = append(ls, p)
			default:
				fields = append(fields, p)
			}
		}
	default:
		d.set(CheckContactFields, CheckFail, serr.Error(), "")
		d.skipFrom("the contact schema could not be read (contact_fields)", CheckLeadSource, CheckOpportunityRole)
		return
	}
	if len(fields) > 0 {
		d.set(CheckContactFields, CheckFail, strings.Join(fields, "; ")+"; the run stops before any write (exit 5)",
			"give Edit in the Field-Level Security of the fields named to the integration user and to the owners' profiles or permission sets; "+
				"a required field navsync does not fill needs a writeback mapping, a default value, or to be made optional")
	} else {
		d.set(CheckContactFields, CheckPass, "FirstName, LastName, AccountId, MailingCountry, Title, Email, Phone and the writeback fields are createable; no other field is required on create", "")
	}
	if len(ls) > 0 {
		d.set(CheckLeadSource, CheckFail, strings.Join(ls, "; "),
			"set contacts.lead_source to one of the valid values, or add the value to Contact.LeadSource and activate it "+
				"(Setup › Object Manager › Contact › Fields & Relationships › Lead Source › Values)")
	} else {
		d.set(CheckLeadSource, CheckPass, fmt.Sprintf("%q is an active Contact.LeadSource value", cfg.Contacts.LeadSource), "")
	}
	switch p := cfg.Contacts.OpportunityRole.Policy; {
	case p == "" || p == RolePolicyNone:
		d.set(CheckOpportunityRole, CheckSkip, "contacts.opportunity_role.policy is none: no OpportunityContactRole is created", "")
	case len(role) > 0:
		d.set(CheckOpportunityRole, CheckFail, strings.Join(role, "; "),
			"set contacts.opportunity_role.role to one of the valid values, or add it to OpportunityContactRole.Role "+
				"(Setup › Object Manager › Opportunity Contact Role › Fields & Relationships › Role › Values)")
	default:
		d.set(CheckOpportunityRole, CheckPass, fmt.Sprintf("%q is an OpportunityContactRole.Role value (policy %s)", cfg.Contacts.OpportunityRole.Role, p), "")
	}
}

// ---- owners ----

// ownerRow is one owner_email of the exports: a line of DoctorOwnersFile.
type ownerRow struct {
	email    string // lower case, as the plan matches it
	leads    int
	status   string // ok, no_user, inactive
	userID   string
	username string
	signIn   string // the owner's sign-in: ok, no_token, revoked, ... ("" not checked)
	access   string // once signed in: ok, api_disabled, read_only, error ("" not checked)
}

func (d *doctor) checkOwners(ctx context.Context) {
	leads, err := input.ReadLeads(ctx, d.cfg.SalesNav.Leads...)
	if err != nil {
		d.set(CheckOwners, CheckFail, "reading the lead exports: "+err.Error(), "fix the export named")
		return
	}
	users, err := d.sf.QueryRecords(ctx, "SELECT Id, Username, Email, IsActive FROM User")
	if err != nil {
		d.set(CheckOwners, CheckFail, "querying the Users: "+err.Error(), "give the integration user read access to User")
		return
	}
	type user struct {
		id, username string
		active       bool
	}
	byEmail := map[string]user{}
	for _, r := range users {
		u := user{id: r.String("Id"), username: r.String("Username")}
		u.active, _ = r.Get("IsActive").(bool)
		k := strings.ToLower(strings.TrimSpace(r.String("Email")))
		// As the plan: prefer the active user, then the lowest id.
		if prev, ok := byEmail[k]; !ok || (!prev.active && u.active) || (prev.active == u.active && u.id < prev.id) {
			byEmail[k] = u
		}
	}
	rows := map[string]*ownerRow{}
	noOwner := 0
	for _, l := range leads.Leads {
		k := strings.ToLower(strings.TrimSpace(l.OwnerEmail))
		if k == "" {
			noOwner++
			continue
		}
		r := rows[k]
		if r == nil {
			r = &ownerRow{email: k, status: "no_user"}
			if u, ok := byEmail[k]; ok {
				r.userID, r.username, r.status = u.id, u.username, "ok"
				if !u.active {
					r.status = "inactive"
				}
			}
			rows[k] = r
		}
		r.leads++
	}
	d.owners = make([]ownerRow, 0, len(rows))
	for _, r := range rows {
		d.owners = append(d.owners, *r)
	}
	slices.SortFunc(d.owners, func(a, b ownerRow) int { return strings.Compare(a.email, b.email) })
	d.ownerUser = map[string]*ownerRow{}
	var ok, none, inactive, noneLeads, inactiveLeads int
	for i := range d.owners {
		r := &d.owners[i]
		switch r.status {
		case "ok":
			ok++
			d.ownerUser[strings.ToLower(r.username)] = r
		case "no_user":
			none++
			noneLeads += r.leads
		case "inactive":
			inactive++
			inactiveLeads += r.leads
		}
	}
	d.rep.OwnersFile = filepath.Join(d.cfg.Reports.Dir, DoctorOwnersFile)
	s := fmt.Sprintf("%d owner(s) in %d lead(s): %d active User(s), %d with no User (%d leads), %d inactive (%d leads)",
		len(d.owners), len(leads.Leads), ok, none, noneLeads, inactive, inactiveLeads)
	if noOwner > 0 {
		s += fmt.Sprintf("; %d lead(s) have no owner_email", noOwner)
	}
	s += "; the addresses are in " + d.rep.OwnersFile
	switch {
	case none > 0 || inactive > 0:
		var fix []string
		if none > 0 {
			fix = append(fix, "no_user: the seat holder's Salesforce User must have the same email (User.Email, case-insensitive), or reassign the leads in Sales Navigator "+
				"(until then their leads are owner_not_in_crm: \""+OwnerNotInCRMMessage+"\")")
		}
		if inactive > 0 {
			fix = append(fix, "inactive: reactivate the User (Setup › Users) or reassign the leads (until then they are owner_inactive)")
		}
		d.set(CheckOwners, CheckFail, s, "see the status column of "+d.rep.OwnersFile+": "+strings.Join(fix, "; "))
	case noOwner > 0:
		d.set(CheckOwners, CheckWarn, s, "export the leads with their owner_email column filled: a lead without an owner never gets a Contact (owner_not_in_crm)")
	default:
		d.set(CheckOwners, CheckPass, s, "")
	}
}

// ---- owners' tokens ----

// tokenRow is one file of the token store: a line of DoctorTokensFile.
type tokenRow struct {
	file, username, userID, orgID string
	status                        string // ok, other_org, no_identity, no_refresh_token, insecure, unreadable; then ok, revoked, ip_restricted, ...
	detail                        string
	access                        string // as ownerRow.access
	tok                           *sfbulk.Token
}

func (d *doctor) checkOwnerTokens(ctx context.Context) {
	switch d.cfg.Contacts.Auth.Flow {
	case FlowJWT:
		d.set(CheckOwnerTokenOrg, CheckSkip, "contacts.auth.flow is jwt: no token is stored, each owner signs in by JWT with the connected app's key", "")
		d.jwtOwners(ctx)
	case FlowRefreshToken:
		d.storedTokens(ctx)
	default:
		d.set(CheckOwnerSignIn, CheckFail, fmt.Sprintf("contacts.auth.flow %q", d.cfg.Contacts.Auth.Flow), "set contacts.auth.flow to jwt or refresh_token")
	}
	d.skipFrom("no owner signed in (owner_sign_in)", CheckOwnerAccess)
}

// ownerAccess describes Contact as the owner (one API call): the API must
// be enabled for the owner's profile, and Contact createable for it.
func (d *doctor) ownerAccess(ctx context.Context, ts sfbulk.TokenSource) (kind, detail string) {
	cfg := d.api
	cfg.ExpectOrgID = d.orgID
	c, err := sfbulk.New(ctx, cfg, ts)
	if err != nil {
		return "error", err.Error()
	}
	desc, err := c.Describe(ctx, "Contact")
	switch {
	case errors.Is(err, sfbulk.ErrAPIDisabled):
		return "api_disabled", "API_DISABLED_FOR_ORG"
	case err != nil:
		return "error", err.Error()
	case !desc.Createable:
		return "read_only", "Contact is not createable for the owner"
	}
	return "ok", ""
}

// signInResult is one owner's sign-in, explained, and what the owner
// may do once signed in.
type signInResult struct {
	row     *ownerRow // jwt
	tok     *tokenRow // refresh_token
	outcome authOutcome
	err     error
	access  string // ownerAccess's kind ("" not checked)
}

// jwtOwners signs every active owner of the exports in by JWT.
func (d *doctor) jwtOwners(ctx context.Context) {
	if d.owners == nil {
		d.set(CheckOwnerSignIn, CheckSkip, "not checked: the owners are unknown (owners)", "")
		return
	}
	key, err := os.ReadFile(d.cfg.OwnerKeyFile())
	if err != nil {
		d.set(CheckOwnerSignIn, CheckFail, "the owners' JWT key: "+err.Error(), "set contacts.auth.private_key_file to the connected app's key (mode 0600)")
		return
	}
	var rows []*ownerRow
	for i := range d.owners {
		if d.owners[i].status == "ok" {
			rows = append(rows, &d.owners[i])
		}
	}
	res := make([]signInResult, len(rows))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.o.Parallel)
	for i, r := range rows {
		g.Go(func() error {
			res[i].row = r
			ts, err := sfbulk.NewJWTSource(d.oc, r.username, key)
			if err != nil {
				res[i].err = err
				return nil
			}
			tok, err := ts.Refresh(d.addr.trace(gctx), nil)
			res[i].err = err
			if err == nil && d.orgID != "" && !sfbulk.SameOrg(tok.ID, d.orgID) {
				res[i].err = fmt.Errorf("signed in to another org than the job's %s: %w", d.orgID, sfbulk.ErrOrgMismatch)
			}
			if res[i].err == nil {
				res[i].access, _ = d.ownerAccess(gctx, ts)
			}
			return nil
		})
	}
	_ = g.Wait()
	d.summarizeSignIns(res, FlowJWT, len(rows), 0)
}

// storedTokens checks every token of the store: its file and org, then
// whether Salesforce still honours its refresh token.
func (d *doctor) storedTokens(ctx context.Context) {
	dir := d.cfg.Contacts.Auth.TokenStore
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.set(CheckOwnerTokenOrg, CheckFail, "reading contacts.auth.token_store: "+err.Error(), "")
		d.set(CheckOwnerSignIn, CheckSkip, "not checked: the token store could not be read (owner_token_org)", "")
		return
	}
	d.rep.TokensFile = filepath.Join(d.cfg.Reports.Dir, DoctorTokensFile)
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		t := tokenRow{file: filepath.Join(dir, name)}
		t.username, _ = url.PathUnescape(strings.TrimSuffix(name, ".json"))
		tok, err := sfbulk.NewFileTokenStore(t.file).Load(ctx)
		switch {
		case errors.Is(err, sfbulk.ErrTokenStoreInsecure):
			t.status, t.detail = "insecure", "group or others may read it: refused by runs (chmod 600 it)"
		case err != nil:
			t.status, t.detail = "unreadable", err.Error()
		default:
			t.tok = tok
			if tok.Username != "" {
				t.username = tok.Username
			}
			org, user, perr := sfbulk.ParseIdentityURL(tok.ID)
			t.orgID, t.userID = org, user
			switch {
			case tok.RefreshToken == "":
				t.status, t.detail = "no_refresh_token", "no refresh token: the owner signs in again"
			case perr != nil:
				t.status, t.detail = "no_identity", "no identity: the owner signs in again"
			case d.orgID != "" && !sfbulk.SameOrg(org, d.orgID):
				t.status, t.detail = "other_org", fmt.Sprintf("a token of org %s; the job's org is %s: runs refuse it (different_instance)", org, d.orgID)
			default:
				t.status = "ok"
			}
		}
		d.tokens = append(d.tokens, t)
	}
	counts := map[string]int{}
	for _, t := range d.tokens {
		counts[t.status]++
	}
	var bad []string
	for _, k := range []string{"other_org", "no_identity", "no_refresh_token", "insecure", "unreadable"} {
		if counts[k] > 0 {
			bad = append(bad, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	switch {
	case len(d.tokens) == 0:
		d.set(CheckOwnerTokenOrg, CheckPass, "no owner token is stored yet ("+dir+")", "")
	case len(bad) > 0:
		fix := "see the status column of " + d.rep.TokensFile + ": other_org: a token of another org (a sandbox's?) is never used; the owner signs in again " +
			"against this org's login host (navsync auth login --user USERNAME), or delete the file; insecure: chmod 600 the file; " +
			"no_identity, no_refresh_token, unreadable: the owner signs in again"
		d.set(CheckOwnerTokenOrg, CheckFail, fmt.Sprintf("%d stored token(s): %d ok, %s; the usernames are in %s", len(d.tokens), counts["ok"],
			strings.Join(bad, ", "), d.rep.TokensFile), fix)
	case d.orgID == "":
		d.set(CheckOwnerTokenOrg, CheckWarn, fmt.Sprintf("%d stored token(s), none checked against the job's org: it is unknown (set salesforce.org_id, or fix sign_in)", len(d.tokens)), "")
	default:
		d.set(CheckOwnerTokenOrg, CheckPass, fmt.Sprintf("%d stored token(s), all of org %s", len(d.tokens), d.orgID), "")
	}

	// Refresh each usable token: a real token request, saved back to its
	// file as a run would (a rotated refresh token must not be lost).
	var todo []*tokenRow
	for i := range d.tokens {
		if d.tokens[i].status == "ok" {
			todo = append(todo, &d.tokens[i])
		}
	}
	res := make([]signInResult, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.o.Parallel)
	for i, t := range todo {
		g.Go(func() error {
			res[i].tok = t
			ts, err := sfbulk.NewRefreshTokenSource(d.oc, sfbulk.NewFileTokenStore(t.file))
			if err == nil {
				_, err = ts.Refresh(d.addr.trace(gctx), nil)
			}
			res[i].err = err
			if err == nil {
				res[i].access, _ = d.ownerAccess(gctx, ts)
			}
			return nil
		})
	}
	_ = g.Wait()
	// Owners of the exports with no usable token: their leads are
	// owner_not_authorized.
	missing := 0
	if d.owners != nil {
		have := map[string]bool{}
		for _, t := range d.tokens {
			if t.status == "ok" {
				have[strings.ToLower(t.username)] = true
			}
		}
		for i := range d.owners {
			r := &d.owners[i]
			if r.status == "ok" && !have[strings.ToLower(r.username)] {
				r.signIn = "no_token"
				missing++
			}
		}
	}
	d.summarizeSignIns(res, FlowRefreshToken, len(todo), missing)
}

// summarizeSignIns sets owner_sign_in from the owners' token requests.
func (d *doctor) summarizeSignIns(res []signInResult, flow string, tried, missing int) {
	counts := map[string]int{}
	fixes := map[string]string{}
	var kinds []string
	for i := range res {
		r := &res[i]
		status := "ok"
		if r.err != nil {
			r.outcome = d.authFailure(r.err, flow, true)
			status = r.outcome.kind
		}
		d.noteLogin(true, r.outcome.ipRefused)
		if r.row != nil {
			r.row.signIn, r.row.access = status, r.access
		}
		if r.tok != nil {
			r.tok.status, r.tok.detail, r.tok.access = status, r.outcome.detail, r.access
			if u := d.ownerUser[strings.ToLower(r.tok.username)]; u != nil {
				u.signIn, u.access = status, r.access
			}
		}
		if status == "ok" {
			counts["ok"]++
			continue
		}
		if counts[status] == 0 {
			kinds = append(kinds, status)
			fixes[status] = r.outcome.fix
		}
		counts[status]++
	}
	where, col := d.rep.OwnersFile, " (column sign_in)"
	if flow == FlowRefreshToken {
		where, col = d.rep.TokensFile, " (column status)"
	}
	what := "owner(s) of the exports signed in by JWT"
	if flow == FlowRefreshToken {
		what = "stored refresh token(s) refreshed"
	}
	d.summarizeAccess(res, where+" (column access)")
	if tried == 0 && missing == 0 {
		d.set(CheckOwnerSignIn, CheckPass, "no owner to sign in", "")
		return
	}
	s := fmt.Sprintf("%d of %d %s", counts["ok"], tried, what)
	if len(kinds) > 0 {
		slices.Sort(kinds)
		var parts, fix []string
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
			if fixes[k] != "" {
				fix = append(fix, k+": "+fixes[k])
			}
		}
		s += "; refused: " + strings.Join(parts, ", ") + "; who: " + where + col
		if missing > 0 {
			s += fmt.Sprintf("; %d active owner(s) of the exports have no stored token", missing)
		}
		d.set(CheckOwnerSignIn, CheckFail, s, strings.Join(fix, "; "))
		return
	}
	if missing > 0 {
		d.set(CheckOwnerSignIn, CheckWarn, s+fmt.Sprintf("; %d active owner(s) of the exports have no stored token: their leads are skipped (owner_not_authorized); who: %s",
			missing, d.rep.OwnersFile), "each of them signs in once: navsync auth login --user USERNAME")
		return
	}
	d.set(CheckOwnerSignIn, CheckPass, s, "")
}

// summarizeAccess sets owner_access from what the owners who signed in
// may do.
func (d *doctor) summarizeAccess(res []signInResult, where string) {
	counts := map[string]int{}
	n := 0
	for _, r := range res {
		if r.access != "" {
			n++
			counts[r.access]++
		}
	}
	if n == 0 {
		return // skipped: no owner signed in
	}
	if counts["ok"] == n {
		d.set(CheckOwnerAccess, CheckPass, fmt.Sprintf("%d owner(s) described Contact with their own token: API enabled, Contact createable", n), "")
		return
	}
	var parts, fix []string
	for _, k := range []string{"api_disabled", "read_only", "error"} {
		if counts[k] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		switch k {
		case "api_disabled":
			fix = append(fix, "api_disabled: "+apiFix+" (until then their leads are owner_api_disabled)")
		case "read_only":
			fix = append(fix, "read_only: give the owners' profile or a permission set Create on Contact (their Contacts fail with INSUFFICIENT_ACCESS_OR_READONLY)")
		}
	}
	d.set(CheckOwnerAccess, CheckFail, fmt.Sprintf("%d of %d owner(s) may create Contacts; %s; who: %s", counts["ok"], n,
		strings.Join(parts, ", "), where), strings.Join(fix, "; "))
}

// ---- files ----

// writeFiles writes who is behind the owners' and tokens' counts into the
// reports folder (0600).
func (d *doctor) writeFiles() {
	if d.owners != nil {
		rows := [][]string{{"owner_email", "leads", "status", "user_id", "username", "sign_in", "access"}}
		for _, r := range d.owners {
			rows = append(rows, []string{r.email, fmt.Sprint(r.leads), r.status, r.userID, r.username, r.signIn, r.access})
		}
		if err := writePrivateCSV(d.rep.OwnersFile, rows); err != nil {
			d.fileFailed(CheckOwners, err)
		}
	}
	if d.rep.TokensFile != "" {
		rows := [][]string{{"file", "username", "user_id", "org_id", "status", "detail", "access"}}
		for _, t := range d.tokens {
			rows = append(rows, []string{t.file, t.username, t.userID, t.orgID, t.status, t.detail, t.access})
		}
		if err := writePrivateCSV(d.rep.TokensFile, rows); err != nil {
			d.fileFailed(CheckOwnerTokenOrg, err)
		}
	}
}

func (d *doctor) fileFailed(check string, err error) {
	r := d.res[check]
	if r == nil {
		return
	}
	r.Detail += "; writing the file failed: " + err.Error()
	if r.Status == CheckPass {
		r.Status = CheckWarn
	}
}

// writePrivateCSV writes rows to path through a temporary file, mode 0600.
func writePrivateCSV(path string, rows [][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(w io.Writer) error { return csv.NewWriter(w).WriteAll(rows) })
}
