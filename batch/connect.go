package batch

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/navsync/navsync/sfbulk"
)

// Connect signs in to the org of cfg with its auth flow and returns a
// client: refresh_token reads the consent from the file token store (and
// saves rotated tokens there), jwt signs assertions with the key file,
// client_credentials uses the consumer secret. The client refuses a token
// of another org than salesforce.org_id when it is set.
//
// Errors keep sfbulk's sentinels (sfbulk.ErrAuthRevoked, ErrLoginHost,
// ErrOrgMismatch, ErrNoToken, ErrTokenStoreInsecure, ...) for the caller's
// exit codes; a setting that cannot be used (a secret's variable unset, an
// unknown flow) wraps ErrConfig. Connect sends no API request beyond what
// the flow needs to mint a token.
func Connect(ctx context.Context, cfg *Config, log *slog.Logger) (*sfbulk.Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sf, a := cfg.Salesforce, cfg.Salesforce.Auth
	secret, err := a.ClientSecret()
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	retry, poll, maxPoll := sfbulk.DefaultRetryPolicy(), time.Duration(0), time.Duration(0)
	if u, err := url.Parse(sf.LoginURL); err == nil && isLoopbackHost(u.Hostname()) {
		// The simulator answers in milliseconds: back off and poll on its
		// scale, so a run under injected faults does not sit in 30 s waits.
		retry = sfbulk.RetryPolicy{MaxAttempts: 8, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}
		poll, maxPoll = 50*time.Millisecond, time.Second
	}
	oc := sfbulk.OAuthConfig{LoginURL: sf.LoginURL, ClientID: a.ClientID, ClientSecret: secret, Logger: log, Retry: retry}
	var ts sfbulk.TokenSource
	switch a.Flow {
	case FlowRefreshToken:
		if a.TokenStore == "" {
			return nil, fmt.Errorf("connect: salesforce.auth.token_store is not set: %w", ErrConfig)
		}
		file, folder := tokenStoreFile(a)
		if folder && a.Username == "" {
			return nil, fmt.Errorf("connect: salesforce.auth.token_store is a folder and username is not set: %w", ErrConfig)
		}
		ts, err = sfbulk.NewRefreshTokenSource(oc, sfbulk.NewFileTokenStore(file))
	case FlowJWT:
		key, rerr := os.ReadFile(a.PrivateKeyFile)
		if rerr != nil {
			return nil, fmt.Errorf("connect: salesforce.auth.private_key_file: %v: %w", rerr, ErrConfig)
		}
		ts, err = sfbulk.NewJWTSource(oc, a.Username, key)
	case FlowClientCredentials:
		ts, err = sfbulk.NewClientCredentialsSource(oc)
	default:
		return nil, fmt.Errorf("connect: unknown salesforce.auth.flow %q: %w", a.Flow, ErrConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("connect (%s flow): %w", a.Flow, err)
	}
	c, err := sfbulk.New(ctx, sfbulk.Config{APIVersion: sf.APIVersion, Logger: log, Retry: retry, ExpectOrgID: sf.OrgID,
		PollInterval: poll, MaxPollInterval: maxPoll}, ts)
	if err != nil {
		return nil, fmt.Errorf("connect to %s (%s flow): %w", sf.LoginURL, a.Flow, err)
	}
	id := c.Identity()
	log.Info("signed in to salesforce", "flow", a.Flow, "org_id", id.OrgID, "user_id", id.UserID,
		"instance_url", id.InstanceURL, "api_version", c.APIVersion())
	return c, nil
}
