package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/sfbulk"
	"golang.org/x/term"
)

// approvalsPerApp is Salesforce's limit of refresh tokens (approvals) per
// user per connected app: a sixth consent silently revokes the oldest.
const approvalsPerApp = 5

// runAuth is `navsync auth login|list|revoke`: the lead owners' consent
// for contact creation with contacts.auth.flow refresh_token.
func runAuth(ctx context.Context, env *cmdEnv, args []string) error {
	usage := func() {
		fmt.Fprintln(env.stderr, "usage: navsync auth login  --user USERNAME [--config FILE] [--no-browser] [--timeout 5m]")
		fmt.Fprintln(env.stderr, "       navsync auth list   [--config FILE]")
		fmt.Fprintln(env.stderr, "       navsync auth revoke --user USERNAME [--config FILE]")
		fmt.Fprintln(env.stderr, "Each lead owner signs in once (authorization code with PKCE on a loopback redirect); the refresh")
		fmt.Fprintln(env.stderr, "token goes to contacts.auth.token_store as <username>.json (mode 0600). docs/readme-contacts.md.")
	}
	if len(args) == 0 {
		usage()
		return usagef("auth: say login, list or revoke")
	}
	switch args[0] {
	case "login":
		return authLogin(ctx, env, args[1:])
	case "list":
		return authList(env, args[1:])
	case "revoke":
		return authRevoke(ctx, env, args[1:])
	case "-h", "--help", "help":
		usage()
		return nil
	}
	usage()
	return usagef("auth: unknown subcommand %q (want login, list or revoke)", args[0])
}

// authConfig loads the config for the auth commands. Exports, the job's
// own token store and key need not be on this machine (an owner may sign
// in on a workstation), so only the file itself is validated here; what
// auth needs is checked by the caller.
func authConfig(path string) (*batch.Config, error) {
	cfg, err := batch.LoadWith(path, batch.LoadOptions{SkipFileChecks: true})
	if err != nil {
		return nil, err
	}
	a := cfg.Contacts.Auth
	switch {
	case a.Flow == batch.FlowJWT:
		return nil, badInput(fmt.Errorf("auth: contacts.auth.flow is jwt: owners need no sign-in; the connected app pre-authorizes their profiles or permission sets (Permitted Users: \"Admin approved users are pre-authorized\")"))
	case a.Flow != batch.FlowRefreshToken:
		return nil, badInput(fmt.Errorf("auth: set contacts.auth.flow: refresh_token and contacts.auth.token_store (a folder) in %s first", path))
	case a.TokenStore == "":
		return nil, badInput(fmt.Errorf("auth: contacts.auth.token_store is not set in %s", path))
	}
	if err := batch.CheckTokenStoreDir(a.TokenStore); err != nil {
		return nil, badInput(fmt.Errorf("auth: contacts.auth.token_store: %w (chmod 700 %s)", err, a.TokenStore))
	}
	return cfg, nil
}

