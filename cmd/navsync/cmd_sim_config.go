package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk"
)

// simConfig is what `navsync sim --write-config F` needs to write a config
// pointing at the simulator it serves.
type simConfig struct {
	loginURL, orgID        string
	clientID, clientSecret string
	username, refreshToken string          // the admin user's consent
	world                  *fixtures.World // the generated world, or nil
	worldDir               string          // --world DIR, or ""
}

// Names of what --write-config puts beside the config file.
const (
	simSecretFile = "client_secret"
	simTokenDir   = "tokens"
)

// writeSimConfig writes a navsync config at path that signs in to the
// simulator with the refresh_token flow, and beside it: the admin user's
// refresh token in a token store folder (tokens/, files 0600), the consumer
// secret (client_secret, 0600) and, for a generated world, its Sales
// Navigator exports (salesnav/leads.csv, salesnav/accounts.csv). With
// --world DIR the config names DIR/salesnav/leads*.csv and accounts*.csv.
// Reports, state store and work folder go beside the file too. The config
// is loaded back and validated before writeSimConfig returns, so `navsync
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
reports:
  dir: reports
state:
  path: navsync.db
work_dir: work
# schedule: "@every 10m"
`
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
func writeSimFile(path string, b []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
