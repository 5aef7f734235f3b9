package batch

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// connectSim is a simulator org on a loopback listener and a folder for
// the configs that point at it.
type connectSim struct {
	srv *sfsim.Server
	url string
	dir string
}

func newConnectSim(t *testing.T) *connectSim {
	t.Helper()
	srv, err := sfsim.New(sfsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "config", "exports", "leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "leads.csv"), string(src), 0o644)
	writeFile(t, filepath.Join(dir, "secret"), srv.ConnectedApp().ClientSecret+"\n", 0o600)
	return &connectSim{srv: srv, url: hs.URL, dir: dir}
}

// config writes and loads a config for the simulator with the given auth
// lines and org id.
func (s *connectSim) config(t *testing.T, auth, orgID string) *Config {
	t.Helper()
	app := s.srv.ConnectedApp()
	y := "salesforce:\n  login_url: " + s.url + "\n  org_id: " + orgID + "\n  auth:\n    client_id: " + app.ClientID + "\n" + auth +
		"salesnav:\n  leads: [leads.csv]\n"
	p := filepath.Join(s.dir, "navsync.yaml")
	writeFile(t, p, y, 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// consent stores a refresh token of the admin user in tokens/, as the
// one-time authorization does.
func (s *connectSim) consent(t *testing.T, refresh string) string {
	t.Helper()
	admin := s.srv.AdminUser().Username
	if refresh == "" {
		var err error
		if _, refresh, err = s.srv.IssueToken(admin); err != nil {
			t.Fatal(err)
		}
	}
	if err := sfbulk.UserTokenStore(filepath.Join(s.dir, "tokens"), admin).Save(context.Background(),
		&sfbulk.Token{RefreshToken: refresh, Username: admin}); err != nil {
		t.Fatal(err)
	}
	return "    flow: refresh_token\n    client_secret_file: secret\n    username: " + admin + "\n    token_store: tokens\n"
}

func checkSignedIn(t *testing.T, s *connectSim, c *sfbulk.Client) {
	t.Helper()
	id := c.Identity()
	if !sfbulk.SameOrg(id.OrgID, s.srv.OrgID()) || id.UserID != s.srv.AdminUser().ID {
		t.Errorf("signed in as %s of %s, want the admin of %s", id.UserID, id.OrgID, s.srv.OrgID())
	}
	recs, err := c.QueryRecords(context.Background(), "SELECT Id FROM User")
	if err != nil || len(recs) == 0 {
		t.Errorf("query as the signed-in user: %d records, %v", len(recs), err)
	}
}

func TestConnectRefreshToken(t *testing.T) {
	s := newConnectSim(t)
	auth := s.consent(t, "")
	cfg := s.config(t, auth, s.srv.OrgID())
	c, err := Connect(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSignedIn(t, s, c)
	// The minted access token was saved to the store, still private.
	st, err := sfbulk.UserTokenStore(filepath.Join(s.dir, "tokens"), s.srv.AdminUser().Username).Load(context.Background())
	if err != nil || st.AccessToken == "" || !sfbulk.SameOrg(st.ID, s.srv.OrgID()) {
		t.Errorf("store after sign-in: %v, %v", st, err)
	}
	// A 15-character org id works too.
	if _, err := Connect(context.Background(), s.config(t, auth, s.srv.OrgID()[:15]), nil); err != nil {
		t.Errorf("15-character org id: %v", err)
	}
}

func TestConnectJWT(t *testing.T) {
	s := newConnectSim(t)
	writeFile(t, filepath.Join(s.dir, "navsync.key"), string(s.srv.ConnectedApp().PrivateKeyPEM), 0o600)
	cfg := s.config(t, "    flow: jwt\n    username: "+s.srv.AdminUser().Username+"\n    private_key_file: navsync.key\n", s.srv.OrgID())
	c, err := Connect(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSignedIn(t, s, c)
}

func TestConnectClientCredentials(t *testing.T) {
	s := newConnectSim(t)
	t.Setenv("NAVSYNC_TEST_SIM_SECRET", s.srv.ConnectedApp().ClientSecret)
	cfg := s.config(t, "    flow: client_credentials\n    client_secret_env: NAVSYNC_TEST_SIM_SECRET\n", s.srv.OrgID())
	c, err := Connect(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSignedIn(t, s, c)
	// The variable unset after validation: a configuration error, not a sign-in failure.
	os.Unsetenv("NAVSYNC_TEST_SIM_SECRET")
	if _, err := Connect(context.Background(), cfg, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "NAVSYNC_TEST_SIM_SECRET") {
		t.Errorf("secret variable unset: %v, want ErrConfig naming the variable", err)
	}
}

func TestConnectRefusesAnotherOrg(t *testing.T) {
	s := newConnectSim(t)
	other := sfid.New(sfid.Organization, "9z", 42)
	if sfbulk.SameOrg(other, s.srv.OrgID()) {
		t.Fatal("test org ids collide")
	}
	// The JWT flow stores nothing, so the org is only learnt at sign-in.
	writeFile(t, filepath.Join(s.dir, "navsync.key"), string(s.srv.ConnectedApp().PrivateKeyPEM), 0o600)
	cfg := s.config(t, "    flow: jwt\n    username: "+s.srv.AdminUser().Username+"\n    private_key_file: navsync.key\n", other)
	_, err := Connect(context.Background(), cfg, nil)
	if !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("token of another org: %v, want ErrOrgMismatch", err)
	}
	// The same through a refresh token.
	cfg = s.config(t, s.consent(t, ""), other)
	if _, err := Connect(context.Background(), cfg, nil); !errors.Is(err, sfbulk.ErrOrgMismatch) {
		t.Errorf("refresh token of another org: %v, want ErrOrgMismatch", err)
	}
}

func TestConnectRevokedToken(t *testing.T) {
	s := newConnectSim(t)
	cfg := s.config(t, s.consent(t, "5Aep861-revoked-or-never-issued"), s.srv.OrgID())
	_, err := Connect(context.Background(), cfg, nil)
	if !errors.Is(err, sfbulk.ErrAuthRevoked) {
		t.Errorf("unknown refresh token: %v, want ErrAuthRevoked", err)
	}
	if errors.Is(err, ErrConfig) {
		t.Error("a revoked token is reported as a configuration error")
	}
}
