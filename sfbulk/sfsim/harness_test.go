package sfsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Users of the test world, one per profile plus an inactive one.
var (
	uStd      = sfid.New(sfid.User, "3t", 1)
	uRO       = sfid.New(sfid.User, "3t", 2)
	uNoAPI    = sfid.New(sfid.User, "3t", 3)
	uInactive = sfid.New(sfid.User, "3t", 4)
	acc1      = sfid.New(sfid.Account, "3t", 1)
	acc2      = sfid.New(sfid.Account, "3t", 2)
	con1      = sfid.New(sfid.Contact, "3t", 1)
	leadOpen  = sfid.New(sfid.Lead, "3t", 1)
	leadConv  = sfid.New(sfid.Lead, "3t", 2)
	opp1      = sfid.New(sfid.Opportunity, "3t", 1)
)

type harness struct {
	t     *testing.T
	s     *Server
	ts    *served
	clk   *clock
	admin string // admin access token
}

// newHarness starts an org with a small world: 4 users, 2 accounts,
// nContacts contacts (the first is con1 at acc1), 2 leads (one converted),
// 1 opportunity.
func newHarness(t *testing.T, opts Options, nContacts int) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Load("User", []string{"Id", "Username", "Email", "FirstName", "LastName", "IsActive", "ProfileId"}, [][]string{
		{uStd, "std@example.com", "std@example.com", "Sam", "Standard", "true", sfid.ProfileStandard},
		{uRO, "ro@example.com", "ro@example.com", "Rita", "Reader", "true", sfid.ProfileReadOnly},
		{uNoAPI, "noapi@example.com", "noapi@example.com", "Nina", "Noapi", "true", sfid.ProfileNoAPI},
		{uInactive, "gone@example.com", "gone@example.com", "Gus", "Gone", "false", sfid.ProfileStandard},
	}))
	must(s.Load("Account", []string{"Id", "Name", "Website", "OwnerId"}, [][]string{
		{acc1, "Acme Corp", "acme.example", uStd},
		{acc2, "National Utility", "nu.example", uStd},
	}))
	rows := [][]string{}
	for i := 1; i <= nContacts; i++ {
		email := fmt.Sprintf("c%d@acme.example", i)
		rows = append(rows, []string{sfid.New(sfid.Contact, "3t", uint64(i)), fmt.Sprintf("First%d", i), fmt.Sprintf("Last%04d", i), email, acc1, "Acme Corp", uStd})
	}
	if nContacts > 0 {
		rows[0][1], rows[0][2] = "Ann", "O\"Hara, Jr"
	}
	must(s.Load("Contact", []string{"Id", "FirstName", "LastName", "Email", "AccountId", "Account.Name", "OwnerId"}, rows))
	must(s.Load("Lead", []string{"Id", "LastName", "Company", "Email", "IsConverted", "ConvertedContactId", "Status"}, [][]string{
		{leadOpen, "Lee", "Leadco", "lee@leadco.example", "false", "", "Open - Not Contacted"},
		{leadConv, "Conrad", "Convco", "conrad@convco.example", "true", con1, "Closed - Converted"},
	}))
	must(s.Load("Opportunity", []string{"Id", "Name", "AccountId", "StageName", "CloseDate"}, [][]string{
		{opp1, "Acme renewal", acc1, "Prospecting", "2026-06-30"},
	}))
	t.Cleanup(s.Close)
	ts := serve(t, s) // stops before s.Close (cleanups run last-in first-out)
	tok, _, err := s.IssueToken(s.AdminUser().Username)
	must(err)
	return &harness{t: t, s: s, ts: ts, clk: clk, admin: tok}
}

func (h *harness) token(username string) string {
	h.t.Helper()
	tok, _, err := h.s.IssueToken(username)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the errorCode of a top-level REST error body.
func (r resp) errorCode() string {
	var e []struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(r.body, &e) != nil || len(e) == 0 {
		return ""
	}
	return e[0].ErrorCode
}

// do sends a request with the token (empty: none); body is JSON-encoded
// unless it is a string or []byte.
func (h *harness) do(method, path, token string, body any, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ctype = "text/csv"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

const v = "/services/data/v62.0"
