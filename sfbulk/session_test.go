package sfbulk

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingOAuth is the org's OAuth config with token requests counted in mints.
func countingOAuth(o *simOrg, mints *atomic.Int64) OAuthConfig {
	cfg := o.oauth()
	inner := o.srv.Client().Transport
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/services/oauth2/token") {
			mints.Add(1)
		}
		return inner.RoundTrip(r)
	})}
	return cfg
}

// TestRefreshAfterCachedTokenExpired replays the race of issue 9 (defect 3)
// deterministically: while a request carrying token T1 is on its way,
// another caller of the same source sees T1 refused and refreshes to T2, and
// T2 ends too (a short session timeout on a loaded machine) before this
// request's 401 comes back. The source hands this request the cached T2,
// which is refused as well; the client must refresh again rather than give
// up with INVALID_SESSION_ID.
func TestRefreshAfterCachedTokenExpired(t *testing.T) {
	o := newSim(t, sfsim.Options{})
	ctx := context.Background()
	_, rt, err := o.s.IssueToken(o.s.AdminUser().Username)
	if err != nil {
		t.Fatal(err)
	}
	var mints atomic.Int64
	ts, err := NewRefreshTokenSource(countingOAuth(o, &mints), NewMemoryTokenStore(&Token{RefreshToken: rt}))
	if err != nil {
		t.Fatal(err)
	}
	inner := o.srv.Client().Transport
	var once sync.Once
	var hookErr error
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.Path, "/services/data/") {
			once.Do(func() {
				stale := &Token{AccessToken: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
				o.s.ExpireSessions()                              // T1 ends,
				if _, err := ts.Refresh(ctx, stale); err != nil { // another caller refreshes to T2,
					hookErr = err
				}
				o.s.ExpireSessions() // and T2 ends before this request is answered.
			})
		}
		return inner.RoundTrip(r)
	})}
	c, err := New(ctx, Config{HTTPClient: hc, Retry: simRetry()}, ts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Limits(ctx); err != nil {
		t.Fatalf("a cached token that had expired ended the request: %v", err)
	}
	if hookErr != nil {
		t.Fatal(hookErr)
	}
	// T1 (New), T2 (the other caller), T3 (after T2 was refused).
	if n := mints.Load(); n != 3 {
		t.Errorf("%d tokens minted, want 3", n)
	}
	if n := c.Usage().Refreshes; n != 2 {
		t.Errorf("%d refreshes, want 2 (one per consecutive 401)", n)
	}
}

// TestRefreshBoundedUnderPersistent401 checks that a token source which only
// ever hands back refused tokens cannot make the client loop.
func TestRefreshBoundedUnderPersistent401(t *testing.T) {
	o := newSim(t, sfsim.Options{})
	ctx := context.Background()
	var calls atomic.Int64
	inner := o.srv.Client().Transport
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return inner.RoundTrip(r)
	})}
	ts := &refusedSource{tok: &Token{AccessToken: o.s.OrgID()[:15] + "!nope", InstanceURL: o.srv.URL,
		ID: o.srv.URL + "/id/" + o.s.OrgID() + "/" + o.s.AdminUser().ID}}
	c, err := New(ctx, Config{HTTPClient: hc, Retry: simRetry()}, ts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Limits(ctx)
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("want ErrSessionExpired, got %v", err)
	}
	if n := calls.Load(); n != 1+maxSessionRefreshes {
		t.Errorf("%d calls, want %d (one per refresh, bounded)", n, 1+maxSessionRefreshes)
	}
	if n := ts.refreshes.Load(); n != maxSessionRefreshes {
		t.Errorf("%d refreshes, want %d", n, maxSessionRefreshes)
	}
}

// refusedSource is a foreign TokenSource (it cannot say whether a token is
// freshly minted) whose tokens are all refused.
type refusedSource struct {
	tok       *Token
	refreshes atomic.Int64
}

func (s *refusedSource) Token(context.Context) (*Token, error) { return s.tok, nil }
func (s *refusedSource) Refresh(context.Context, *Token) (*Token, error) {
	s.refreshes.Add(1)
	return s.tok, nil
}

// TestRefusedStoredTokenNotReused: after Salesforce refused the stored
// access token and the refresh failed (token endpoint down), the next Token
// call must mint a new token, not hand out the refused one from the store.
func TestRefusedStoredTokenNotReused(t *testing.T) {
	o := newSim(t, sfsim.Options{})
	ctx := context.Background()
	at, rt, err := o.s.IssueToken(o.s.AdminUser().Username)
	if err != nil {
		t.Fatal(err)
	}
	store := NewMemoryTokenStore(&Token{AccessToken: at, RefreshToken: rt, InstanceURL: o.srv.URL,
		ID: o.srv.URL + "/id/" + o.s.OrgID() + "/" + o.s.AdminUser().ID})
	ts, err := NewRefreshTokenSource(o.oauth(), store)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token(ctx)
	if err != nil || tok.AccessToken != at {
		t.Fatalf("stored token not used: %v", err)
	}
	o.s.ExpireSessions()
	o.s.SetFaults(sfsim.Faults{Unavailable: 1})
	if _, err := ts.Refresh(ctx, tok); err == nil {
		t.Fatal("refresh succeeded while the token endpoint answered 503")
	}
	o.s.SetFaults(sfsim.Faults{})
	tok2, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == at {
		t.Fatal("Token handed out the access token Salesforce had refused")
	}
}
