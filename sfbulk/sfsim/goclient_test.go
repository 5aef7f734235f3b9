package sfsim_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	salesforce "github.com/k-capehart/go-salesforce/v3"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// The conformance tests drive the simulator with third-party clients, so a
// wire detail the simulator gets wrong shows up as a failure of a client
// that works against real Salesforce.

// conformanceOrg is a simulator org behind a loopback HTTP server, with a
// log of the paths clients requested.
type conformanceOrg struct {
	srv      *sfsim.Server
	ts       *httptest.Server
	token    string // the admin's access token
	accounts []string
	mu       sync.Mutex
	requests []string // "METHOD path?query"
}

const (
	confAccounts = 40
	confPod      = "7q" // id pod of the records these tests load
)

// newConformanceOrg starts an org with confAccounts accounts and nContacts
// contacts named Contact00001… (LastName), every contact at an account,
// half with an email.
func newConformanceOrg(t *testing.T, opts sfsim.Options, nContacts int) *conformanceOrg {
	t.Helper()
	srv, err := sfsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	o := &conformanceOrg{srv: srv}
	var accRows [][]string
	for i := 1; i <= confAccounts; i++ {
		id := sfid.New(sfid.Account, confPod, uint64(i))
		o.accounts = append(o.accounts, id)
		accRows = append(accRows, []string{id, fmt.Sprintf("Account %02d", i), fmt.Sprintf("https://acct%02d.example.com", i)})
	}
	if err := srv.Load("Account", []string{"Id", "Name", "Website"}, accRows); err != nil {
		t.Fatal(err)
	}
	var conRows [][]string
	for i := 1; i <= nContacts; i++ {
		email := ""
		if i%2 == 0 {
			email = fmt.Sprintf("contact%05d@example.com", i)
		}
		conRows = append(conRows, []string{
			sfid.New(sfid.Contact, confPod, uint64(i)), "First", fmt.Sprintf("Contact%05d", i), email,
			o.accounts[i%confAccounts], "Web",
		})
	}
	if err := srv.Load("Contact", []string{"Id", "FirstName", "LastName", "Email", "AccountId", "LeadSource"}, conRows); err != nil {
		t.Fatal(err)
	}
	o.token, _, err = srv.IssueToken(srv.AdminUser().Username)
	if err != nil {
		t.Fatal(err)
	}
	o.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.requests = append(o.requests, r.Method+" "+r.URL.RequestURI())
		o.mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		o.ts.Close()
		srv.Close()
	})
	return o
}

// count returns how many logged requests have the method and contain sub.
func (o *conformanceOrg) count(method, sub string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, r := range o.requests {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, sub) {
			n++
		}
	}
	return n
}

// goClient connects go-salesforce with the admin's access token at the
// library's default API version (v63.0 in v3.1.0). The default matters: the
// library strips only "/services/data/v63.0" from nextRecordsUrl, so REST
// paging works at no other version.
func goClient(t *testing.T, o *conformanceOrg, opts ...salesforce.Option) *salesforce.Salesforce {
	t.Helper()
	sf, err := salesforce.Init(salesforce.Creds{Domain: o.ts.URL, AccessToken: o.token}, opts...)
	if err != nil {
		t.Fatalf("go-salesforce Init with an access token: %v", err)
	}
	if sf.GetAuthFlow() != salesforce.AuthFlowAccessToken {
		t.Fatalf("auth flow %v, want access token", sf.GetAuthFlow())
	}
	return sf
}

type goContact struct {
	Id       string `salesforce:"Id"`
	LastName string `salesforce:"LastName"`
	Email    string `salesforce:"Email"`
	Account  struct {
		Name string `salesforce:"Name"`
	} `salesforce:"Account"`
}

func TestGoClientDefaultAPIVersion(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 3)
	// Init validates the token with GET /services/data/<default version>/limits.
	sf, err := salesforce.Init(salesforce.Creds{Domain: o.ts.URL, AccessToken: o.token})
	if err != nil {
		t.Fatalf("go-salesforce Init at its default API version (v63.0 in v3.1.0): %v", err)
	}
	var recs []goContact
	if err := sf.Query("SELECT Id, LastName FROM Contact", &recs); err != nil || len(recs) != 3 {
		t.Fatalf("query at the default version: %d records, %v", len(recs), err)
	}
}

