package main

import (
	"context"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// doctorOrg is a simulator org serving a generated world whose exports
// have only active owners, and a config for it written by writeSimConfig
// with contact creation on (owners sign in by JWT).
type doctorOrg struct {
	srv   *sfsim.Server
	base  string // the org's login_url
	world *fixtures.World
	path  string // the config
	dir   string
	hc    *http.Client // non-nil when the org hides behind a Salesforce host name (TLS)
}

// cleanWorld is a small world whose every lead owner is an active User
// who may create Contacts: the leads of the no_user, inactive, read-only
// and no-API seats go to an active seat.
func cleanWorld(t *testing.T) *fixtures.World {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: 11, People: 300})
	if err != nil {
		t.Fatal(err)
	}
	active := ""
	for _, s := range w.Seats {
		if s.Scenario == fixtures.OwnerActive {
			active = s.Email
			break
		}
	}
	if active == "" {
		t.Fatal("the world has no active seat")
	}
	for i := range w.SNLeads {
		switch w.LeadTruth[i].OwnerScenario {
		case fixtures.OwnerNoUser, fixtures.OwnerInactive, fixtures.OwnerReadOnly, fixtures.OwnerNoAPI:
			w.SNLeads[i].OwnerEmail = active
		}
	}
	return w
}

// newDoctorOrg starts the org. host "" serves it on loopback over plain
// http (login_url http://127.0.0.1:PORT); a host such as
// login.salesforce.com serves it over TLS under that name, reached
// through org.hc, which dials the test server whatever the host.
func newDoctorOrg(t *testing.T, opts sfsim.Options, host string) *doctorOrg {
	t.Helper()
	w := cleanWorld(t)
	o := &doctorOrg{world: w}
	hs := httptest.NewUnstartedServer(nil)
	o.base = "http://" + hs.Listener.Addr().String()
	if host != "" {
		o.base = "https://" + host
	}
	opts.BaseURL = o.base
	srv, err := sfsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := seedSimWorld(srv, w); err != nil {
		t.Fatal(err)
	}
	o.srv = srv
	hs.Config.Handler = srv.Handler()
	if host != "" {
		hs.StartTLS()
		addr := hs.Listener.Addr().String()
		o.hc = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test server's certificate does not name the host
		}}
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)

	o.path = filepath.Join(t.TempDir(), "navsync.yaml")
	o.dir = filepath.Dir(o.path)
	admin := srv.AdminUser().Username
	_, rt, err := srv.IssueToken(admin)
	if err != nil {
		t.Fatal(err)
	}
	app := srv.ConnectedApp()
	if err := writeSimConfig(context.Background(), o.path, simConfig{loginURL: o.base, orgID: srv.OrgID(), clientID: app.ClientID,
		clientSecret: app.ClientSecret, username: admin, refreshToken: rt, world: w, srv: srv}); err != nil {
		t.Fatal(err)
	}
	return o
}

// doctor runs the checks against the org.
func (o *doctorOrg) doctor(t *testing.T) *batch.DoctorReport {
	t.Helper()
	return batch.Doctor(context.Background(), o.path, batch.DoctorOptions{HTTPClient: o.hc})
}

