package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// authOrg is a simulator org whose connected app accepts a free loopback
// callback, with three sales reps.
type authOrg struct {
	srv      *sfsim.Server
	hs       *httptest.Server
	redirect string
	app      sfsim.App
}

var authReps = []struct{ id, username, email string }{
	{sfid.New(sfid.User, "7a", 1), "jane.doe@acme.example.com.sim", "jane.doe@acme.example.com"},
	{sfid.New(sfid.User, "7a", 2), "raj.patel@acme.example.com.sim", "raj.patel@acme.example.com"},
	{sfid.New(sfid.User, "7a", 3), "li.wang@acme.example.com.sim", "li.wang@acme.example.com"},
}

func newAuthOrg(t *testing.T, opts sfsim.Options) *authOrg {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + ln.Addr().String() + "/OauthRedirect"
	ln.Close()
	opts.CallbackURLs = append(opts.CallbackURLs, redirect)
	srv, err := sfsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	var rows [][]string
	for _, u := range authReps {
		rows = append(rows, []string{u.id, u.username, u.email, "Rep", "Sales", "true", sfid.ProfileStandard})
	}
	if err := srv.Load("User", []string{"Id", "Username", "Email", "FirstName", "LastName", "IsActive", "ProfileId"}, rows); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &authOrg{srv: srv, hs: hs, redirect: redirect, app: srv.ConnectedApp()}
}