func TestGoClientRESTQueryPaging(t *testing.T) {
	const n = 4500 // three pages of 2,000
	o := newConformanceOrg(t, sfsim.Options{}, n)
	sf := goClient(t, o)
	var recs []goContact
	if err := sf.Query("SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName DESC", &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("got %d records, want %d", len(recs), n)
	}
	ids := map[string]bool{}
	for i, r := range recs {
		ids[r.Id] = true
		k := n - i // descending
		if want := fmt.Sprintf("Contact%05d", k); r.LastName != want {
			t.Fatalf("record %d LastName %q, want %q", i, r.LastName, want)
		}
		if want := fmt.Sprintf("Account %02d", k%confAccounts+1); r.Account.Name != want {
			t.Fatalf("record %d Account.Name %q, want %q", i, r.Account.Name, want)
		}
		if (k%2 == 0) != (r.Email != "") {
			t.Fatalf("record %d Email %q", i, r.Email)
		}
	}
	if len(ids) != n {
		t.Errorf("%d distinct ids in %d records", len(ids), n)
	}
	if got := o.count("GET", "/query/0"); got != 2 {
		t.Errorf("%d nextRecordsUrl fetches, want 2 (requests: %v)", got, o.requests)
	}

	var filtered []goContact
	q := "SELECT Id, LastName FROM Contact WHERE Email != null AND LastName LIKE 'contact0001%' AND Account.Name IN ('Account 03', 'Account 13')"
	if err := sf.Query(q, &filtered); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range filtered {
		names = append(names, r.LastName)
	}
	sort.Strings(names)
	// k in 10..19 with k even and k%40+1 in {3, 13}: k = 12.
	if strings.Join(names, ",") != "Contact00012" {
		t.Errorf("filtered query gave %v, want [Contact00012]", names)
	}
}

func TestGoClientBulkExportPages(t *testing.T) {
	const n, page = 2500, 1000
	o := newConformanceOrg(t, sfsim.Options{BulkPageSize: page}, n)
	sf := goClient(t, o)
	file := filepath.Join(t.TempDir(), "contacts.csv")
	if err := sf.QueryBulkExport("SELECT Id, LastName, Account.Name FROM Contact", file); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || strings.Join(rows[0], ",") != "Id,LastName,Account.Name" {
		t.Fatalf("export has %d rows, header %v; want %d and Id,LastName,Account.Name", len(rows), rows[0], n+1)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] || !sfid.Valid(r[0]) || !strings.HasPrefix(r[1], "Contact") || !strings.HasPrefix(r[2], "Account ") {
			t.Fatalf("bad or repeated row %v", r)
		}
		seen[r[0]] = true
	}
	if got := o.count("GET", "/results"); got != 3 {
		t.Errorf("%d result pages fetched, want 3 of %d rows", got, page)
	}

	// The iterator reads the same pages record by record.
	it, err := sf.QueryBulkIterator("SELECT Id, LastName FROM Contact WHERE Email = null")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for it.Next() {
		var recs []goContact
		if err := it.Decode(&recs); err != nil {
			t.Fatal(err)
		}
		total += len(recs)
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	if total != n/2 {
		t.Errorf("iterator decoded %d records, want %d", total, n/2)
	}
}