func authLogin(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("auth login", env)
	configPath := flags.String("config", "navsync.yaml", "configuration `FILE`")
	user := flags.String("user", "", "the owner's Salesforce `USERNAME` (or email) to sign in")
	noBrowser := flags.Bool("no-browser", false, "only print the URL, never open a browser")
	timeout := flags.Duration("timeout", 5*time.Minute, "how long to wait for the browser")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *user == "" {
		return usagef("auth login: --user USERNAME is required")
	}
	cfg, err := authConfig(*configPath)
	if err != nil {
		return err
	}
	store := cfg.Contacts.Auth.TokenStore
	oc, err := batch.OwnerOAuth(cfg, env.log)
	if err != nil {
		return err
	}
	orgID, err := jobOrgID(ctx, cfg, env)
	if err != nil {
		return err
	}
	prev, prevPath, _ := findStored(store, *user) // an unusable file is replaced

	fmt.Fprintf(env.stderr, "Note: Salesforce keeps at most %d refresh tokens per user per connected app; a new sign-in silently revokes "+
		"the oldest, which may be one another navsync install or tool using this app still needs.\n", approvalsPerApp)
	if prev != nil {
		fmt.Fprintf(env.stderr, "A token is already stored for %s: it is replaced, and revoked once the new one is stored.\n", prev.Username)
	}
	mem := sfbulk.NewMemoryTokenStore(nil)
	flow := &sfbulk.AuthCodeFlow{OAuth: oc, RedirectURL: cfg.Contacts.Auth.RedirectURL, LoginHint: *user, Store: mem, Timeout: *timeout,
		Open: func(u string) error {
			fmt.Fprintf(env.stdout, "Open this URL in a browser and sign in to Salesforce as %s:\n\n  %s\n\nWaiting for the browser (%s)...\n", *user, u, *timeout)
			if !*noBrowser && isTerminal(env.stdout) {
				if err := openBrowser(u); err != nil {
					env.log.Debug("could not open a browser", "err", err)
				}
			}
			return nil
		}}
	tok, err := flow.Run(ctx)
	if err != nil {
		return fmt.Errorf("auth login: %w", err)
	}
	who, err := identity(ctx, oc, tok)
	if err != nil {
		revokeQuietly(ctx, env, oc, tok)
		return fmt.Errorf("auth login: read who signed in: %w", err)
	}
	if !sfbulk.SameOrg(tok.ID, orgID) {
		revokeQuietly(ctx, env, oc, tok)
		org, _, _ := sfbulk.ParseIdentityURL(tok.ID)
		return fmt.Errorf("auth login: %s signed in to org %s, but the job's org is %s (a sandbox's login?); nothing stored: %w",
			who.Username, org, orgID, sfbulk.ErrOrgMismatch)
	}
	if !strings.EqualFold(who.Username, *user) && !strings.EqualFold(who.Email, *user) {
		revokeQuietly(ctx, env, oc, tok)
		return badInput(fmt.Errorf("auth login: the browser signed in as %s, not %s; nothing stored (sign out of Salesforce in the browser, then retry)", who.Username, *user))
	}
	tok.Username = who.Username
	st := sfbulk.UserTokenStore(store, who.Username)
	if err := os.MkdirAll(store, 0o700); err != nil {
		return fmt.Errorf("auth login: %w", err)
	}
	if err := st.Save(ctx, tok); err != nil {
		revokeQuietly(ctx, env, oc, tok)
		return fmt.Errorf("auth login: %w", err)
	}
	if tok.RefreshToken == "" {
		fmt.Fprintln(env.stderr, "Warning: Salesforce returned no refresh token: add the refresh_token (offline_access) scope to the connected app, or runs will stop when this access token expires.")
	}
	fmt.Fprintf(env.stdout, "Stored the token of %s (user %s, org %s) in %s.\n", who.Username, who.UserID, who.OrgID, st.Path)
	if prev != nil && prev.RefreshToken != "" && prev.RefreshToken != tok.RefreshToken {
		err := sfbulk.Revoke(ctx, oc, prev.RefreshToken)
		var ae *sfbulk.AuthError
		switch {
		case err == nil:
			fmt.Fprintln(env.stdout, "Revoked the token it replaces.")
		case errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest:
			fmt.Fprintln(env.stdout, "The token it replaces was no longer valid.")
		default:
			fmt.Fprintf(env.stderr, "Warning: the replaced token could not be revoked (%v); revoke it in Salesforce (Setup › Connected Apps OAuth Usage) if it matters.\n", err)
		}
	}
	if prevPath != "" && prevPath != st.Path {
		if err := os.Remove(prevPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(env.stderr, "Warning: remove %s: %v\n", prevPath, err)
		}
	}
	return nil
}

// jobOrgID is salesforce.org_id or, when unset, the org the job's own
// sign-in lands in.
func jobOrgID(ctx context.Context, cfg *batch.Config, env *cmdEnv) (string, error) {
	if cfg.Salesforce.OrgID != "" {
		return cfg.Salesforce.OrgID, nil
	}
	c, err := batch.Connect(ctx, cfg, env.log)
	if err != nil {
		return "", fmt.Errorf("auth: the job's org is unknown (set salesforce.org_id, or fix the job's own sign-in): %w", err)
	}
	return c.Identity().OrgID, nil
}

