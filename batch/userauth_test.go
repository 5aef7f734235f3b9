package batch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// ownerConfig is a config for acting as the world's users of org: the
// job's connected app, contact creation enabled with flow jwt (the app's
// key in a 0600 file) or refresh_token (an empty 0700 store folder).
func ownerConfig(t *testing.T, org *jobOrg, flow string) *Config {
	t.Helper()
	cfg := org.config(t)
	dir := filepath.Dir(cfg.Path)
	app := org.srv.ConnectedApp()
	writeFile(t, filepath.Join(dir, "client_secret"), app.ClientSecret+"\n", 0o600)
	cfg.Salesforce.LoginURL = org.hs.URL
	cfg.Salesforce.OrgID = org.srv.OrgID()
	cfg.Salesforce.Auth = AuthConfig{Flow: FlowRefreshToken, ClientID: app.ClientID, ClientSecretFile: filepath.Join(dir, "client_secret"),
		Username: org.srv.AdminUser().Username, TokenStore: filepath.Join(dir, "tokens")}
	cfg.Contacts.Enabled = true
	cfg.Contacts.LeadSource = "Web"
	switch flow {
	case FlowJWT:
		key := filepath.Join(dir, "jwt.key")
		writeFile(t, key, string(app.PrivateKeyPEM), 0o600)
		cfg.Contacts.Auth = OwnerAuthConfig{Flow: FlowJWT, PrivateKeyFile: key}
	case FlowRefreshToken:
		store := filepath.Join(dir, "owners")
		if err := os.Mkdir(store, 0o700); err != nil {
			t.Fatal(err)
		}
		cfg.Contacts.Auth = OwnerAuthConfig{Flow: FlowRefreshToken, TokenStore: store}
	}
	return cfg
}

