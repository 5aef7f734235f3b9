package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
)

// startSimWithConfig runs `navsync sim args...` until the test ends and
// returns its first line.
func startSimWithConfig(t *testing.T, args ...string) map[string]string {
	t.Helper()
	pr, pw := io.Pipe()
	env := &cmdEnv{stdout: pw, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := runSim(ctx, env, args)
		pw.CloseWithError(errors.Join(err, io.EOF))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sim: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("sim did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("sim %v: %v", args, err)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// checkSimConfig loads the written config, checks its secrets are private
// and signs in with it.
func checkSimConfig(t *testing.T, path string, info map[string]string) *batch.Config {
	t.Helper()
	cfg, err := batch.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	for _, f := range []string{cfg.Salesforce.Auth.ClientSecretFile, sfbulk.UserTokenStore(cfg.Salesforce.Auth.TokenStore, info["username"]).Path} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode().Perm() != 0o600 || filepath.Dir(f) != dir && filepath.Dir(filepath.Dir(f)) != dir {
			t.Errorf("%s: mode %v, want a 0600 file beside the config", f, fi.Mode().Perm())
		}
	}
	if cfg.Salesforce.LoginURL != info["login_url"] || cfg.Salesforce.OrgID != info["org_id"] || cfg.Salesforce.Auth.ClientID != info["client_id"] {
		t.Errorf("config points at %s org %s app %s, the simulator printed %v", cfg.Salesforce.LoginURL, cfg.Salesforce.OrgID, cfg.Salesforce.Auth.ClientID, info)
	}
	for got, want := range map[string]string{cfg.Reports.Dir: "reports", cfg.State.Path: "navsync.db", cfg.WorkDir: "work"} {
		if got != filepath.Join(dir, want) {
			t.Errorf("%s, want %s beside the config", got, want)
		}
	}
	c, err := batch.Connect(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("sign in with the written config: %v", err)
	}
	if id := c.Identity(); !sfbulk.SameOrg(id.OrgID, info["org_id"]) || id.Username != info["username"] {
		t.Errorf("signed in as %+v", id)
	}
	recs, err := c.QueryRecords(context.Background(), "SELECT Id FROM User")
	if err != nil || len(recs) == 0 {
		t.Errorf("query: %d users, %v", len(recs), err)
	}
	return cfg
}

// checkSimContacts checks the written config creates contacts: enabled,
// an active LeadSource of the org, the connected app's key beside the
// config (0600), and a client acting as a world user signs in by JWT, a
// read-only user too (the simulator pre-authorizes only Standard and
// System Administrator profiles: the others were approved).
func checkSimContacts(t *testing.T, cfg *batch.Config, info map[string]string, users []fixtures.User) {
	t.Helper()
	ct := cfg.Contacts
	if !ct.Enabled || ct.Auth.Flow != batch.FlowJWT {
		t.Fatalf("contacts %+v: want enabled, flow jwt", ct)
	}
	key := cfg.OwnerKeyFile()
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(key) != filepath.Dir(cfg.Path) {
		t.Errorf("owners' key %s: %v, want a 0600 file beside the config", key, err)
	}
	ctx := context.Background()
	admin, err := batch.Connect(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := admin.Describe(ctx, "Contact")
	if err != nil {
		t.Fatal(err)
	}
	if f := d.Field("LeadSource"); f == nil || !f.HasPicklistValue(ct.LeadSource) {
		t.Errorf("lead_source %q is not an active Contact.LeadSource value", ct.LeadSource)
	}
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	uc, err := batch.NewUserClients(cfg, info["org_id"], st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	signedIn := map[string]bool{}
	for _, u := range users {
		if !u.IsActive || signedIn[u.ProfileID] || (u.ProfileID != sfid.ProfileStandard && u.ProfileID != sfid.ProfileReadOnly) {
			continue
		}
		c, err := uc.Client(ctx, u.ID, u.Username)
		if err != nil {
			t.Errorf("owner %s (profile %s): %v", u.ID, u.ProfileID, err)
			continue
		}
		if c.Identity().UserID != u.ID {
			t.Errorf("client for %s acts as %s", u.ID, c.Identity().UserID)
		}
		signedIn[u.ProfileID] = true
	}
	if len(signedIn) != 2 {
		t.Errorf("signed in as profiles %v, want a standard and a read-only user", signedIn)
	}
}

func TestSimWriteConfigGeneratedWorld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim", "navsync.yaml") // the folder does not exist yet
	info := startSimWithConfig(t, "--size", "300", "--seed", "4", "--write-config", path)
	cfg := checkSimConfig(t, path, info)
	dir := filepath.Dir(path)
	want := []string{filepath.Join(dir, "salesnav", "leads.csv")}
	if !reflect.DeepEqual(cfg.SalesNav.Leads, want) || !reflect.DeepEqual(cfg.SalesNav.Accounts, []string{filepath.Join(dir, "salesnav", "accounts.csv")}) {
		t.Errorf("exports %q %q, want the world's beside the config", cfg.SalesNav.Leads, cfg.SalesNav.Accounts)
	}
	// They are the world the simulator serves.
	w, err := fixtures.Generate(fixtures.Options{Seed: 4, People: 300})
	if err != nil {
		t.Fatal(err)
	}
	leads, err := input.ReadLeads(context.Background(), cfg.SalesNav.Leads...)
	if err != nil {
		t.Fatal(err)
	}
	if len(leads.Leads) != len(w.SNLeads) || len(w.SNLeads) == 0 || leads.Leads[0].LeadID != w.SNLeads[0].LeadID {
		t.Errorf("leads.csv holds %d leads, the world %d", len(leads.Leads), len(w.SNLeads))
	}
	if _, err := os.Stat(filepath.Join(dir, "crm")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the org's records were written beside the config: %v", err)
	}
	checkSimContacts(t, cfg, info, w.Users)
}

func TestSimWriteConfigWorldDir(t *testing.T) {
	world := t.TempDir()
	w, err := fixtures.Generate(fixtures.Options{Seed: 5, People: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(world); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "navsync.yaml")
	info := startSimWithConfig(t, "--world", world, "--write-config", path)
	cfg := checkSimConfig(t, path, info)
	if want := []string{filepath.Join(world, "salesnav", "leads.csv")}; !reflect.DeepEqual(cfg.SalesNav.Leads, want) {
		t.Errorf("leads %q, want %q", cfg.SalesNav.Leads, want)
	}
	if want := []string{filepath.Join(world, "salesnav", "accounts.csv")}; !reflect.DeepEqual(cfg.SalesNav.Accounts, want) {
		t.Errorf("accounts %q, want %q", cfg.SalesNav.Accounts, want)
	}
	checkSimContacts(t, cfg, info, w.Users)
}

func TestSimWriteConfigWorldWithoutExports(t *testing.T) {
	world := t.TempDir()
	w, err := fixtures.Generate(fixtures.Options{Seed: 5, People: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(world); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(world, "salesnav")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "navsync.yaml")
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	err = runSim(context.Background(), env, []string{"--world", world, "--write-config", path})
	var ie *inputError
	if !errors.As(err, &ie) {
		t.Errorf("world without salesnav/: %v, want an input error (exit 5)", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a config was written: %v", err)
	}
}