func TestGoClientCollectionsInsert(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 0)
	sf := goClient(t, o)
	var recs []map[string]any
	for i := 0; i < 250; i++ { // two calls: 200 and 50
		recs = append(recs, map[string]any{"LastName": fmt.Sprintf("New%03d", i), "AccountId": o.accounts[i%confAccounts]})
	}
	res, err := sf.InsertCollection("Contact", recs, 200)
	if err != nil {
		t.Fatal(err)
	}
	if res.HasSalesforceErrors || len(res.Results) != 250 {
		t.Fatalf("%d results, errors %v", len(res.Results), res.HasSalesforceErrors)
	}
	for i, r := range res.Results {
		if !r.Success || !strings.HasPrefix(r.Id, sfid.Contact) || !sfid.Valid(r.Id) {
			t.Fatalf("result %d: %+v", i, r)
		}
		got, ok := o.srv.Get("Contact", r.Id)
		if !ok || got["LastName"] != fmt.Sprintf("New%03d", i) {
			t.Fatalf("result %d: stored record %v", i, got)
		}
	}
	if got := o.count("POST", "/composite/sobjects"); got != 2 {
		t.Errorf("%d collection calls, want 2", got)
	}

	res, err = sf.InsertCollection("Contact", []map[string]any{{"LastName": "Fine"}, {"FirstName": "NoLastName"}}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if !res.HasSalesforceErrors || len(res.Results) != 2 || !res.Results[0].Success || res.Results[1].Success {
		t.Fatalf("results %+v, want the first to succeed and the second to fail", res.Results)
	}
	e := res.Results[1].Errors
	if len(e) != 1 || e[0].StatusCode != "REQUIRED_FIELD_MISSING" || e[0].Message != "Required fields are missing: [LastName]" ||
		strings.Join(e[0].Fields, ",") != "LastName" {
		t.Errorf("per-record error %+v, want REQUIRED_FIELD_MISSING on LastName", e)
	}
	if o.srv.Count("Contact") != 251 {
		t.Errorf("%d contacts stored, want 251", o.srv.Count("Contact"))
	}
}

func TestGoClientBulkInsert(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 0)
	sf := goClient(t, o)
	var recs []map[string]any
	for i := 0; i < 30; i++ {
		last := fmt.Sprintf("Bulk%02d", i)
		if i%10 == 9 {
			last = "" // three rows miss the required LastName
		}
		recs = append(recs, map[string]any{"FirstName": fmt.Sprintf("F%02d", i), "LastName": last, "AccountId": o.accounts[i%confAccounts]})
	}
	jobs, err := sf.InsertBulk("Contact", recs, 10000, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("job ids %v, want one", jobs)
	}
	res, err := sf.GetJobResults(jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.State != "JobComplete" || res.NumberRecordsFailed != 3 || len(res.SuccessfulRecords) != 27 || len(res.FailedRecords) != 3 {
		t.Fatalf("job %s state %s, %d failed, %d successful rows, %d failed rows; want JobComplete, 3, 27, 3",
			res.Id, res.State, res.NumberRecordsFailed, len(res.SuccessfulRecords), len(res.FailedRecords))
	}
	for _, f := range res.FailedRecords {
		if msg, _ := f["sf__Error"].(string); !strings.HasPrefix(msg, "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]") {
			t.Errorf("failed row sf__Error %q", msg)
		}
	}
	for _, s := range res.SuccessfulRecords {
		id, _ := s["sf__Id"].(string)
		if got, ok := o.srv.Get("Contact", id); !ok || got["LastName"] != s["LastName"] {
			t.Errorf("successful row %v not stored (%v)", s, got)
		}
	}
	if o.srv.Count("Contact") != 27 {
		t.Errorf("%d contacts stored, want 27", o.srv.Count("Contact"))
	}
}

func TestGoClientErrors(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 2)
	sf := goClient(t, o)
	tests := []struct {
		name, soql string
		want       []string
	}{
		{"malformed", "SELECT Id FROMM Contact", []string{`"errorCode":"MALFORMED_QUERY"`, `unexpected token: 'FROMM'`, `ERROR at Row:1:Column:11`}},
		{"unknown field", "SELECT Id, Foo FROM Contact", []string{`"errorCode":"INVALID_FIELD"`, `No such column 'Foo' on entity 'Contact'`}},
		{"unknown object", "SELECT Id FROM Foo__c", []string{`"errorCode":"INVALID_TYPE"`, `sObject type 'Foo__c' is not supported`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []goContact
			err := sf.Query(tt.soql, &recs)
			if err == nil {
				t.Fatalf("REST query %q succeeded", tt.soql)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("REST query error %q lacks %q", err, w)
				}
			}
			err = sf.QueryBulkExport(tt.soql, filepath.Join(t.TempDir(), "x.csv"))
			if err == nil || !strings.Contains(err.Error(), tt.want[0]) {
				t.Errorf("Bulk 2.0 query job for %q: error %v, want %s", tt.soql, err, tt.want[0])
			}
		})
	}
}

