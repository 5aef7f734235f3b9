package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
)

// ErrOwnerNotAuthorized: contacts.auth.flow is refresh_token and the token
// store holds no token for the owner. The owner signs in once with
// `navsync auth login --user <username>`.
var ErrOwnerNotAuthorized = errors.New("owner has not authorized navsync: no stored token (navsync auth login --user <the owner's username>)")

// APICallLedger persists each owner's API calls per day (batch/state's
// Store). Days are state.MonthDay's day keys in the org's time zone.
type APICallLedger interface {
	AddAPICalls(ctx context.Context, userID, day string, n int) error
	APICalls(ctx context.Context, userID, day string) (int, error)
}

// LedgerFlushInterval is the longest an API call counted in memory waits
// before it is written to the ledger (Flush writes at once).
const LedgerFlushInterval = 2 * time.Second

// UserClients makes a Salesforce client per owner, acting with that user's
// own token, for the org of the job. It is safe for concurrent use.
//
// Every API call made with an owner's client is counted against
// contacts.daily_api_budget (the day in org_time_zone), seeded from the
// ledger: the client stops with sfbulk.ErrBudgetExhausted before it sends
// the call that would exceed it. Calls are counted in memory and written
// to the ledger within LedgerFlushInterval and by Flush, so a process
// killed outright (SIGKILL, OOM) may leave its last seconds of calls out
// of the ledger: the next run then allows that many calls more.
type UserClients struct {
	orgID  string
	flow   string
	key    []byte // jwt
	store  string // refresh_token: the token-store folder
	budget int
	loc    *time.Location
	ledger APICallLedger
	now    func() time.Time
	log    *slog.Logger
	oauth  sfbulk.OAuthConfig
	api    sfbulk.Config // template for each owner's client
	// flushEvery is LedgerFlushInterval (shorter in tests).
	flushEvery time.Duration

	mu      sync.Mutex
	owners  map[string]*ownerEntry // by user id as the caller gives it
	pending map[callKey]int        // calls not yet in the ledger
	timer   *time.Timer
	flushMu sync.Mutex // one flush at a time, so Flush returns with every earlier count written
}

type callKey struct{ userID, day string }

// ownerEntry is one owner's client, or the permanent error getting it;
// ready is closed once either is set.
type ownerEntry struct {
	ready  chan struct{}
	ts     sfbulk.TokenSource
	client *sfbulk.Client
	day    string
	err    error
}

// NewUserClients checks contacts.auth (the key of the jwt flow is read
// here) and returns an empty cache of owners' clients for the org orgID
// (the job's: a token of any other org is refused). now defaults to
// time.Now, log to a discarding logger.
func NewUserClients(cfg *Config, orgID string, ledger APICallLedger, now func() time.Time, log *slog.Logger) (*UserClients, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if ledger == nil {
		return nil, errors.New("user clients: nil ledger")
	}
	if orgID == "" || !sfid.Valid(orgID) {
		return nil, fmt.Errorf("user clients: %q is not the job's org id", orgID)
	}
	ct := cfg.Contacts
	if ct.DailyAPIBudget < 1 {
		return nil, fmt.Errorf("user clients: contacts.daily_api_budget %d: %w", ct.DailyAPIBudget, ErrConfig)
	}
	oc, api, err := ownerOAuth(cfg, log)
	if err != nil {
		return nil, err
	}
	u := &UserClients{orgID: orgID, flow: ct.Auth.Flow, budget: ct.DailyAPIBudget, loc: ct.Location(), ledger: ledger,
		now: now, log: log, oauth: oc, api: api, flushEvery: LedgerFlushInterval, owners: map[string]*ownerEntry{}, pending: map[callKey]int{}}
	switch ct.Auth.Flow {
	case FlowJWT:
		path := cfg.OwnerKeyFile()
		if path == "" {
			return nil, fmt.Errorf("user clients: contacts.auth.private_key_file is not set: %w", ErrConfig)
		}
		if u.key, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("user clients: contacts.auth private key: %v: %w", err, ErrConfig)
		}
		if err := readRSAKey(path); err != nil {
			return nil, fmt.Errorf("user clients: contacts.auth private key: %v: %w", err, ErrConfig)
		}
	case FlowRefreshToken:
		if ct.Auth.TokenStore == "" {
			return nil, fmt.Errorf("user clients: contacts.auth.token_store is not set: %w", ErrConfig)
		}
		if err := CheckTokenStoreDir(ct.Auth.TokenStore); err != nil {
			return nil, fmt.Errorf("user clients: contacts.auth.token_store: %w", err)
		}
		u.store = ct.Auth.TokenStore
	default:
		return nil, fmt.Errorf("user clients: contacts.auth.flow %q (want jwt or refresh_token): %w", ct.Auth.Flow, ErrConfig)
	}
	return u, nil
}

