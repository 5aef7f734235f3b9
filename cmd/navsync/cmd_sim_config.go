package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/atomicfile"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// simConfig is what `navsync sim --write-config F` needs to write a config
// pointing at the simulator it serves.
type simConfig struct {
	loginURL, orgID        string
	clientID, clientSecret string
	username, refreshToken string          // the admin user's consent
	world                  *fixtures.World // the generated world, or nil
	worldDir               string          // --world DIR, or ""
	// srv is the simulator (not serving yet): contact creation takes its
	// connected app's JWT key, approves its users and reads its picklist.
	srv *sfsim.Server
	// leadSource is set by writeSimConfig.
	leadSource string
}

// Names of what --write-config puts beside the config file.
const (
	simSecretFile = "client_secret"
	simTokenDir   = "tokens"
	simJWTKeyFile = "jwt.key" // the connected app's JWT key: the owners' sign-in for contact creation
)

// writeSimConfig writes a navsync config at path that signs in to the
// simulator with the refresh_token flow, and beside it: the admin user's
// refresh token in a token store folder (tokens/, files 0600), the consumer
// secret (client_secret, 0600) and, for a generated world, its Sales
// Navigator exports (salesnav/leads.csv, salesnav/accounts.csv). With
// --world DIR the config names DIR/salesnav/leads*.csv and accounts*.csv.
// Reports, state store and work folder go beside the file too. Contact
// creation is enabled: the connected app's JWT key goes beside the file
// (jwt.key, 0600) for contacts.auth, every user of the org is approved for
// the app (so each lead owner signs in by JWT), and lead_source is an
// active value of the org's Contact.LeadSource picklist. The config is
// loaded back and validated before writeSimConfig returns, so `navsync
// run --config path` works at once.
func writeSimConfig(ctx context.Context, path string, sc simConfig) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sim: --write-config: %w", err)
	}
	var leads, accounts []string
	switch {
	case sc.world != nil:
		if err := writeSimExports(sc.world, dir); err != nil {
			return fmt.Errorf("sim: --write-config: write the Sales Navigator exports: %w", err)
		}
		leads = []string{"salesnav/leads.csv"}
		accounts = []string{"salesnav/accounts.csv"}
	case sc.worldDir != "":
		abs, err := filepath.Abs(filepath.Join(sc.worldDir, "salesnav"))
		if err != nil {
			return fmt.Errorf("sim: --write-config: %w", err)
		}
		leads = []string{filepath.Join(abs, "leads*.csv")}
		if m, _ := filepath.Glob(leads[0]); len(m) == 0 {
			return badInput(fmt.Errorf("sim: --write-config: no Sales Navigator lead export in %s (leads*.csv); the config needs one", abs))
		}
		if m, _ := filepath.Glob(filepath.Join(abs, "accounts*.csv")); len(m) > 0 {
			accounts = []string{filepath.Join(abs, "accounts*.csv")}
		}
	}
	if err := writeSimFile(filepath.Join(dir, simSecretFile), []byte(sc.clientSecret+"\n"), 0o600); err != nil {
		return fmt.Errorf("sim: --write-config: %w", err)
	}
	store := sfbulk.UserTokenStore(filepath.Join(dir, simTokenDir), sc.username)
	if err := store.Save(ctx, &sfbulk.Token{RefreshToken: sc.refreshToken, Username: sc.username}); err != nil {
		return fmt.Errorf("sim: --write-config: %w", err)
	}
	// Without the simulator at hand (tests of writebacks alone), the
	// config leaves contact creation off.
	if sc.srv != nil {
		if err := simContacts(ctx, dir, &sc); err != nil {
			return fmt.Errorf("sim: --write-config: contact creation: %w", err)
		}
	}
	if err := writeSimFile(path, []byte(simConfigYAML(sc, leads, accounts)), 0o644); err != nil {
		return fmt.Errorf("sim: --write-config: %w", err)
	}
	if _, err := batch.Load(path); err != nil {
		return fmt.Errorf("sim: --write-config wrote a config that does not validate: %w", err)
	}
	return nil
}