// who is the user a token acts as, from its identity URL.
type who struct {
	UserID   string `json:"user_id"`
	OrgID    string `json:"organization_id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// identity reads the token's identity document (GET the id URL with the
// token; not an API call).
func identity(ctx context.Context, oc sfbulk.OAuthConfig, tok *sfbulk.Token) (*who, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tok.ID, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	hc := oc.HTTPClient
	if hc == nil {
		hc = sfbulk.DefaultHTTPClient()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("identity URL answered %s", resp.Status)
	}
	var w who
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&w); err != nil {
		return nil, fmt.Errorf("identity document: %w", err)
	}
	if w.Username == "" || w.UserID == "" {
		return nil, errors.New("identity document without username or user_id")
	}
	return &w, nil
}

// revokeQuietly revokes a token navsync will not keep, so it does not
// count against the user's approvals.
func revokeQuietly(ctx context.Context, env *cmdEnv, oc sfbulk.OAuthConfig, tok *sfbulk.Token) {
	t := cmp.Or(tok.RefreshToken, tok.AccessToken)
	if err := sfbulk.Revoke(context.WithoutCancel(ctx), oc, t); err != nil {
		env.log.Warn("could not revoke the token not kept", "err", err)
	}
}

// storedToken is one file of the token store.
type storedToken struct {
	path string
	tok  *sfbulk.Token // nil when unreadable
	err  error
	mod  time.Time
}

// readStore reads every <username>.json of the store folder, sorted by
// file name (a missing folder holds none).
func readStore(dir string) ([]storedToken, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []storedToken
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		p := filepath.Join(dir, name)
		st := storedToken{path: p}
		if fi, err := e.Info(); err == nil {
			st.mod = fi.ModTime()
		}
		st.tok, st.err = sfbulk.NewFileTokenStore(p).Load(context.Background())
		out = append(out, st)
	}
	return out, nil
}

// findStored is the stored token of user: the file named after it, else
// the file whose token has that username (case-insensitive). err is the
// named file's, when it exists but cannot be used (mode, content).
func findStored(dir, user string) (tok *sfbulk.Token, path string, err error) {
	p := sfbulk.UserTokenStore(dir, user).Path
	tok, err = sfbulk.NewFileTokenStore(p).Load(context.Background())
	if err == nil {
		if tok.Username == "" {
			tok.Username = user
		}
		return tok, p, nil
	}
	if !errors.Is(err, sfbulk.ErrNoToken) {
		return nil, p, err
	}
	all, _ := readStore(dir)
	for _, s := range all {
		if s.tok != nil && strings.EqualFold(s.tok.Username, user) {
			return s.tok, s.path, nil
		}
	}
	return nil, "", nil
}

func authList(env *cmdEnv, args []string) error {
	flags := newFlagSet("auth list", env)
	configPath := flags.String("config", "navsync.yaml", "configuration `FILE`")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	cfg, err := authConfig(*configPath)
	if err != nil {
		return err
	}
	all, err := readStore(cfg.Contacts.Auth.TokenStore)
	if err != nil {
		return fmt.Errorf("auth list: %w", err)
	}
	if len(all) == 0 {
		fmt.Fprintf(env.stdout, "No owner has signed in yet (%s is empty): navsync auth login --user USERNAME\n", cfg.Contacts.Auth.TokenStore)
		return nil
	}
	jobOrg := cfg.Salesforce.OrgID
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tUSER\tORG\tLAST USED\tSTATUS")
	slices.SortFunc(all, func(a, b storedToken) int { return strings.Compare(a.path, b.path) })
	for _, s := range all {
		name := strings.TrimSuffix(filepath.Base(s.path), ".json")
		if s.tok == nil {
			status := "unreadable: " + s.err.Error()
			if errors.Is(s.err, sfbulk.ErrTokenStoreInsecure) {
				status = "refused: group or others may read it (chmod 600 " + s.path + ")"
			}
			fmt.Fprintf(tw, "%s\t-\t-\t%s\t%s\n", name, s.mod.UTC().Format(time.RFC3339), status)
			continue
		}
		org, user, perr := sfbulk.ParseIdentityURL(s.tok.ID)
		if perr != nil {
			org, user = "-", "-"
		}
		// A run refreshes the token and saves it: its issue time is the
		// last time navsync acted as the owner (or the sign-in).
		used := s.tok.IssuedAt
		if used.IsZero() {
			used = s.mod
		}
		status := "ok"
		switch {
		case s.tok.RefreshToken == "":
			status = "no refresh token: sign in again"
		case perr != nil:
			status = "no identity: sign in again"
		case jobOrg != "" && !sfbulk.SameOrg(org, jobOrg):
			status = "OTHER ORG: refused by runs (the job's org is " + jobOrg + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cmp.Or(s.tok.Username, name), user, org, used.UTC().Format(time.RFC3339), status)
	}
	return tw.Flush()
}

func authRevoke(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("auth revoke", env)
	configPath := flags.String("config", "navsync.yaml", "configuration `FILE`")
	user := flags.String("user", "", "the owner's Salesforce `USERNAME` whose token to revoke and delete")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *user == "" {
		return usagef("auth revoke: --user USERNAME is required")
	}
	cfg, err := authConfig(*configPath)
	if err != nil {
		return err
	}
	tok, path, err := findStored(cfg.Contacts.Auth.TokenStore, *user)
	if err != nil {
		return badInput(fmt.Errorf("auth revoke: %w", err))
	}
	if tok == nil {
		return badInput(fmt.Errorf("auth revoke: no token stored for %s in %s (navsync auth list shows the stored ones)", *user, cfg.Contacts.Auth.TokenStore))
	}
	oc, err := batch.OwnerOAuth(cfg, env.log)
	if err != nil {
		return err
	}
	err = sfbulk.Revoke(ctx, oc, cmp.Or(tok.RefreshToken, tok.AccessToken))
	var ae *sfbulk.AuthError
	switch {
	case err == nil:
		fmt.Fprintf(env.stdout, "Revoked the token of %s at Salesforce.\n", tok.Username)
	case errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest:
		fmt.Fprintf(env.stdout, "Salesforce no longer knows the token of %s (already revoked or expired).\n", tok.Username)
	default:
		return fmt.Errorf("auth revoke: %w; the token is kept in %s: retry, or delete the file and revoke it in Salesforce (Setup › Connected Apps OAuth Usage)", err, path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("auth revoke: %w", err)
	}
	fmt.Fprintf(env.stdout, "Deleted %s.\n", path)
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// openBrowser asks the desktop to open u; the URL is printed either way.
func openBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it
	return nil
}