// editConfig replaces old (which must occur once) in the config.
func (o *doctorOrg) editConfig(t *testing.T, old, new string) {
	t.Helper()
	b, err := os.ReadFile(o.path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("config holds %q %d times:\n%s", old, n, b)
	}
	if err := os.WriteFile(o.path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seat is a seat of the world with the scenario, and its User.
func (o *doctorOrg) seat(t *testing.T, scenario string) (fixtures.Seat, fixtures.User) {
	t.Helper()
	for _, s := range o.world.Seats {
		if s.Scenario != scenario || s.UserID == "" {
			continue
		}
		for _, u := range o.world.Users {
			if u.ID == s.UserID {
				return s, u
			}
		}
	}
	t.Fatalf("no %s seat", scenario)
	return fixtures.Seat{}, fixtures.User{}
}

// ownerUsers are the Users owning leads of the exports.
func (o *doctorOrg) ownerUsers() []fixtures.User {
	owners := map[string]bool{}
	for _, l := range o.world.SNLeads {
		owners[strings.ToLower(l.OwnerEmail)] = true
	}
	var out []fixtures.User
	for _, u := range o.world.Users {
		if owners[strings.ToLower(u.Email)] {
			out = append(out, u)
		}
	}
	return out
}

// useOwnerTokens switches contacts.auth to refresh_token with a token
// store holding a consent of every owner, as navsync auth login leaves
// it; it returns the store folder and each owner's refresh token.
func (o *doctorOrg) useOwnerTokens(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(o.dir, "owner-tokens")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	refresh := map[string]string{}
	for _, u := range o.ownerUsers() {
		access, rt, err := o.srv.IssueToken(u.Username)
		if err != nil {
			t.Fatal(err)
		}
		tok := &sfbulk.Token{AccessToken: access, RefreshToken: rt, InstanceURL: o.base, ID: o.base + "/id/" + o.srv.OrgID() + "/" + u.ID, Username: u.Username}
		if err := sfbulk.UserTokenStore(dir, u.Username).Save(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		refresh[u.Username] = rt
	}
	o.editConfig(t, "    flow: jwt\n    private_key_file: \"jwt.key\"\n", "    flow: refresh_token\n    token_store: \"owner-tokens\"\n")
	return dir, refresh
}

// statuses maps check names to statuses.
func statuses(rep *batch.DoctorReport) map[string]string {
	m := map[string]string{}
	for _, c := range rep.Checks {
		m[c.Name] = c.Status
	}
	return m
}

func failedNames(rep *batch.DoctorReport) []string {
	var out []string
	for _, c := range rep.Failed() {
		out = append(out, c.Name)
	}
	return out
}

func dumpReport(rep *batch.DoctorReport) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString("\n  " + strings.ToUpper(c.Status) + " " + c.Name + ": " + c.Detail)
		if c.Fix != "" {
			b.WriteString("\n      fix: " + c.Fix)
		}
	}
	return b.String()
}

// readCSV reads a doctor file, checking it is private.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestDoctorCleanOrg: every check passes on a clean simulator org (the
// two that do not apply to its config are skipped), with owners signing
// in by JWT and, in a second config, with stored refresh tokens.
func TestDoctorCleanOrg(t *testing.T) {
	o := newDoctorOrg(t, sfsim.Options{}, "")
	rep := o.doctor(t)
	want := map[string]string{}
	for _, c := range batch.DoctorChecks {
		want[c.Name] = batch.CheckPass
	}
	want[batch.CheckOwnerTokenOrg] = batch.CheckSkip   // jwt: nothing stored
	want[batch.CheckOpportunityRole] = batch.CheckSkip // policy none
	if got := statuses(rep); !mapsEqual(got, want) {
		t.Fatalf("statuses %v, want %v%s", got, want, dumpReport(rep))
	}
	if len(rep.Checks) != len(batch.DoctorChecks) || rep.OrgID != o.srv.OrgID() || rep.HostAddress != "127.0.0.1" {
		t.Errorf("report: %d checks, org %s, address %q", len(rep.Checks), rep.OrgID, rep.HostAddress)
	}
	rows := readCSV(t, filepath.Join(o.dir, "reports", batch.DoctorOwnersFile))
	if len(rows) != len(o.ownerUsers())+1 {
		t.Errorf("owners file: %d rows for %d owners", len(rows)-1, len(o.ownerUsers()))
	}
	for _, r := range rows[1:] {
		if r[2] != "ok" || r[5] != "ok" || r[6] != "ok" {
			t.Errorf("owners file row %v: want status, sign_in and access ok", r)
		}
	}
	for _, c := range rep.Checks {
		for _, u := range o.world.Users {
			if strings.Contains(strings.ToLower(c.Detail+c.Fix), strings.ToLower(u.Email)) {
				t.Errorf("%s names the address of user %s: %s", c.Name, u.ID, c.Detail)
			}
		}
	}

	// Owners with stored refresh tokens.
	o.useOwnerTokens(t)
	rep = o.doctor(t)
	want[batch.CheckOwnerTokenOrg] = batch.CheckPass
	if got := statuses(rep); !mapsEqual(got, want) {
		t.Fatalf("refresh_token owners: statuses %v, want %v%s", got, want, dumpReport(rep))
	}
	rows = readCSV(t, filepath.Join(o.dir, "reports", batch.DoctorTokensFile))
	if len(rows) != len(o.ownerUsers())+1 {
		t.Errorf("tokens file: %d rows for %d owners", len(rows)-1, len(o.ownerUsers()))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDoctorFailures: each cause injected into the simulator fails its
// check (and only the checks it should), with the fix named.
func TestDoctorFailures(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		opts   sfsim.Options
		host   string // "" loopback; else the Salesforce host the org answers as
		inject func(t *testing.T, o *doctorOrg)
		fail   []string // exactly the checks that fail
		check  string   // the check whose detail and fix are inspected
		detail []string // in its detail
		fix    []string // in its fix
		after  func(t *testing.T, o *doctorOrg, rep *batch.DoctorReport)
	}{
		{
			name: "API disabled for the integration user",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.Set("User", o.srv.AdminUser().ID, map[string]string{"ProfileId": sfid.ProfileNoAPI}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckAPIEnabled}, check: batch.CheckAPIEnabled,
			detail: []string{"API_DISABLED_FOR_ORG"}, fix: []string{"\"API Enabled\"", "System Permissions"},
		},
		{
			name: "writeback field hidden on Lead",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetFieldAccess(sfid.ProfileSystemAdmin, "Lead", "LinkedIn_Profile_URL__c", sfsim.FieldHidden); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckWritebackFields}, check: batch.CheckWritebackFields,
			detail: []string{"not visible", "Lead.LinkedIn_Profile_URL__c"}, fix: []string{"deploy", "Field-Level Security"},
		},
		{
			name: "writeback field read-only on Contact",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetFieldAccess(sfid.ProfileSystemAdmin, "Contact", "Sales_Navigator_Lead_Id__c", sfsim.FieldReadOnly); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckWritebackFields}, check: batch.CheckWritebackFields,
			detail: []string{"read-only", "Contact.Sales_Navigator_Lead_Id__c"}, fix: []string{"Read-Only", "Field-Level Security"},
		},
		{
			name: "Contact field navsync sets is not createable",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetFieldAccess(sfid.ProfileSystemAdmin, "Contact", "Title", sfsim.FieldReadOnly); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckContactFields}, check: batch.CheckContactFields,
			detail: []string{"Contact.Title is not createable"}, fix: []string{"Field-Level Security"},
		},
		{
			name: "lead_source not in the picklist",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetPicklist("Contact", "LeadSource", []string{"Web", "Partner Referral"}, true); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckLeadSource}, check: batch.CheckLeadSource,
			detail: []string{"not an active value", "\"Web\", \"Partner Referral\""}, fix: []string{"contacts.lead_source", "Lead Source › Values"},
		},
		{
			name: "opportunity role not in the picklist",
			inject: func(t *testing.T, o *doctorOrg) {
				o.editConfig(t, "  enabled: true\n", "  enabled: true\n  opportunity_role: {policy: single_open_opportunity, role: Champion}\n")
			},
			fail: []string{batch.CheckOpportunityRole}, check: batch.CheckOpportunityRole,
			detail: []string{"\"Champion\"", "\"Decision Maker\""}, fix: []string{"contacts.opportunity_role.role", "Role › Values"},
		},
		{
			name: "an owner with no User and an inactive owner",
			inject: func(t *testing.T, o *doctorOrg) {
				_, gone := o.seat(t, fixtures.OwnerActive)
				if err := o.srv.Set("User", gone.ID, map[string]string{"Email": "someone.else@elsewhere.example"}); err != nil {
					t.Fatal(err)
				}
				_, off := o.seat(t, fixtures.OwnerActiveCase)
				if err := o.srv.Set("User", off.ID, map[string]string{"IsActive": "false"}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckOwners}, check: batch.CheckOwners,
			detail: []string{"1 with no User", "1 inactive", batch.DoctorOwnersFile}, fix: []string{"User.Email", "reactivate"},
			after: func(t *testing.T, o *doctorOrg, rep *batch.DoctorReport) {
				active, _ := o.seat(t, fixtures.OwnerActive)
				ro, _ := o.seat(t, fixtures.OwnerActiveCase)
				got := map[string]string{}
				for _, r := range readCSV(t, rep.OwnersFile)[1:] {
					got[r[0]] = r[2]
				}
				if got[strings.ToLower(active.Email)] != "no_user" || got[strings.ToLower(ro.Email)] != "inactive" {
					t.Errorf("owners file statuses %v", got)
				}
				c := rep.Check(batch.CheckOwners)
				for _, e := range []string{active.Email, ro.Email} {
					if strings.Contains(strings.ToLower(c.Detail+c.Fix), strings.ToLower(e)) {
						t.Errorf("the output names an owner's address: %s", c.Detail)
					}
				}
			},
		},
		{
			name: "an owner without API access",
			inject: func(t *testing.T, o *doctorOrg) {
				_, u := o.seat(t, fixtures.OwnerActiveCase)
				if err := o.srv.Set("User", u.ID, map[string]string{"ProfileId": sfid.ProfileNoAPI}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckOwnerAccess}, check: batch.CheckOwnerAccess,
			detail: []string{"1 api_disabled", batch.DoctorOwnersFile}, fix: []string{"\"API Enabled\"", "owner_api_disabled"},
			after: func(t *testing.T, o *doctorOrg, rep *batch.DoctorReport) {
				n := 0
				for _, r := range readCSV(t, rep.OwnersFile)[1:] {
					if r[6] == "api_disabled" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("owners file: %d api_disabled rows", n)
				}
			},
		},
		{
			name: "a stored owner token of another org",
			inject: func(t *testing.T, o *doctorOrg) {
				dir, _ := o.useOwnerTokens(t)
				other, err := sfsim.New(sfsim.Options{OrgID: sfid.New(sfid.Organization, "7x", 9)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(other.Close)
				admin := other.AdminUser()
				access, rt, err := other.IssueToken(admin.Username)
				if err != nil {
					t.Fatal(err)
				}
				_, u := o.seat(t, fixtures.OwnerActive)
				tok := &sfbulk.Token{AccessToken: access, RefreshToken: rt, InstanceURL: "https://other.example.com",
					ID: "https://other.example.com/id/" + other.OrgID() + "/" + admin.ID, Username: u.Username}
				if err := sfbulk.UserTokenStore(dir, u.Username).Save(context.Background(), tok); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckOwnerTokenOrg}, check: batch.CheckOwnerTokenOrg,
			detail: []string{"1 other_org", batch.DoctorTokensFile}, fix: []string{"another org", "navsync auth login"},
			after: func(t *testing.T, o *doctorOrg, rep *batch.DoctorReport) {
				// Its owner has no usable token: a warning, not a failure.
				if c := rep.Check(batch.CheckOwnerSignIn); c.Status != batch.CheckWarn || !strings.Contains(c.Detail, "1 active owner(s) of the exports have no stored token") {
					t.Errorf("owner_sign_in: %s: %s", c.Status, c.Detail)
				}
				n := 0
				for _, r := range readCSV(t, rep.TokensFile)[1:] {
					if r[4] == "other_org" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("tokens file: %d other_org rows", n)
				}
			},
		},
		{
			name: "a revoked owner refresh token",
			inject: func(t *testing.T, o *doctorOrg) {
				_, refresh := o.useOwnerTokens(t)
				_, u := o.seat(t, fixtures.OwnerActive)
				app := o.srv.ConnectedApp()
				if err := sfbulk.Revoke(context.Background(), sfbulk.OAuthConfig{LoginURL: o.base, ClientID: app.ClientID}, refresh[u.Username]); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckOwnerSignIn}, check: batch.CheckOwnerSignIn,
			detail: []string{"1 revoked", batch.DoctorTokensFile},
			fix:    []string{"navsync auth login", "Refresh token is valid until revoked", "Lock sessions to the IP address"},
		},
		{
			name: "the integration user's refresh token revoked",
			inject: func(t *testing.T, o *doctorOrg) {
				cfg, err := batch.Load(o.path)
				if err != nil {
					t.Fatal(err)
				}
				tok, err := sfbulk.UserTokenStore(cfg.Salesforce.Auth.TokenStore, cfg.Salesforce.Auth.Username).Load(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if err := sfbulk.Revoke(context.Background(), sfbulk.OAuthConfig{LoginURL: o.base, ClientID: cfg.Salesforce.Auth.ClientID}, tok.RefreshToken); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckSignIn}, check: batch.CheckSignIn,
			detail: []string{"invalid_grant", "revoked"}, fix: []string{"Refresh token is valid until revoked", "Lock sessions to the IP address"},
		},
		{
			name: "a sandbox org behind login.salesforce.com",
			host: "login.salesforce.com",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.Set("Organization", o.srv.OrgID(), map[string]string{"IsSandbox": "true"}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckLoginHost}, check: batch.CheckLoginHost,
			detail: []string{"is a sandbox", "https://login.salesforce.com"}, fix: []string{"https://test.salesforce.com", ".sandbox.my.salesforce.com"},
		},
		{
			name:   "a production org behind test.salesforce.com",
			host:   "test.salesforce.com",
			fail:   []string{batch.CheckLoginHost},
			check:  batch.CheckLoginHost,
			detail: []string{"production org", "https://test.salesforce.com"}, fix: []string{"https://login.salesforce.com"},
		},
		{
			name: "a sandbox org behind test.salesforce.com passes",
			host: "test.salesforce.com",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.Set("Organization", o.srv.OrgID(), map[string]string{"IsSandbox": "true"}); err != nil {
					t.Fatal(err)
				}
			},
			check: batch.CheckLoginHost, detail: []string{"is a sandbox login host and the org is a sandbox"},
		},
		{
			name: "the integration user's profile login IP ranges exclude this host",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetProfileLoginIPRanges(sfid.ProfileSystemAdmin, []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckSignIn, batch.CheckLoginIP}, check: batch.CheckLoginIP,
			detail: []string{"127.0.0.1", "the integration user"},
			fix:    []string{"127.0.0.1", "Setup › Network Access", "Relax IP restrictions"},
			after: func(t *testing.T, o *doctorOrg, rep *batch.DoctorReport) {
				if c := rep.Check(batch.CheckSignIn); !strings.Contains(c.Fix, "127.0.0.1") {
					t.Errorf("sign_in fix %q does not name the address", c.Fix)
				}
			},
		},
		{
			name: "the owners' profile login IP ranges exclude this host",
			inject: func(t *testing.T, o *doctorOrg) {
				if err := o.srv.SetProfileLoginIPRanges(sfid.ProfileStandard, []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}); err != nil {
					t.Fatal(err)
				}
			},
			fail: []string{batch.CheckLoginIP, batch.CheckOwnerSignIn}, check: batch.CheckLoginIP,
			detail: []string{"127.0.0.1", "owner(s)"},
			fix:    []string{"127.0.0.1", "Login IP Ranges", "Relax IP restrictions"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := newDoctorOrg(t, tc.opts, tc.host)
			if tc.inject != nil {
				tc.inject(t, o)
			}
			rep := batch.Doctor(ctx, o.path, batch.DoctorOptions{HTTPClient: o.hc})
			t.Log(dumpReport(rep))
			got := failedNames(rep)
			slices.Sort(got)
			want := slices.Clone(tc.fail)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("failed checks %v, want %v%s", got, want, dumpReport(rep))
			}
			c := rep.Check(tc.check)
			if len(tc.fail) > 0 && c.Status != batch.CheckFail {
				t.Fatalf("%s: %s", tc.check, c.Status)
			}
			for _, s := range tc.detail {
				if !strings.Contains(c.Detail, s) {
					t.Errorf("%s detail %q lacks %q", tc.check, c.Detail, s)
				}
			}
			for _, s := range tc.fix {
				if !strings.Contains(c.Fix, s) {
					t.Errorf("%s fix %q lacks %q", tc.check, c.Fix, s)
				}
			}
			if tc.after != nil {
				tc.after(t, o, rep)
			}
		})
	}
}