// writeAuthConfig writes a config whose owners sign in with refresh
// tokens into dir/owners, for the org orgID.
func (o *authOrg) writeAuthConfig(t *testing.T, dir, orgID, ownerFlow string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "client_secret"), []byte(o.app.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := `salesforce:
  login_url: ` + o.hs.URL + `
  org_id: ` + orgID + `
  auth:
    flow: refresh_token
    client_id: ` + o.app.ClientID + `
    client_secret_file: client_secret
    username: ` + o.srv.AdminUser().Username + `
    token_store: tokens
salesnav:
  leads: [salesnav/leads.csv]
contacts:
  enabled: true
  lead_source: Web
  auth:
    flow: ` + ownerFlow + `
    token_store: owners
    redirect_url: ` + o.redirect + `
`
	if ownerFlow == batch.FlowJWT {
		body = strings.Replace(body, "    token_store: owners\n", "    private_key_file: client_secret\n", 1)
	}
	path := filepath.Join(dir, "navsync.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// login runs `navsync auth login` and plays the browser: it opens the
// printed URL (with login_hint replaced by browserUser when set, as if
// someone else signed in), which the simulator answers by consenting and
// redirecting to navsync's loopback listener.
func login(t *testing.T, config, user, browserUser string) (stdout, stderr string, err error) {
	t.Helper()
	pr, pw := io.Pipe()
	var errBuf bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := Run(context.Background(), []string{"auth", "login", "--user", user, "--config", config, "--timeout", "20s"}, pw, &errBuf)
		pw.Close()
		done <- err
	}()
	var out strings.Builder
	var wg sync.WaitGroup
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if u := strings.TrimSpace(line); strings.HasPrefix(u, "http") {
			if browserUser != "" {
				pu, _ := url.Parse(u)
				q := pu.Query()
				q.Set("login_hint", browserUser)
				pu.RawQuery = q.Encode()
				u = pu.String()
			}
			wg.Go(func() {
				resp, err := http.Get(u)
				if err != nil {
					t.Errorf("browser: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
	}
	err = <-done
	wg.Wait()
	return out.String(), errBuf.String(), err
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

func storedRefresh(t *testing.T, dir, username string) string {
	t.Helper()
	tok, err := sfbulk.UserTokenStore(dir, username).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.RefreshToken
}

// refreshWorks reports whether a refresh token still mints access tokens.
func (o *authOrg) refreshWorks(t *testing.T, rt string) error {
	t.Helper()
	ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: o.hs.URL, ClientID: o.app.ClientID, ClientSecret: o.app.ClientSecret},
		sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Refresh(context.Background(), nil)
	return err
}

func TestAuthLoginListRevoke(t *testing.T) {
	org := newAuthOrg(t, sfsim.Options{})
	dir := t.TempDir()
	config := org.writeAuthConfig(t, dir, org.srv.OrgID(), batch.FlowRefreshToken)
	owners := filepath.Join(dir, "owners")
	jane, raj := authReps[0], authReps[1]
	ctx := context.Background()

	stdout, stderr, err := login(t, config, jane.username, "")
	if err != nil {
		t.Fatalf("login: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, "at most 5 refresh tokens per user per connected app") || !strings.Contains(stdout, "Stored the token of "+jane.username) {
		t.Errorf("login output:\n%s\n%s", stdout, stderr)
	}
	file := sfbulk.UserTokenStore(owners, jane.username).Path
	for p, want := range map[string]os.FileMode{file: 0o600, owners: 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", p, fi.Mode().Perm(), err, want)
		}
	}
	// The stored consent drives the owner's client in a run.
	cfg, err := batch.LoadWith(config, batch.LoadOptions{SkipFileChecks: true}) // the leads export is not there
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(ctx, filepath.Join(dir, "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	uc, err := batch.NewUserClients(cfg, org.srv.OrgID(), st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := uc.Client(ctx, jane.id, jane.username)
	if err != nil {
		t.Fatalf("client from the stored consent: %v", err)
	}
	if c.Identity().UserID != jane.id {
		t.Errorf("acts as %s", c.Identity().UserID)
	}

	// A second sign-in replaces the token and revokes the one it replaces.
	first := storedRefresh(t, owners, jane.username)
	if stdout, stderr, err := login(t, config, jane.username, ""); err != nil || !strings.Contains(stdout, "Revoked the token it replaces") ||
		!strings.Contains(stderr, "already stored") {
		t.Fatalf("second login: %v\n%s\n%s", err, stdout, stderr)
	}
	second := storedRefresh(t, owners, jane.username)
	if second == first {
		t.Fatal("the second login stored the same token")
	}
	if err := org.refreshWorks(t, first); !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("replaced token: %v, want revoked", err)
	}
	if err := org.refreshWorks(t, second); err != nil {
		t.Errorf("new token: %v", err)
	}

	// Someone else signs in in the browser: nothing stored.
	if _, _, err := login(t, config, raj.username, authReps[2].username); err == nil || !strings.Contains(err.Error(), "not "+raj.username) {
		t.Errorf("login as the wrong user: %v", err)
	}
	if _, err := os.Stat(sfbulk.UserTokenStore(owners, raj.username).Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token was stored for the wrong user: %v", err)
	}

	// list: who, which org, when; never a secret. A token of another org is flagged.
	otherOrg := sfid.New(sfid.Organization, "9z", 3)
	if err := sfbulk.UserTokenStore(owners, raj.username).Save(ctx, &sfbulk.Token{RefreshToken: "5Aep-other-org-secret", Username: raj.username,
		ID: "https://login.salesforce.com/id/" + otherOrg + "/" + raj.id}); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "auth", "list", "--config", config)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := sfbulk.UserTokenStore(owners, jane.username).Load(ctx)
	for _, want := range []string{"USERNAME", jane.username, jane.id, org.srv.OrgID(), raj.username, "OTHER ORG"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{tok.RefreshToken, tok.AccessToken, "5Aep-other-org-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("list shows a token:\n%s", out)
		}
	}

	// revoke: at Salesforce and on disk.
	out, err = runCmd(t, "auth", "revoke", "--user", jane.username, "--config", config)
	if err != nil || !strings.Contains(out, "Revoked the token of "+jane.username) {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token file after revoke: %v", err)
	}
	if err := org.refreshWorks(t, second); !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("revoked token: %v, want ErrAuthRevoked", err)
	}
	uc2, _ := batch.NewUserClients(cfg, org.srv.OrgID(), st, nil, nil)
	if _, err := uc2.Client(ctx, jane.id, jane.username); !errors.Is(err, batch.ErrOwnerNotAuthorized) {
		t.Errorf("client after revoke: %v, want ErrOwnerNotAuthorized", err)
	}
	// A token Salesforce no longer knows is still deleted.
	out, err = runCmd(t, "auth", "revoke", "--user", raj.username, "--config", config)
	if err != nil || !strings.Contains(out, "no longer knows") {
		t.Errorf("revoke of an unknown token: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "auth", "revoke", "--user", jane.username, "--config", config); !isInputError(err) {
		t.Errorf("revoke without a stored token: %v, want an input error", err)
	}
}

func isInputError(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

func TestAuthLoginRefusals(t *testing.T) {
	org := newAuthOrg(t, sfsim.Options{})
	jane := authReps[0]

	// The job is another org: the token is not kept.
	dir := t.TempDir()
	config := org.writeAuthConfig(t, dir, sfid.New(sfid.Organization, "9z", 4), batch.FlowRefreshToken)
	if _, _, err := login(t, config, jane.username, ""); !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("login into another org than the job's: %v, want ErrOrgMismatch", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "owners")); len(ents) != 0 {
		t.Errorf("stored %d files", len(ents))
	}

	// A store folder open to others: refused before any browser.
	dir = t.TempDir()
	config = org.writeAuthConfig(t, dir, org.srv.OrgID(), batch.FlowRefreshToken)
	if err := os.Mkdir(filepath.Join(dir, "owners"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "owners"), 0o755)
	for _, args := range [][]string{{"login", "--user", jane.username}, {"list"}, {"revoke", "--user", jane.username}} {
		out, err := runCmd(t, append(append([]string{"auth"}, args...), "--config", config)...)
		if !isInputError(err) || !strings.Contains(err.Error(), "chmod 700") || strings.Contains(out, "http") {
			t.Errorf("auth %s with an open store: %v\n%s", args[0], err, out)
		}
	}

	// Owners of a jwt config need no sign-in.
	dir = t.TempDir()
	config = org.writeAuthConfig(t, dir, org.srv.OrgID(), batch.FlowJWT)
	if _, err := runCmd(t, "auth", "login", "--user", jane.username, "--config", config); !isInputError(err) || !strings.Contains(err.Error(), "pre-authorizes") {
		t.Errorf("login with flow jwt: %v", err)
	}
	// Usage.
	for _, args := range [][]string{{"auth"}, {"auth", "logout"}, {"auth", "login", "--config", config}} {
		var ue *usageError
		if _, err := runCmd(t, args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