func openLedger(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// worldUsers are the world's active users of a profile.
func worldUsers(w *fixtures.World, profile string) []fixtures.User {
	var out []fixtures.User
	for _, u := range w.Users {
		if u.IsActive && u.ProfileID == profile {
			out = append(out, u)
		}
	}
	return out
}

// createContact creates a Contact on the world's first Account with c and
// returns its id.
func createContact(t *testing.T, org *jobOrg, c *sfbulk.Client, last string) string {
	t.Helper()
	res, err := c.Create(context.Background(), "Contact", []sfbulk.Record{{"LastName": last, "AccountId": org.world.Accounts[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Success {
		t.Fatalf("create: %v", res[0].Err())
	}
	return res[0].ID
}

func TestUserClientsJWT(t *testing.T) {
	org := newJobOrg(t, 300, 21, sfsim.Options{})
	cfg := ownerConfig(t, org, FlowJWT)
	ctx := context.Background()
	for _, u := range org.world.Users {
		if err := org.srv.SetApproved(u.Username, true); err != nil {
			t.Fatal(err)
		}
	}
	ledger := openLedger(t)
	uc, err := NewUserClients(cfg, org.srv.OrgID(), ledger, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	reps := worldUsers(org.world, sfid.ProfileStandard)
	if len(reps) < 2 {
		t.Fatalf("the world has %d standard users", len(reps))
	}
	for _, u := range reps[:2] {
		c, err := uc.Client(ctx, u.ID, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		if id := c.Identity(); id.UserID != u.ID || !sfbulk.SameOrg(id.OrgID, org.srv.OrgID()) {
			t.Fatalf("client for %s acts as %+v", u.ID, id)
		}
		id := createContact(t, org, c, "Owner "+u.LastName)
		rec, _ := org.srv.Get("Contact", id)
		if rec["CreatedById"] != u.ID || rec["OwnerId"] != u.ID {
			t.Errorf("Contact created by %s, owned by %s; want %s", rec["CreatedById"], rec["OwnerId"], u.ID)
		}
	}
	// One client per user, also when asked concurrently.
	u := reps[0]
	first, _ := uc.Client(ctx, u.ID, u.Username)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if c, err := uc.Client(ctx, u.ID, u.Username); err != nil || c != first {
				t.Errorf("second client for the same user: %p %v, want %p", c, err, first)
			}
		})
	}
	wg.Wait()
	// Every call is in the ledger after Flush.
	if err := uc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_, day := state.MonthDay(time.Now(), time.UTC)
	if n, err := ledger.APICalls(ctx, u.ID, day); err != nil || n != 1 {
		t.Errorf("ledger holds %d calls of %s (%v), want 1", n, u.ID, err)
	}
	// A user the app does not pre-authorize: invalid_grant.
	ro := worldUsers(org.world, sfid.ProfileReadOnly)[0]
	if err := org.srv.SetApproved(ro.Username, false); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Client(ctx, ro.ID, ro.Username); !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("unapproved user: %v, want ErrAuthRevoked", err)
	}
	// A username that is not the user id's: refused, nothing cached for it.
	if _, err := uc.Client(ctx, reps[2].ID, reps[3].Username); !errors.Is(err, ErrOwnerNotAuthorized) {
		t.Errorf("username of another user: %v, want ErrOwnerNotAuthorized", err)
	}
}

// storeToken puts a refresh token of username, issued by srv, in the
// store folder as navsync auth login does.
func storeToken(t *testing.T, dir string, srv *sfsim.Server, baseURL, username string, withID bool) string {
	t.Helper()
	at, rt, err := srv.IssueToken(username)
	if err != nil {
		t.Fatal(err)
	}
	tok := &sfbulk.Token{RefreshToken: rt, Username: username}
	if withID { // as navsync auth login stores it: with the access token and identity
		u, _ := srv.LookupUser(username)
		tok.AccessToken, tok.ID, tok.InstanceURL = at, baseURL+"/id/"+srv.OrgID()+"/"+u.ID, baseURL
	}
	if err := sfbulk.UserTokenStore(dir, username).Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestUserClientsRefreshToken(t *testing.T) {
	org := newJobOrg(t, 300, 22, sfsim.Options{})
	cfg := ownerConfig(t, org, FlowRefreshToken)
	store := cfg.Contacts.Auth.TokenStore
	ctx := context.Background()
	reps := worldUsers(org.world, sfid.ProfileStandard)
	ledger := openLedger(t)
	uc, err := NewUserClients(cfg, org.srv.OrgID(), ledger, nil, nil)
	if err != nil {
		t.Fatal(err)
	}

	ok := reps[0]
	storeToken(t, store, org.srv, org.hs.URL, ok.Username, true)
	c, err := uc.Client(ctx, ok.ID, ok.Username)
	if err != nil {
		t.Fatal(err)
	}
	id := createContact(t, org, c, "Stored")
	if rec, _ := org.srv.Get("Contact", id); rec["CreatedById"] != ok.ID {
		t.Errorf("CreatedById %s, want %s", rec["CreatedById"], ok.ID)
	}
	// The fresh access token was saved back to the user's file.
	if tok, err := sfbulk.UserTokenStore(store, ok.Username).Load(ctx); err != nil || tok.AccessToken == "" {
		t.Errorf("stored token after use: %v, %v", tok, err)
	}

	// No stored token.
	none := reps[1]
	if _, err := uc.Client(ctx, none.ID, none.Username); !errors.Is(err, ErrOwnerNotAuthorized) {
		t.Errorf("no token: %v, want ErrOwnerNotAuthorized", err)
	}

	// Revoked at Salesforce: invalid_grant, before any API call.
	revoked := reps[2]
	rt := storeToken(t, store, org.srv, org.hs.URL, revoked.Username, true)
	resp, err := http.PostForm(org.hs.URL+"/services/oauth2/revoke", url.Values{"token": {rt}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, before := org.srv.APIUsage(revoked.ID)
	if _, err := uc.Client(ctx, revoked.ID, revoked.Username); !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("revoked token: %v, want ErrAuthRevoked", err)
	}
	// Remembered: a second ask does not go to Salesforce (a new token in the
	// file would work, yet the run keeps its verdict).
	storeToken(t, store, org.srv, org.hs.URL, revoked.Username, true)
	if _, err := uc.Client(ctx, revoked.ID, revoked.Username); !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("revoked token, asked again: %v", err)
	}
	if _, after := org.srv.APIUsage(revoked.ID); after != before {
		t.Errorf("API calls made for a revoked user: %d", after-before)
	}

	// Another org: a simulator with another org id holding the same users
	// and the same connected app.
	app := org.srv.ConnectedApp()
	other := newJobOrg(t, 300, 22, sfsim.Options{OrgID: sfid.New(sfid.Organization, "9z", 7), ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, JWTKey: app.PrivateKey})
	stranger := reps[3]
	storeToken(t, store, other.srv, other.hs.URL, stranger.Username, true)
	if _, err := uc.Client(ctx, stranger.ID, stranger.Username); !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("stored token of another org: %v, want ErrOrgMismatch", err)
	}
	// Signing in at the other org's login host (a token without id in the
	// store): the minted token is of the other org, and refused.
	cfg2 := *cfg
	cfg2.Salesforce.LoginURL = other.hs.URL
	uc2, err := NewUserClients(&cfg2, org.srv.OrgID(), ledger, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	storeToken(t, store, other.srv, other.hs.URL, reps[4].Username, false)
	if _, err := uc2.Client(ctx, reps[4].ID, reps[4].Username); !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("token minted by another org: %v, want ErrOrgMismatch", err)
	}
	cfg2.Contacts.Auth = OwnerAuthConfig{Flow: FlowJWT, PrivateKeyFile: filepath.Join(filepath.Dir(cfg.Path), "jwt.key")}
	writeFile(t, cfg2.Contacts.Auth.PrivateKeyFile, string(app.PrivateKeyPEM), 0o600)
	uc3, err := NewUserClients(&cfg2, org.srv.OrgID(), ledger, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc3.Client(ctx, ok.ID, ok.Username); !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("JWT at another org: %v, want ErrOrgMismatch", err)
	}

	// A store folder others may read is refused.
	if err := os.Chmod(store, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewUserClients(cfg, org.srv.OrgID(), ledger, nil, nil); err == nil {
		t.Error("a token store folder of mode 0755 was accepted")
	}
}

func TestUserClientsBudget(t *testing.T) {
	org := newJobOrg(t, 300, 23, sfsim.Options{})
	cfg := ownerConfig(t, org, FlowJWT)
	cfg.Contacts.DailyAPIBudget = 5
	cfg.Contacts.OrgTimeZone = "Pacific/Kiritimati" // UTC+14: the org's day is already tomorrow in UTC terms
	ctx := context.Background()
	ledger := openLedger(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	uc, err := NewUserClients(cfg, org.srv.OrgID(), ledger, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	uc.flushEvery = 20 * time.Millisecond
	u := worldUsers(org.world, sfid.ProfileStandard)[0]
	c, err := uc.Client(ctx, u.ID, u.Username)
	if err != nil {
		t.Fatal(err)
	}
	_, simBefore := org.srv.APIUsage(u.ID)
	for i := range 5 {
		if _, err := c.Limits(ctx); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	_, err = c.Limits(ctx)
	var be *sfbulk.BudgetError
	if !errors.Is(err, sfbulk.ErrBudgetExhausted) || !errors.As(err, &be) || be.Budget != 5 {
		t.Fatalf("6th call: %v, want ErrBudgetExhausted", err)
	}
	if _, simAfter := org.srv.APIUsage(u.ID); simAfter-simBefore != 5 {
		t.Errorf("the org counted %d calls, want 5", simAfter-simBefore)
	}
	// The timer writes the counts without Flush, under the org's day.
	const day = "2026-03-02"
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := ledger.APICalls(ctx, u.ID, day)
		if err != nil {
			t.Fatal(err)
		}
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger holds %d calls on %s, want 5 (written by the timer)", n, day)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := uc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := ledger.APICalls(ctx, u.ID, day); n != 5 {
		t.Errorf("ledger holds %d after Flush, want 5 (nothing counted twice)", n)
	}

	// Another process the same day: the budget is spent before any token.
	uc2, err := NewUserClients(cfg, org.srv.OrgID(), ledger, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc2.Client(ctx, u.ID, u.Username); !errors.Is(err, sfbulk.ErrBudgetExhausted) {
		t.Errorf("budget spent in the ledger: %v, want ErrBudgetExhausted", err)
	}
	// A larger budget allows the difference only.
	cfg.Contacts.DailyAPIBudget = 7
	uc3, err := NewUserClients(cfg, org.srv.OrgID(), ledger, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := uc3.Client(ctx, u.ID, u.Username)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := c3.Limits(ctx)
		if (i < 2) != (err == nil) || i == 2 && !errors.Is(err, sfbulk.ErrBudgetExhausted) {
			t.Errorf("call %d with 5 of 7 used: %v", i+1, err)
		}
	}
	// The next day (org time), the same owner gets a fresh budget with
	// the same token.
	mu.Lock()
	now = now.Add(24 * time.Hour)
	mu.Unlock()
	c4, err := uc3.Client(ctx, u.ID, u.Username)
	if err != nil || c4 == c3 {
		t.Fatalf("next day: %p %v, want a new client", c4, err)
	}
	if _, err := c4.Limits(ctx); err != nil {
		t.Fatalf("next day's call: %v", err)
	}
	if err := uc3.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]int{day: 7, "2026-03-03": 1} {
		if n, _ := ledger.APICalls(ctx, u.ID, d); n != want {
			t.Errorf("ledger holds %d calls on %s, want %d", n, d, want)
		}
	}
}