// ownerOAuth is the job's connected app (client id and, when configured,
// its secret) on the job's login host, with one HTTP client shared by all
// owners, and the template of their clients' settings. Against the
// simulator (a loopback login host) retries and polls run on its scale, as
// Connect does.
func ownerOAuth(cfg *Config, log *slog.Logger) (sfbulk.OAuthConfig, sfbulk.Config, error) {
	sf := cfg.Salesforce
	secret, err := sf.Auth.ClientSecret()
	if err != nil {
		return sfbulk.OAuthConfig{}, sfbulk.Config{}, fmt.Errorf("user clients: %w", err)
	}
	retry, poll, maxPoll := sfbulk.DefaultRetryPolicy(), time.Duration(0), time.Duration(0)
	if u, err := url.Parse(sf.LoginURL); err == nil && isLoopbackHost(u.Hostname()) {
		retry = sfbulk.RetryPolicy{MaxAttempts: 8, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}
		poll, maxPoll = 50*time.Millisecond, time.Second
	}
	hc := sfbulk.DefaultHTTPClient()
	oc := sfbulk.OAuthConfig{LoginURL: sf.LoginURL, ClientID: sf.Auth.ClientID, ClientSecret: secret, HTTPClient: hc, Logger: log, Retry: retry}
	api := sfbulk.Config{APIVersion: sf.APIVersion, HTTPClient: hc, Logger: log, Retry: retry, PollInterval: poll, MaxPollInterval: maxPoll}
	return oc, api, nil
}

// OwnerOAuth is the connected app navsync acts as owners with (the job's
// client id and secret on its login host), for navsync auth.
func OwnerOAuth(cfg *Config, log *slog.Logger) (sfbulk.OAuthConfig, error) {
	oc, _, err := ownerOAuth(cfg, log)
	return oc, err
}

// SetHTTPClient makes every owner's token requests and API calls go
// through hc (tests; the default has dial and header timeouts). Call it
// before the first Client.
func (u *UserClients) SetHTTPClient(hc *http.Client) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.oauth.HTTPClient, u.api.HTTPClient = hc, hc
}

// CheckTokenStoreDir accepts a missing folder (navsync auth login creates
// it, mode 0700) or a folder group and others may not enter; anything else
// is refused, since the owners' refresh tokens are in it.
func CheckTokenStoreDir(dir string) error { return checkStoreDir(dir) }

// Day is the ledger's day key of t in the org's time zone.
func (u *UserClients) day(t time.Time) string {
	_, d := state.MonthDay(t, u.loc)
	return d
}