// simConfigYAML is the config text; values are YAML double-quoted.
func simConfigYAML(sc simConfig, leads, accounts []string) string {
	q := strconv.Quote
	list := func(l []string) string {
		if len(l) == 0 {
			return "[]"
		}
		var b strings.Builder
		for _, s := range l {
			b.WriteString("\n    - " + q(s))
		}
		return b.String()
	}
	return `# navsync config for the simulator org that ` + "`navsync sim --write-config`" + ` started at ` + sc.loginURL + `.
# It is valid only while that simulator runs (a restarted simulator listens on another port and
# has issued other tokens). Secrets and tokens are beside this file (mode 0600); relative paths
# are read from this file's folder. Every key: navsync.example.yaml.
salesforce:
  login_url: ` + q(sc.loginURL) + `
  org_id: ` + q(sc.orgID) + `
  auth:
    flow: refresh_token
    client_id: ` + q(sc.clientID) + `
    client_secret_file: ` + q(simSecretFile) + `
    username: ` + q(sc.username) + `
    token_store: ` + q(simTokenDir) + `
salesnav:
  leads:` + list(leads) + `
  accounts:` + list(accounts) + `
` + simContactsYAML(sc) + `reports:
  dir: reports
state:
  path: navsync.db
work_dir: work
# schedule: "@every 10m"
`
}

// simContactsYAML is the contacts section: on with the simulator's JWT
// key, off without a simulator.
func simContactsYAML(sc simConfig) string {
	if sc.srv == nil {
		return "contacts:\n  enabled: false\n"
	}
	return `contacts:
  # Contacts for unmatched leads at known Accounts, created on behalf of each lead's owner by
  # JWT with the connected app's key beside this file (the simulator approves all its users).
  enabled: true
  lead_source: ` + strconv.Quote(sc.leadSource) + `
  auth:
    flow: jwt
    private_key_file: ` + strconv.Quote(simJWTKeyFile) + `
`
}

// simContacts prepares contact creation against the simulator: its
// connected app's JWT key beside the config (0600), every user approved
// for the app, and sc.leadSource an active Contact.LeadSource value.
func simContacts(ctx context.Context, dir string, sc *simConfig) error {
	if sc.srv == nil {
		return errors.New("no simulator")
	}
	app := sc.srv.ConnectedApp()
	if len(app.PrivateKeyPEM) == 0 {
		return errors.New("the simulator's connected app has no JWT key")
	}
	if err := writeSimFile(filepath.Join(dir, simJWTKeyFile), app.PrivateKeyPEM, 0o600); err != nil {
		return err
	}
	for _, u := range sc.srv.Records("User") {
		if err := sc.srv.SetApproved(u["Username"], true); err != nil {
			return err
		}
	}
	ls, err := simLeadSource(ctx, sc)
	if err != nil {
		return fmt.Errorf("read Contact.LeadSource: %w", err)
	}
	sc.leadSource = ls
	return nil
}

// simLeadSource picks an active value of the simulator's Contact.LeadSource
// picklist, read by describe as a run does (a LinkedIn or Sales Navigator
// value, else Other, else the first). The simulator does not serve yet, so
// the requests go to its handler in process, without its faults.
func simLeadSource(ctx context.Context, sc *simConfig) (string, error) {
	faults := sc.srv.Faults()
	sc.srv.SetFaults(sfsim.Faults{})
	defer sc.srv.SetFaults(faults)
	hc := &http.Client{Transport: handlerTransport{sc.srv.Handler()}}
	ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: sc.loginURL, ClientID: sc.clientID, ClientSecret: sc.clientSecret, HTTPClient: hc},
		sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: sc.refreshToken, Username: sc.username}))
	if err != nil {
		return "", err
	}
	c, err := sfbulk.New(ctx, sfbulk.Config{HTTPClient: hc}, ts)
	if err != nil {
		return "", err
	}
	d, err := c.Describe(ctx, "Contact")
	if err != nil {
		return "", err
	}
	f := d.Field("LeadSource")
	if f == nil {
		return "", errors.New("the Contact object has no LeadSource field")
	}
	var active []string
	for _, p := range f.PicklistValues {
		if p.Active {
			active = append(active, p.Value)
		}
	}
	if len(active) == 0 {
		return "", errors.New("Contact.LeadSource has no active value")
	}
	for _, v := range active {
		if l := strings.ToLower(v); strings.Contains(l, "linkedin") || strings.Contains(l, "sales navigator") {
			return v, nil
		}
	}
	for _, v := range active {
		if v == "Other" {
			return v, nil
		}
	}
	return active[0], nil
}

// handlerTransport serves requests with a handler in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// writeSimExports writes a generated world's Sales Navigator exports into
// dir/salesnav/ (the org's records are served, not written).
func writeSimExports(w *fixtures.World, dir string) error {
	tmp, err := os.MkdirTemp(dir, ".world-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := w.Write(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "salesnav"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"leads.csv", "accounts.csv"} {
		if err := os.Rename(filepath.Join(tmp, "salesnav", f), filepath.Join(dir, "salesnav", f)); err != nil {
			return err
		}
	}
	return nil
}

// writeSimFile writes b to path through a temporary file in the same
// folder, with mode perm from the start.
func writeSimFile(path string, b []byte, perm os.FileMode) error {
	return atomicfile.WriteBytes(path, b, perm)
}
