package sfbulk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseLimitInfo(t *testing.T) {
	tests := []struct {
		in   string
		want LimitInfo
		ok   bool
	}{
		{"api-usage=18/5000", LimitInfo{Used: 18, Max: 5000}, true},
		{"api-usage=18/5000; per-app-api-usage=17/250(appName=navsync)", LimitInfo{Used: 18, Max: 5000, AppUsed: 17, AppMax: 250, AppName: "navsync"}, true},
		{" api-usage = 1/15000 ", LimitInfo{Used: 1, Max: 15000}, true},
		{"per-app-api-usage=17/250(appName=x)", LimitInfo{AppUsed: 17, AppMax: 250, AppName: "x"}, false},
		{"api-usage=abc/5000", LimitInfo{}, false},
		{"api-usage=5", LimitInfo{}, false},
		{"", LimitInfo{}, false},
	}
	for _, tc := range tests {
		got, ok := ParseLimitInfo(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %+v %v", tc.in, got, ok)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n := 1; n <= 8; n++ {
		full := min(100*time.Millisecond<<(n-1), time.Second)
		for range 50 {
			d := p.Backoff(n, 0)
			if d < full/2 || d > full {
				t.Fatalf("retry %d: %v outside [%v,%v]", n, d, full/2, full)
			}
		}
	}
	if d := p.Backoff(1, 3*time.Second); d != 3*time.Second {
		t.Fatalf("Retry-After ignored: %v", d)
	}
	if d := p.Backoff(1, time.Hour); d != 4*time.Second {
		t.Fatalf("Retry-After not capped: %v", d)
	}
	if got := parseRetryAfter("7", time.Now()); got != 7*time.Second {
		t.Fatal(got)
	}
	now := time.Now()
	if got := parseRetryAfter(now.Add(10*time.Second).UTC().Format(http.TimeFormat), now); got < 8*time.Second || got > 10*time.Second {
		t.Fatal(got)
	}
}

func TestAPIErrorSentinels(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		is        []error
		retryable bool
	}{
		{401, "INVALID_SESSION_ID", "Session expired or invalid", []error{ErrSessionExpired}, false},
		{403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", []error{ErrLimitExhausted}, false},
		{403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded", []error{ErrConcurrencyLimit}, true},
		{403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.", []error{ErrAPIDisabled}, false},
		{400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", []error{ErrConvertedLead}, false},
		{403, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id", []error{ErrInsufficientAccess}, false},
		{400, "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "insufficient access rights on cross-reference id", []error{ErrInsufficientAccess}, false},
		{400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", []error{ErrRowLocked}, true},
		{503, "SERVER_UNAVAILABLE", "Server Unavailable", []error{ErrUnavailable}, true},
		{502, "", "<html>Bad Gateway</html>", []error{ErrUnavailable}, true},
		{504, "", "", []error{ErrUnavailable}, true},
		{400, "MALFORMED_QUERY", "unexpected token", []error{ErrInvalidQuery}, false},
		{400, "INVALID_FIELD", "No such column 'Foo' on entity 'Contact'", []error{ErrInvalidQuery, ErrValidation}, false},
		{400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", []error{ErrValidation}, false},
		{404, "NOT_FOUND", "The requested resource does not exist", []error{ErrNotFound}, false},
		{400, "DUPLICATES_DETECTED", "duplicate", []error{ErrDuplicate}, false},
	}
	all := []error{ErrSessionExpired, ErrLimitExhausted, ErrConcurrencyLimit, ErrAPIDisabled, ErrConvertedLead, ErrInsufficientAccess,
		ErrRowLocked, ErrUnavailable, ErrInvalidQuery, ErrNotFound, ErrDuplicate, ErrValidation, ErrAuthRevoked, ErrBudgetExhausted}
	for _, tc := range tests {
		e := fmt.Errorf("wrapped: %w", &APIError{HTTPStatus: tc.status, ErrorCode: tc.code, Message: tc.msg})
		for _, s := range all {
			want := false
			for _, w := range tc.is {
				want = want || w == s
			}
			if errors.Is(e, s) != want {
				t.Errorf("%d %s: errors.Is(%v) = %v", tc.status, tc.code, s, !want)
			}
		}
		var ae *APIError
		if !errors.As(e, &ae) || ae.Retryable() != tc.retryable {
			t.Errorf("%d %s: retryable %v", tc.status, tc.code, ae.Retryable())
		}
		re := &RecordError{StatusCode: tc.code, Message: tc.msg}
		if tc.code == "CANNOT_UPDATE_CONVERTED_LEAD" && !errors.Is(re, ErrConvertedLead) {
			t.Error("record error not mapped")
		}
	}
}

// statusSeq answers the given statuses in turn, then 200 with body.
func statusSeq(calls *atomic.Int64, seq []func(http.ResponseWriter), ok func(http.ResponseWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		if n < len(seq) {
			seq[n](w)
			return
		}
		ok(w)
	}
}

func okLimits(w http.ResponseWriter) {
	writeJSON(w, 200, map[string]any{"DailyApiRequests": map[string]int{"Max": 15000, "Remaining": 14000}})
}

func TestRetryPolicyByError(t *testing.T) {
	unavailable := func(w http.ResponseWriter) { writeErr(w, 503, "SERVER_UNAVAILABLE", "Server Unavailable") }
	gateway := func(w http.ResponseWriter) {
		w.WriteHeader(502)
		w.Write([]byte("<html><body>Bad Gateway</body></html>"))
	}
	retryAfter := func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "0")
		writeErr(w, 503, "SERVER_UNAVAILABLE", "Server Unavailable")
	}
	concurrent := func(w http.ResponseWriter) {
		writeErr(w, 403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded")
	}
	daily := func(w http.ResponseWriter) {
		writeErr(w, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
	}
	perm := func(w http.ResponseWriter) {
		writeErr(w, 403, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
	}
	disabled := func(w http.ResponseWriter) {
		writeErr(w, 403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
	}
	drop := func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }
	cutBody := func(w http.ResponseWriter) {
		w.WriteHeader(403)
		w.Write([]byte(`[{"errorCode":"REQUEST_LIMIT_EX`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	tests := []struct {
		name      string
		seq       []func(http.ResponseWriter)
		wantCalls int64
		wantErr   error
	}{
		{"503 storm then ok", []func(http.ResponseWriter){unavailable, unavailable, retryAfter}, 4, nil},
		{"502 gateway page", []func(http.ResponseWriter){gateway}, 2, nil},
		{"dropped connection", []func(http.ResponseWriter){drop, drop}, 3, nil},
		{"concurrency limit", []func(http.ResponseWriter){concurrent}, 2, nil},
		{"error body cut off", []func(http.ResponseWriter){cutBody}, 2, nil},
		{"503 beyond attempts", []func(http.ResponseWriter){unavailable, unavailable, unavailable, unavailable, unavailable, unavailable}, 5, ErrUnavailable},
		{"daily limit not retried", []func(http.ResponseWriter){daily}, 1, ErrLimitExhausted},
		{"permission not retried", []func(http.ResponseWriter){perm}, 1, ErrInsufficientAccess},
		{"api disabled not retried", []func(http.ResponseWriter){disabled}, 1, ErrAPIDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOrg(t)
			var calls atomic.Int64
			f.mux.HandleFunc("GET /services/data/v62.0/limits", statusSeq(&calls, tc.seq, okLimits))
			c, _ := f.client(t, nil)
			_, err := c.Limits(context.Background())
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("calls %d, want %d", calls.Load(), tc.wantCalls)
			}
			// The transport may itself resend a GET after a dropped keep-alive
			// connection; the client still counts every request sent.
			if u := c.Usage(); u.Calls != tc.wantCalls || u.Retries > tc.wantCalls-1 || (tc.wantCalls > 1) != (u.Retries > 0) {
				t.Fatalf("usage %+v", u)
			}
		})
	}
}

func TestBudgetStopsBeforeSending(t *testing.T) {
	f := newFakeOrg(t)
	var calls atomic.Int64
	f.mux.HandleFunc("GET /services/data/v62.0/limits", statusSeq(&calls, nil, okLimits))
	var ledger atomic.Int64
	c, _ := f.client(t, func(cfg *Config) {
		cfg.UserDailyBudget = 5
		cfg.CallsToday = 2
		cfg.OnCall = func(user string) {
			if user == f.userID {
				ledger.Add(1)
			}
		}
	})
	for i := range 3 {
		if _, err := c.Limits(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := c.Limits(context.Background())
	var be *BudgetError
	if !errors.Is(err, ErrBudgetExhausted) || !errors.As(err, &be) || be.Used != 5 || be.Budget != 5 {
		t.Fatalf("got %v", err)
	}
	if calls.Load() != 3 || ledger.Load() != 3 {
		t.Fatalf("calls %d ledger %d", calls.Load(), ledger.Load())
	}
	if u := c.Usage(); u.Calls != 5 || u.UserID != f.userID || u.Org.Max != 15000 || u.Org.Used == 0 {
		t.Fatalf("usage %+v", u)
	}
	if SendStateOf(err) != NotSent {
		t.Fatal("budget stop must be NotSent")
	}
}

func TestOrgReserve(t *testing.T) {
	f := newFakeOrg(t)
	f.apiUsed = 14890
	var calls atomic.Int64
	f.mux.HandleFunc("GET /services/data/v62.0/limits", statusSeq(&calls, nil, okLimits))
	c, _ := f.client(t, func(cfg *Config) { cfg.OrgReserve = 100 })
	var err error
	for range 20 {
		if _, err = c.Limits(context.Background()); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrLimitExhausted) {
		t.Fatalf("got %v", err)
	}
	if u := c.Usage(); u.Org.Max-u.Org.Used > 100 {
		t.Fatalf("stopped too early: %+v", u.Org)
	}
}

func TestRESTQueryPaging(t *testing.T) {
	f := newFakeOrg(t)
	var gotQ string
	f.mux.HandleFunc("GET /services/data/v62.0/query", func(w http.ResponseWriter, r *http.Request) {
		gotQ = r.URL.Query().Get("q")
		w.Write([]byte(`{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gRO0000016PIAYA2-2","records":[
			{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003A"},"Id":"003A","Email":null,"Account":{"attributes":{"type":"Account","url":"x"},"Name":"Acme"},"NumberOfEmployees":12},
			{"attributes":{"type":"Contact","url":"x"},"Id":"003B","Email":"b@x.com","Account":null,"NumberOfEmployees":null}]}`))
	})
	f.mux.HandleFunc("GET /services/data/v62.0/query/{loc}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("loc") != "01gRO0000016PIAYA2-2" {
			t.Errorf("locator %s", r.PathValue("loc"))
		}
		w.Write([]byte(`{"totalSize":3,"done":true,"records":[{"attributes":{"type":"Contact","url":"x"},"Id":"003C","Email":"c@x.com","Account":null}]}`))
	})
	c, _ := f.client(t, nil)
	q, _ := Select("Id", "Email", "Account.Name").From("Contact").Where(Eq("LastName", "O'Brien")).Build()
	recs, err := c.QueryRecords(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if gotQ != q {
		t.Fatalf("server got %q", gotQ)
	}
	if len(recs) != 3 || recs[0].String("Account.Name") != "Acme" || recs[1].String("Account.Name") != "" || recs[0].String("Email") != "" ||
		recs[0].String("NumberOfEmployees") != "12" || recs[2].String("Id") != "003C" || recs[0].Type() != "Contact" {
		t.Fatalf("records %v", recs)
	}
	// Early stop sends no further page request.
	before := f.apiCalls.Load()
	for range c.Query(context.Background(), q) {
		break
	}
	if f.apiCalls.Load()-before != 1 {
		t.Fatal("paging continued after the caller stopped")
	}
	// A bad query is typed.
	f.mux.HandleFunc("GET /services/data/v62.0/queryAll", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, 400, "INVALID_FIELD", "No such column 'Foo' on entity 'Contact'.")
	})
	for _, err := range c.QueryAll(context.Background(), "SELECT Foo FROM Contact") {
		if !errors.Is(err, ErrInvalidQuery) {
			t.Fatalf("got %v", err)
		}
	}
}

func TestDescribeCachedAndSuggestions(t *testing.T) {
	f := newFakeOrg(t)
	var describes atomic.Int64
	f.mux.HandleFunc("GET /services/data/v62.0/sobjects/Contact/describe", func(w http.ResponseWriter, r *http.Request) {
		describes.Add(1)
		w.Write([]byte(`{"name":"Contact","label":"Contact","keyPrefix":"003","createable":true,"updateable":true,"queryable":true,
		"fields":[{"name":"LastName","type":"string","length":80,"nillable":false,"createable":true,"updateable":true,"defaultedOnCreate":false},
		{"name":"OwnerId","type":"reference","nillable":false,"createable":true,"defaultedOnCreate":true,"referenceTo":["User"]},
		{"name":"HasOptedOutOfEmail","type":"boolean","nillable":false,"createable":true,"defaultedOnCreate":false},
		{"name":"LeadSource","type":"picklist","length":40,"nillable":true,"createable":true,"picklistValues":[
		 {"active":true,"defaultValue":false,"label":"Web","validFor":null,"value":"Web"},
		 {"active":false,"defaultValue":false,"label":"Old","validFor":null,"value":"Old"}]}],"childRelationships":[],"recordTypeInfos":[],"urls":{}}`))
	})
	var suggestQ string
	f.mux.HandleFunc("GET /services/data/v62.0/search/suggestions", func(w http.ResponseWriter, r *http.Request) {
		suggestQ = r.URL.RawQuery
		w.Write([]byte(`{"autoSuggestResults":[{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001A"},"Id":"001A","Name":"Acme Corp"}],"hasMoreResults":true}`))
	})
	c, _ := f.client(t, nil)
	for range 3 {
		d, err := c.Describe(context.Background(), "Contact")
		if err != nil {
			t.Fatal(err)
		}
		if !d.Field("lastname").RequiredOnCreate() || d.Field("OwnerId").RequiredOnCreate() || d.Field("HasOptedOutOfEmail").RequiredOnCreate() {
			t.Fatal("required-on-create rule wrong")
		}
		if lf := d.Field("LeadSource"); !lf.HasPicklistValue("Web") || lf.HasPicklistValue("Old") || lf.HasPicklistValue("web") {
			t.Fatal("picklist check wrong")
		}
	}
	if describes.Load() != 1 {
		t.Fatalf("describe not cached: %d calls", describes.Load())
	}
	if _, err := c.Describe(context.Background(), "Contact/../x"); err == nil {
		t.Fatal("bad object name accepted")
	}
	recs, more, err := c.SearchSuggestions(context.Background(), "Account", "acm", 3, "Id", "Name")
	if err != nil || len(recs) != 1 || !more || recs[0].String("Name") != "Acme Corp" {
		t.Fatalf("%v %v %v", recs, more, err)
	}
	if !strings.Contains(suggestQ, "sobject=Account") || !strings.Contains(suggestQ, "limit=3") || !strings.Contains(suggestQ, "q=acm") {
		t.Fatalf("query %s", suggestQ)
	}
	if _, _, err := c.SearchSuggestions(context.Background(), "Account", "a", 0); err == nil {
		t.Fatal("one-letter query accepted")
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	f := newFakeOrg(t)
	var calls atomic.Int64
	f.mux.HandleFunc("GET /services/data/v62.0/query", statusSeq(&calls, []func(http.ResponseWriter){
		func(w http.ResponseWriter) { writeErr(w, 503, "SERVER_UNAVAILABLE", "Server Unavailable") },
		func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }, // a transport error, logged
		func(w http.ResponseWriter) { panic(http.ErrAbortHandler) },
	}, func(w http.ResponseWriter) { w.Write([]byte(`{"totalSize":0,"done":true,"records":[]}`)) }))
	var buf bytes.Buffer
	c, store := f.client(t, func(cfg *Config) { cfg.Logger = newTestLogger(&buf) })
	f.expireAll()
	q, _ := Select("Id").From("Contact").Where(Eq("Email", "secret.person@example.com")).Build()
	if _, err := c.QueryRecords(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	tok, _ := store.Load(context.Background())
	out := buf.String()
	if !strings.Contains(out, "will retry") || !strings.Contains(out, "request failed") {
		t.Fatalf("expected a retry log line, got %s", out)
	}
	for _, secret := range []string{"secret.person", "secret.person%40", "Email", tok.AccessToken, tok.RefreshToken, f.orgID[:15] + "!"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestBudgetHoldsUnderConcurrency(t *testing.T) {
	f := newFakeOrg(t)
	var calls atomic.Int64
	f.mux.HandleFunc("GET /services/data/v62.0/limits", statusSeq(&calls, nil, okLimits))
	c, _ := f.client(t, func(cfg *Config) { cfg.UserDailyBudget = 10 })
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Limits(context.Background()); errors.Is(err, ErrBudgetExhausted) {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 10 || refused.Load() != 20 || c.Usage().Calls != 10 {
		t.Fatalf("sent %d, refused %d, usage %d", calls.Load(), refused.Load(), c.Usage().Calls)
	}
}

func TestQueryTooLongRefusedLocally(t *testing.T) {
	f := newFakeOrg(t)
	c, _ := f.client(t, nil)
	emails := make([]string, 1500)
	for i := range emails {
		emails[i] = fmt.Sprintf("person%d@example.com", i)
	}
	q, err := Select("Id").From("Contact").Where(InStrings("Email", emails)).Build()
	if err != nil {
		t.Fatal(err)
	}
	calls := f.apiCalls.Load()
	if _, err := c.QueryRecords(context.Background(), q); !errors.Is(err, ErrQueryTooLong) {
		t.Fatalf("got %v", err)
	}
	if f.apiCalls.Load() != calls {
		t.Fatal("an over-long query was sent")
	}
}