func TestGoClientOAuthFlows(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 5)
	app := o.srv.ConnectedApp()
	admin := o.srv.AdminUser().Username

	t.Run("client credentials", func(t *testing.T) {
		sf, err := salesforce.Init(salesforce.Creds{Domain: o.ts.URL, ConsumerKey: app.ClientID, ConsumerSecret: app.ClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		var recs []goContact
		if err := sf.Query("SELECT Id FROM Contact", &recs); err != nil || len(recs) != 5 {
			t.Fatalf("query: %d records, %v", len(recs), err)
		}
		_, err = salesforce.Init(salesforce.Creds{Domain: o.ts.URL, ConsumerKey: app.ClientID, ConsumerSecret: "wrong"})
		if err == nil {
			t.Error("a wrong client secret was accepted")
		}
	})
	t.Run("JWT bearer", func(t *testing.T) {
		sf, err := salesforce.Init(salesforce.Creds{Domain: o.ts.URL, Username: admin, ConsumerKey: app.ClientID,
			ConsumerRSAPem: string(app.PrivateKeyPEM)})
		if err != nil {
			t.Fatal(err)
		}
		if sf.GetAuthFlow() != salesforce.AuthFlowJWT {
			t.Fatalf("auth flow %v", sf.GetAuthFlow())
		}
		var recs []goContact
		if err := sf.Query("SELECT Id FROM Contact", &recs); err != nil || len(recs) != 5 {
			t.Fatalf("query: %d records, %v", len(recs), err)
		}
	})
	t.Run("expired session is refreshed once", func(t *testing.T) {
		sf, err := salesforce.Init(salesforce.Creds{Domain: o.ts.URL, ConsumerKey: app.ClientID, ConsumerSecret: app.ClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		before := sf.GetAccessToken()
		o.srv.ExpireSessions()
		var recs []goContact
		if err := sf.Query("SELECT Id FROM Contact", &recs); err != nil || len(recs) != 5 {
			t.Fatalf("query after the session expired: %d records, %v", len(recs), err)
		}
		if sf.GetAccessToken() == before {
			t.Error("the client kept its expired token")
		}
	})
}

func TestGoClientCompoundAddress(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 0)
	id := sfid.New(sfid.Contact, confPod, 1)
	if err := o.srv.Load("Contact", []string{"Id", "LastName", "MailingCity", "MailingCountry"}, [][]string{{id, "Addressed", "Paris", "France"}}); err != nil {
		t.Fatal(err)
	}
	sf := goClient(t, o)
	type address struct {
		City    string  `salesforce:"city"`
		Country string  `salesforce:"country"`
		Street  *string `salesforce:"street"`
	}
	var recs []struct {
		Id             string   `salesforce:"Id"`
		MailingAddress *address `salesforce:"MailingAddress"`
	}
	if err := sf.Query("SELECT Id, MailingAddress FROM Contact", &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].MailingAddress == nil || recs[0].MailingAddress.City != "Paris" ||
		recs[0].MailingAddress.Country != "France" || recs[0].MailingAddress.Street != nil {
		t.Errorf("MailingAddress %+v, want {city: Paris, country: France, street: null} (docs/sim-bugs.md #2)", recs)
	}
	// Bulk 2.0 refuses compound fields.
	err := sf.QueryBulkExport("SELECT Id, MailingAddress FROM Contact", filepath.Join(t.TempDir(), "x.csv"))
	if err == nil || !strings.Contains(err.Error(), "Selecting compound data not supported in Bulk Query") {
		t.Errorf("Bulk 2.0 query of a compound field: %v, want a refusal (docs/sim-bugs.md #2)", err)
	}
}

func TestGoClientDMLRoundTrip(t *testing.T) {
	o := newConformanceOrg(t, sfsim.Options{}, 0)
	sf := goClient(t, o)
	const ext = "Sales_Navigator_Lead_Id__c"
	get := func(id string) sfsim.Record {
		t.Helper()
		r, _ := o.srv.Get("Contact", id)
		return r
	}
	deleted := func(id string) bool { return get(id)["IsDeleted"] == "true" } // Get still returns deleted records

	one, err := sf.InsertOne("Contact", map[string]any{"LastName": "One", ext: "SN-1"})
	if err != nil || !one.Success || !sfid.Valid(one.Id) {
		t.Fatalf("InsertOne: %+v, %v", one, err)
	}
	if err := sf.UpdateOne("Contact", map[string]any{"Id": one.Id, "Title": "VP"}); err != nil || get(one.Id)["Title"] != "VP" {
		t.Fatalf("UpdateOne: %v, stored %v", err, get(one.Id))
	}

	up, err := sf.UpsertOne("Contact", ext, map[string]any{ext: "SN-1", "Title": "CTO"})
	if err != nil || !up.Success || get(one.Id)["Title"] != "CTO" {
		t.Fatalf("UpsertOne of an existing record: %+v, %v, stored %v", up, err, get(one.Id))
	}
	created, err := sf.UpsertOne("Contact", ext, map[string]any{ext: "SN-2", "LastName": "Two"})
	if err != nil || !created.Success || get(created.Id)["LastName"] != "Two" {
		t.Fatalf("UpsertOne of a new record: %+v, %v", created, err)
	}

	res, err := sf.UpsertCollection("Contact", ext, []map[string]any{
		{ext: "SN-1", "Title": "CEO"},
		{ext: "SN-3", "LastName": "Three"},
		{ext: "SN-4"}, // new and without LastName
	}, 200)
	if err != nil || len(res.Results) != 3 {
		t.Fatalf("UpsertCollection: %+v, %v", res, err)
	}
	if r := res.Results; !r[0].Success || r[0].Id != one.Id || !r[1].Success || r[2].Success ||
		len(r[2].Errors) != 1 || r[2].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
		t.Errorf("UpsertCollection results %+v", r)
	}
	if get(one.Id)["Title"] != "CEO" {
		t.Errorf("upserted record %v", get(one.Id))
	}
	three := res.Results[1].Id

	res, err = sf.UpdateCollection("Contact", []map[string]any{{"Id": three, "Email": "three@example.com"}, {"Id": created.Id, "Title": "Two's title"}}, 200)
	if err != nil || res.HasSalesforceErrors || get(three)["Email"] != "three@example.com" || get(created.Id)["Title"] != "Two's title" {
		t.Fatalf("UpdateCollection: %+v, %v", res, err)
	}

	jobs, err := sf.UpsertBulk("Contact", ext, []map[string]any{
		{ext: "SN-2", "LastName": "Two", "Title": "Bulk"},
		{ext: "SN-5", "LastName": "Five", "Title": "Bulk"},
	}, 10000, true)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("UpsertBulk: %v, %v", jobs, err)
	}
	if jr, err := sf.GetJobResults(jobs[0]); err != nil || jr.State != "JobComplete" || len(jr.SuccessfulRecords) != 2 || get(created.Id)["Title"] != "Bulk" {
		t.Fatalf("UpsertBulk results %+v, %v", jr, err)
	}
	if o.srv.Count("Contact") != 4 {
		t.Fatalf("%d contacts, want 4 (SN-1, SN-2, SN-3, SN-5)", o.srv.Count("Contact"))
	}

	if err := sf.DeleteOne("Contact", map[string]any{"Id": one.Id}); err != nil || !deleted(one.Id) {
		t.Fatalf("DeleteOne: %v, still %v", err, get(one.Id))
	}
	res, err = sf.DeleteCollection("Contact", []map[string]any{{"Id": three}}, 200)
	if err != nil || res.HasSalesforceErrors || !deleted(three) {
		t.Fatalf("DeleteCollection: %+v, %v", res, err)
	}
	jobs, err = sf.DeleteBulk("Contact", []map[string]any{{"Id": created.Id}}, 10000, true)
	if err != nil || len(jobs) != 1 || !deleted(created.Id) {
		t.Fatalf("DeleteBulk: %v, %v, still %v", jobs, err, get(created.Id))
	}
	if o.srv.Count("Contact") != 1 {
		t.Errorf("%d contacts left, want 1 (SN-5)", o.srv.Count("Contact"))
	}
}