// Client returns the client acting as the user userID, whose username is
// username (cached per user; a cached client of an earlier day is remade
// with the same token so the budget follows the new day): the JWT bearer
// flow for username with the connected app's key, or the refresh token
// stored for username, refreshed now (so a revoked one is found before
// anything is sent). The client refuses a token of another org
// (sfbulk.ErrOrgMismatch), has contacts.daily_api_budget as its
// UserDailyBudget with the calls of today (org time zone) from the ledger,
// and counts every call it sends into the ledger.
//
// Errors: ErrOwnerNotAuthorized (no stored token for username, or a stored
// token of another user); sfbulk.ErrAuthRevoked (invalid_grant: a revoked
// or expired refresh token, an inactive user, a JWT user not
// pre-authorized); sfbulk.ErrOrgMismatch; sfbulk.ErrTokenStoreInsecure.
// These are remembered for the user (a later Client returns them without
// asking Salesforce again); other failures (network, context) are not.
// When the day's budget is already spent, Client returns a
// *sfbulk.BudgetError (sfbulk.ErrBudgetExhausted) without minting a token.
func (u *UserClients) Client(ctx context.Context, userID, username string) (*sfbulk.Client, error) {
	if userID == "" || username == "" {
		return nil, errors.New("user clients: a user id and a username are required")
	}
	for {
		day := u.day(u.now())
		u.mu.Lock()
		e, ok := u.owners[userID]
		if ok {
			select {
			case <-e.ready:
			default: // another goroutine is making it
				u.mu.Unlock()
				select {
				case <-e.ready:
					continue
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			if e.err != nil {
				u.mu.Unlock()
				return nil, e.err
			}
			if e.day == day {
				u.mu.Unlock()
				return e.client, nil
			}
		}
		var ts sfbulk.TokenSource
		if ok {
			ts = e.ts // a new day: same token, new budget
		}
		ne := &ownerEntry{ready: make(chan struct{}), day: day, ts: ts}
		u.owners[userID] = ne
		u.mu.Unlock()

		c, ts, err := u.makeClient(ctx, userID, username, day, ts)
		u.mu.Lock()
		ne.client, ne.ts, ne.err = c, ts, err
		if err != nil && !permanentOwnerErr(err) {
			delete(u.owners, userID) // try again next time
		}
		close(ne.ready)
		u.mu.Unlock()
		return c, err
	}
}

// permanentOwnerErr: errors that another attempt in this run cannot cure.
func permanentOwnerErr(err error) bool {
	return errors.Is(err, ErrOwnerNotAuthorized) || errors.Is(err, sfbulk.ErrAuthRevoked) ||
		errors.Is(err, sfbulk.ErrOrgMismatch) || errors.Is(err, sfbulk.ErrTokenStoreInsecure)
}

func (u *UserClients) makeClient(ctx context.Context, userID, username, day string, ts sfbulk.TokenSource) (*sfbulk.Client, sfbulk.TokenSource, error) {
	used, err := u.ledger.APICalls(ctx, userID, day)
	if err != nil {
		return nil, nil, fmt.Errorf("user clients: API calls of user %s on %s: %w", userID, day, err)
	}
	u.mu.Lock()
	used += u.pending[callKey{userID, day}]
	u.mu.Unlock()
	if used >= u.budget {
		return nil, nil, &sfbulk.BudgetError{UserID: userID, Used: int64(used), Budget: int64(u.budget)}
	}
	if ts == nil {
		if ts, err = u.tokenSource(ctx, userID, username); err != nil {
			return nil, nil, err
		}
	}
	cfg := u.api
	cfg.ExpectOrgID = u.orgID
	cfg.UserDailyBudget = int64(u.budget)
	cfg.CallsToday = int64(used)
	cfg.OnCall = func(string) { u.count(userID) }
	c, err := sfbulk.New(ctx, cfg, ts)
	if err != nil {
		return nil, nil, fmt.Errorf("user %s (%s flow): %w", userID, u.flow, err)
	}
	if got := c.Identity().UserID; !sfid.Equal(got, userID) {
		return nil, nil, fmt.Errorf("user %s: the token of %s acts as user %s: %w", userID, u.tokenWhere(), got, ErrOwnerNotAuthorized)
	}
	return c, ts, nil
}

func (u *UserClients) tokenWhere() string {
	if u.flow == FlowJWT {
		return "the JWT sign-in"
	}
	return "the token store"
}

// tokenSource makes the owner's token source and, for a stored refresh
// token, checks it against the org and mints a fresh access token.
func (u *UserClients) tokenSource(ctx context.Context, userID, username string) (sfbulk.TokenSource, error) {
	if u.flow == FlowJWT {
		ts, err := sfbulk.NewJWTSource(u.oauth, username, u.key)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", userID, err)
		}
		return ts, nil
	}
	store := sfbulk.UserTokenStore(u.store, username)
	tok, err := store.Load(ctx)
	switch {
	case errors.Is(err, sfbulk.ErrNoToken):
		return nil, fmt.Errorf("user %s: %w", userID, ErrOwnerNotAuthorized)
	case err != nil:
		return nil, fmt.Errorf("user %s: %w", userID, err)
	case tok.RefreshToken == "":
		return nil, fmt.Errorf("user %s: the stored token has no refresh token: %w", userID, ErrOwnerNotAuthorized)
	case tok.ID != "" && !sfbulk.SameOrg(tok.ID, u.orgID):
		org, _, _ := sfbulk.ParseIdentityURL(tok.ID)
		return nil, fmt.Errorf("user %s: stored token of org %s, the job's is %s: %w", userID, org, u.orgID, sfbulk.ErrOrgMismatch)
	}
	ts, err := sfbulk.NewRefreshTokenSource(u.oauth, store)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", userID, err)
	}
	// Refresh now: a revoked token shows here, before any write, and the
	// access token is fresh for the run (a token request is no API call).
	if _, err := ts.Refresh(ctx, nil); err != nil {
		return nil, fmt.Errorf("user %s (refresh_token flow): %w", userID, err)
	}
	return ts, nil
}

// count notes one API call of userID, now.
func (u *UserClients) count(userID string) {
	k := callKey{userID, u.day(u.now())}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pending[k]++
	u.scheduleLocked()
}

func (u *UserClients) scheduleLocked() {
	if u.timer == nil && len(u.pending) > 0 {
		u.timer = time.AfterFunc(u.flushEvery, u.flushLater)
	}
}

// flushLater is the timer's flush; a failure keeps the counts for the next.
func (u *UserClients) flushLater() {
	u.mu.Lock()
	u.timer = nil
	u.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := u.Flush(ctx); err != nil {
		u.log.Warn("owners' API calls not written to the ledger yet; will retry", "err", err)
	}
}

// Flush writes every call counted so far to the ledger. Counts it could
// not write stay in memory for the next flush.
func (u *UserClients) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	batch := u.pending
	u.pending = map[callKey]int{}
	if u.timer != nil {
		u.timer.Stop()
		u.timer = nil
	}
	u.mu.Unlock()
	keys := make([]callKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].userID < keys[j].userID || keys[i].userID == keys[j].userID && keys[i].day < keys[j].day
	})
	var errs []error
	failed := map[callKey]int{}
	for _, k := range keys {
		if err := u.ledger.AddAPICalls(ctx, k.userID, k.day, batch[k]); err != nil {
			errs = append(errs, fmt.Errorf("ledger: API calls of user %s on %s: %w", k.userID, k.day, err))
			failed[k] = batch[k]
		}
	}
	if len(failed) > 0 {
		u.mu.Lock()
		for k, n := range failed {
			u.pending[k] += n
		}
		u.scheduleLocked()
		u.mu.Unlock()
	}
	return errors.Join(errs...)
}