// TestDoctorCommand: navsync doctor prints each check with its fix and
// exits 0 on a clean org, 1 when a check fails (--json gives the same
// results), 5 when the config cannot be loaded; no address of an owner
// reaches stdout or the log.
func TestDoctorCommand(t *testing.T) {
	ctx := context.Background()
	o := newDoctorOrg(t, sfsim.Options{}, "")
	code, stdout, stderr := navsyncIn(ctx, "doctor", "--config", o.path)
	if code != exitOK {
		t.Fatalf("clean org: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, c := range batch.DoctorChecks {
		if !strings.Contains(stdout, c.Name) || !strings.Contains(stdout, c.Title) {
			t.Errorf("stdout lacks check %s:\n%s", c.Name, stdout)
		}
	}
	if !strings.Contains(stdout, "PASS  config") || !strings.Contains(stdout, "SKIP  opportunity_role") || !strings.Contains(stdout, "0 failed") {
		t.Errorf("stdout:\n%s", stdout)
	}
	assertNoOwnerAddress(t, o, stdout+stderr)

	_, u := o.seat(t, fixtures.OwnerActive)
	if err := o.srv.Set("User", u.ID, map[string]string{"IsActive": "false"}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = navsyncIn(ctx, "doctor", "--config", o.path)
	if code != exitFailure || !strings.Contains(stdout, "FAIL  owners") || !strings.Contains(stdout, "fix: ") ||
		!strings.Contains(errorLine(stderr), "doctor: 1 check(s) failed: owners") {
		t.Errorf("inactive owner: exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertNoOwnerAddress(t, o, stdout+stderr)

	code, stdout, stderr = navsyncIn(ctx, "doctor", "--config", o.path, "--json")
	var got struct {
		OK         bool                `json:"ok"`
		OwnersFile string              `json:"owners_file"`
		Checks     []batch.CheckResult `json:"checks"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if code != exitFailure || got.OK || len(got.Checks) != len(batch.DoctorChecks) || got.OwnersFile == "" {
		t.Errorf("--json: exit %d, %+v", code, got)
	}
	for _, c := range got.Checks {
		if c.Name == "" || c.Title == "" || c.Status == "" || c.Detail == "" {
			t.Errorf("--json check without name, title, status or detail: %+v", c)
		}
		if c.Name == batch.CheckOwners && (c.Status != batch.CheckFail || c.Fix == "") {
			t.Errorf("--json owners: %+v", c)
		}
	}
	assertNoOwnerAddress(t, o, stdout+stderr)

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("salesforce:\n  login_url: ftp://x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = navsyncIn(ctx, "doctor", "--config", bad)
	if code != exitBadInput || !strings.Contains(stdout, "FAIL  config") || !strings.Contains(stdout, "salesforce.login_url") ||
		!strings.Contains(stdout, "SKIP  sign_in") {
		t.Errorf("bad config: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, _ := navsyncIn(ctx, "doctor", "--nope"); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}

func assertNoOwnerAddress(t *testing.T, o *doctorOrg, out string) {
	t.Helper()
	low := strings.ToLower(out)
	for _, l := range o.world.SNLeads {
		if l.OwnerEmail != "" && strings.Contains(low, strings.ToLower(l.OwnerEmail)) {
			t.Fatalf("the output names an owner's address:\n%s", out)
		}
	}
}
