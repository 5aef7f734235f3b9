package sfbulk

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

func contactID(i int) string { return sfid.New(sfid.Contact, "7q", uint64(i+1)) }

// wrappedSim is the simulator behind a handler of the test's (to drop
// answers or watch requests); only the admin user exists.
type wrappedSim struct {
	s   *sfsim.Server
	srv *httptest.Server
}

func newIngestSim(t testing.TB, opts sfsim.Options, wrap func(http.Handler) http.Handler) *wrappedSim {
	t.Helper()
	s, err := sfsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv := httptest.NewServer(wrap(s.Handler()))
	t.Cleanup(srv.Close)
	return &wrappedSim{s: s, srv: srv}
}

// client acts as the admin through a refresh token, with fast retries and polls.
func (w *wrappedSim) client(t testing.TB) *Client {
	t.Helper()
	admin := w.s.AdminUser().Username
	_, rt, err := w.s.IssueToken(admin)
	if err != nil {
		t.Fatal(err)
	}
	app := w.s.ConnectedApp()
	oc := OAuthConfig{LoginURL: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret, HTTPClient: w.srv.Client(), Retry: simRetry()}
	ts, err := NewRefreshTokenSource(oc, NewMemoryTokenStore(&Token{RefreshToken: rt, Username: admin}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), Config{HTTPClient: w.srv.Client(), Retry: simRetry(), PollInterval: time.Millisecond, MaxPollInterval: 20 * time.Millisecond}, ts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dropper forwards a request to the simulator and then closes the
// connection without answering, for the requests its rule picks: the
// request was applied, the answer is lost.
type dropper struct {
	h    http.Handler
	mu   sync.Mutex
	rule func(method, path string, body []byte) bool
	hits atomic.Int64
	// puts records the size of every upload.
	puts []int
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	d.mu.Lock()
	if r.Method == http.MethodPut {
		d.puts = append(d.puts, len(body))
	}
	drop := d.rule != nil && d.rule(r.Method, r.URL.Path, body)
	d.mu.Unlock()
	if !drop {
		d.h.ServeHTTP(w, r)
		return
	}
	d.hits.Add(1)
	d.h.ServeHTTP(httptest.NewRecorder(), r)
	panic(http.ErrAbortHandler)
}

// once returns a rule matching the first request for which match holds.
func once(match func(method, path string, body []byte) bool) func(string, string, []byte) bool {
	done := false
	return func(m, p string, b []byte) bool {
		if done || !match(m, p, b) {
			return false
		}
		done = true
		return true
	}
}

func callsOf(c *Client) int64 { return c.Usage().Calls }

// ---- encoding and parsing ----

func TestIngestEncodeCSV(t *testing.T) {
	id := func(i int) string { return contactID(i) }
	recs := []Record{
		{"Id": id(0), "Title": `Say "hi", then leave`, "Description": "two\nlines\r\nand CR", "Email": nil},
		{"Id": id(1), "Department": "", "Birthdate": "1980-02-29", "NumberOfThings": 3.5, "Flag": true, "Account": Record{"Ext__c": "a,1"}},
		{"Id": id(2), "Title": "#N/A"},                                     // would null the field: refused
		{"Id": id(3), "Title": "bad \xff utf8"},                            // refused
		{"Title": "no id"},                                                 // refused
		{"id": id(0)[:15], "Title": "dup"},                                 // same record as 0 (15 vs 18 chars): refused
		{"Id": id(6), "title": "lower-case field"},                         // column matched case-insensitively
		{"Id": id(7), "Title": "x", "TITLE": "y"},                          // the same field twice: refused
		{"Id": id(8), "Bad Name": "x"},                                     // refused
		{"Id": id(9), "Title": strings.Repeat("é", MaxIngestFieldChars+1)}, // too long: refused
		{"Id": id(10), "attributes": map[string]any{"type": "Contact"}, "Title": " padded "},
	}
	results := make([]RecordResult, len(recs))
	d, err := encodeIngest("update", "Id", "", recs, results, MaxIngestUpload)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 3, 4, 5, 7, 8, 9} {
		r := results[i]
		if r.Sent != NotSent || len(r.Errors) != 1 || r.Errors[0].StatusCode != "NAVSYNC_INVALID_INPUT" {
			t.Errorf("record %d not refused: %+v", i, r)
		}
	}
	if !slices.Equal(d.valid, []int{0, 1, 6, 10}) {
		t.Fatalf("valid %v", d.valid)
	}
	wantCols := []string{"Id", "Account.Ext__c", "Birthdate", "Department", "Description", "Email", "Flag", "NumberOfThings", "Title"}
	if !slices.Equal(d.cols, wantCols) {
		t.Fatalf("columns %v, want %v", d.cols, wantCols)
	}
	rows, err := csv.NewReader(bytes.NewReader(d.csv(d.valid))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	get := func(row int, col string) string { return rows[row][slices.Index(wantCols, col)] }
	checks := []struct {
		row       int
		col, want string
	}{
		{0, "Id", id(0)}, {0, "Title", `Say "hi", then leave`}, {0, "Email", "#N/A"}, {0, "Department", ""},
		// encoding/csv drops the CR of a CRLF inside quotes; the raw bytes below keep it.
		{0, "Description", "two\nlines\nand CR"},
		{1, "Department", "#N/A"}, {1, "Birthdate", "1980-02-29"}, {1, "NumberOfThings", "3.5"}, {1, "Flag", "true"},
		{1, "Account.Ext__c", "a,1"}, {1, "Title", ""},
		{2, "Title", "lower-case field"}, {3, "Title", " padded "},
	}
	for _, c := range checks {
		if got := get(c.row+1, c.col); got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
		}
	}
	if !bytes.Contains(d.csv(d.valid), []byte("\"two\nlines\r\nand CR\"")) {
		t.Error("CRLF inside a value not kept byte for byte")
	}
	// Insert: an empty Id column is dropped, a real one refused, the key is required.
	results = make([]RecordResult, 3)
	d, err = encodeIngest("insert", "Ext__c", "", []Record{{"Id": "", "Ext__c": "k1", "LastName": "A"}, {"Id": id(1), "Ext__c": "k2"}, {"LastName": "C"}}, results, MaxIngestUpload)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.valid, []int{0}) || slices.Contains(d.cols, "Id") || results[1].Sent != NotSent || results[2].Sent != NotSent {
		t.Fatalf("insert checks: valid %v cols %v results %+v", d.valid, d.cols, results)
	}
	// Upsert keyed on another column still needs the external id.
	results = make([]RecordResult, 1)
	if d, _ = encodeIngest("upsert", "Key__c", "Ext__c", []Record{{"Key__c": "k"}}, results, MaxIngestUpload); len(d.valid) != 0 {
		t.Fatal("upsert without its external id accepted")
	}
}

func TestIngestSplitBySize(t *testing.T) {
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = Record{"Id": contactID(i), "Title": strings.Repeat("x", 80)}
	}
	results := make([]RecordResult, len(recs))
	d, err := encodeIngest("update", "Id", "", recs, results, 1000)
	if err != nil {
		t.Fatal(err)
	}
	groups := d.split(1000)
	n := 0
	for _, g := range groups {
		if size := len(d.csv(g)); size > 1000 {
			t.Errorf("group of %d bytes", size)
		}
		n += len(g)
	}
	if n != 100 || len(groups) < 10 {
		t.Fatalf("%d records in %d groups", n, len(groups))
	}
	// A record larger than an upload is refused alone.
	results = make([]RecordResult, 2)
	d, _ = encodeIngest("update", "Id", "", []Record{{"Id": contactID(0), "Title": strings.Repeat("x", 2000)}, {"Id": contactID(1), "Title": "ok"}}, results, 1000)
	if !slices.Equal(d.valid, []int{1}) || results[0].Sent != NotSent {
		t.Fatalf("oversized record: %v %+v", d.valid, results[0])
	}
}

func TestParseBulkError(t *testing.T) {
	for _, c := range []struct {
		in   string
		want RecordError
	}{
		{"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
			RecordError{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [LastName]", Fields: []string{"LastName"}}},
		{"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 001xx0000000001AAA:--",
			RecordError{StatusCode: "UNABLE_TO_LOCK_ROW", Message: "unable to obtain exclusive access to this record or 1 records: 001xx0000000001AAA"}},
		{"CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--",
			RecordError{StatusCode: "CANNOT_UPDATE_CONVERTED_LEAD", Message: "cannot reference converted lead"}},
		{"FIELD_INTEGRITY_EXCEPTION:bad: value:Email,Phone --",
			RecordError{StatusCode: "FIELD_INTEGRITY_EXCEPTION", Message: "bad: value", Fields: []string{"Email", "Phone"}}},
		{"something went wrong", RecordError{Message: "something went wrong"}},
	} {
		got := parseBulkError(c.in)
		if len(got) != 1 || got[0].StatusCode != c.want.StatusCode || got[0].Message != c.want.Message || !slices.Equal(got[0].Fields, c.want.Fields) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestIngestOptionsValidated(t *testing.T) {
	c := clientless()
	ctx := context.Background()
	for _, o := range []IngestOptions{
		{Operation: "delete"},
		{Operation: "insert"}, // no key
		{Operation: "insert", KeyField: "Id"},
		{Operation: "upsert"}, // no external id
		{Operation: "update", ExternalIDField: "Ext__c"},
		{Operation: "update", KeyField: "Bad Key"},
	} {
		if _, err := c.BulkIngest(ctx, "Contact", []Record{{"Id": contactID(0)}}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := c.BulkIngest(ctx, "Contact; x", nil, IngestOptions{Operation: "update"}); err == nil {
		t.Error("bad object accepted")
	}
}

// clientless is a Client that must not send anything.
func clientless() *Client {
	return &Client{cfg: Config{PollInterval: 1, MaxPollInterval: 1}, retry: DefaultRetryPolicy()}
}

// ---- against the simulator ----

// contactUpdates builds the same updates for both write paths: hostile
// values, nulls through nil and "", fields left out (unchanged).
func contactUpdates(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		r := Record{"Id": contactID(i), "Title": hostileValue(i + 1)}
		switch i % 5 {
		case 0:
			r["Email"] = nil // null through nil
		case 1:
			r["Email"] = "" // and through "", as REST stores it
		}
		if i%7 == 0 {
			r["Department"] = ""
		} else if i%7 == 1 {
			r["Department"] = "Sales, EMEA"
		}
		if i%3 == 0 {
			r["Description"] = "line 1\nline 2, \"quoted\"\n" + strconv.Itoa(i)
		}
		if i%11 == 0 {
			r["Birthdate"] = "1980-02-29"
		}
		recs[i] = r
	}
	return recs
}

func TestSimIngestUpdate25000(t *testing.T) {
	const n = 25000
	o := newSim(t, sfsim.Options{})
	loadContacts(t, o.s, n)
	c := o.client(t, "", nil)
	var journal []string
	recs := contactUpdates(n)
	before := callsOf(c)
	// Polling as in production (the client's defaults), so the call count is the real one.
	res, err := c.BulkIngest(context.Background(), "Contact", recs, IngestOptions{Operation: "update",
		PollInterval: 500 * time.Millisecond, MaxPollInterval: 10 * time.Second,
		OnJobCreated: func(id string, _ []int) error { journal = append(journal, id); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	calls := callsOf(c) - before
	if len(res.Jobs) != 1 || !slices.Equal(journal, res.JobIDs()) || res.Jobs[0].State != "JobComplete" || res.Jobs[0].Records != n ||
		res.Jobs[0].NumberRecordsProcessed != n {
		t.Fatalf("jobs %+v, journal %v", res.Jobs, journal)
	}
	for i, r := range res.Results {
		if !r.Success || r.Sent != Answered || r.ID != contactID(i) || r.Created || r.Attempts != 1 {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	for _, i := range []int{0, 1, 2, 3, 5, 7, 11, 77, n - 1} {
		got, _ := o.s.Get("Contact", contactID(i))
		want := recs[i]
		if got["Title"] != want["Title"] || got["MailingCity"] != "San Francisco" || got["LastName"] != hostileValue(i) {
			t.Errorf("record %d: %q", i, got)
		}
		if _, has := got["Email"]; has == (i%5 <= 1) {
			t.Errorf("record %d Email %q (nulled: %v)", i, got["Email"], i%5 <= 1)
		}
		if d, _ := want["Department"].(string); got["Department"] != d {
			t.Errorf("record %d Department %q, want %q", i, got["Department"], d)
		}
		if d, _ := want["Description"].(string); got["Description"] != d {
			t.Errorf("record %d Description %q, want %q", i, got["Description"], d)
		}
	}
	// The same updates through sObject Collections, for the call count.
	o2 := newSim(t, sfsim.Options{})
	loadContacts(t, o2.s, n)
	c2 := o2.client(t, "", nil)
	before = callsOf(c2)
	if _, err := c2.Update(context.Background(), "Contact", recs); err != nil {
		t.Fatal(err)
	}
	collCalls := callsOf(c2) - before
	t.Logf("%d updates: %d API calls through one ingest job (create, upload, close, %d polls, 3 result files; processed in %d ms) vs %d through collections",
		n, calls, calls-6, res.Jobs[0].TotalProcessingTime, collCalls)
	if calls > 12 || collCalls != n/MaxCollection {
		t.Errorf("calls: ingest %d, collections %d", calls, collCalls)
	}
}

// The end state of the org after BulkIngest equals that after Update with
// the same records, per-record outcomes included (failures too).
func TestSimIngestSameAsCollections(t *testing.T) {
	const n = 3000
	setup := func() *simOrg {
		o := newSim(t, sfsim.Options{})
		loadContacts(t, o.s, n)
		err := o.s.Load("Lead", []string{"Id", "LastName", "Company", "IsConverted"}, [][]string{
			{sfid.New(sfid.Lead, "7q", 1), "Open", "Acme", "false"},
			{sfid.New(sfid.Lead, "7q", 2), "Converted", "Acme", "true"},
			{sfid.New(sfid.Lead, "7q", 3), "Open3", "Acme", "false"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	bulk, coll := setup(), setup()
	recs := contactUpdates(n)
	recs[10]["Email"] = "not an email"                    // INVALID_EMAIL_ADDRESS
	recs[20]["LastName"] = nil                            // REQUIRED_FIELD_MISSING, fields [LastName]
	recs[30]["Id"] = sfid.New(sfid.Contact, "7q", 999999) // INVALID_CROSS_REFERENCE_KEY (no such record)
	recs[40]["Birthdate"] = "not a date"
	leads := []Record{
		{"Id": sfid.New(sfid.Lead, "7q", 1), "Title": "CTO"},
		{"Id": sfid.New(sfid.Lead, "7q", 2), "Title": "CTO"}, // converted
		{"Id": "00Qbogus", "Title": "CTO"},                   // malformed
		{"Id": sfid.New(sfid.Lead, "7q", 3), "Company": nil}, // required
	}
	ctx := context.Background()
	cb, cc := bulk.client(t, "", nil), coll.client(t, "", nil)
	bres, err := cb.BulkIngest(ctx, "Contact", recs, IngestOptions{Operation: "update"})
	if err != nil {
		t.Fatal(err)
	}
	cres, err := cc.Update(ctx, "Contact", recs)
	if err != nil {
		t.Fatal(err)
	}
	blres, err := cb.BulkIngest(ctx, "Lead", leads, IngestOptions{Operation: "update"})
	if err != nil {
		t.Fatal(err)
	}
	clres, err := cc.Update(ctx, "Lead", leads)
	if err != nil {
		t.Fatal(err)
	}
	compare := func(what string, b, c []RecordResult) {
		t.Helper()
		for i := range b {
			if b[i].Success != c[i].Success || b[i].Sent != c[i].Sent || (c[i].Success && !sfid.Equal(b[i].ID, c[i].ID)) ||
				len(b[i].Errors) != len(c[i].Errors) {
				t.Errorf("%s %d: bulk %+v, collections %+v", what, i, b[i], c[i])
				continue
			}
			for k := range b[i].Errors {
				be, ce := b[i].Errors[k], c[i].Errors[k]
				if be.StatusCode != ce.StatusCode || be.Message != ce.Message || !slices.Equal(be.Fields, ce.Fields) {
					t.Errorf("%s %d: bulk error %+v, collections %+v", what, i, be, ce)
				}
			}
		}
	}
	compare("contact", bres.Results, cres)
	compare("lead", blres.Results, clres)
	for _, i := range []int{10, 20, 30, 40} {
		if bres.Results[i].Success || bres.Results[i].Sent != Answered {
			t.Errorf("contact %d should have failed: %+v", i, bres.Results[i])
		}
	}
	if re := bres.Results[20].Errors; len(re) != 1 || re[0].StatusCode != "REQUIRED_FIELD_MISSING" || !slices.Equal(re[0].Fields, []string{"LastName"}) {
		t.Errorf("required field error %+v", re)
	}
	if !errors.Is(blres.Results[1].Err(), ErrConvertedLead) || !blres.Results[0].Success || blres.Results[2].Success || blres.Results[3].Success {
		t.Errorf("lead results %+v", blres.Results)
	}
	volatile := []string{"LastModifiedDate", "SystemModstamp", "CreatedDate"} // CreatedDate: each org is loaded at its own time
	for _, obj := range []string{"Contact", "Lead"} {
		a, b := bulk.s.Records(obj), coll.s.Records(obj)
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d records", obj, len(a), len(b))
		}
		diffs := 0
		for i := range a {
			for _, f := range volatile {
				delete(a[i], f)
				delete(b[i], f)
			}
			if !maps.Equal(a[i], b[i]) && diffs < 5 {
				diffs++
				t.Errorf("%s %s: bulk %q\ncollections %q", obj, a[i]["Id"], a[i], b[i])
			}
		}
	}
}

func TestSimIngestInsertAndUpsert(t *testing.T) {
	o := newSim(t, sfsim.Options{})
	c := o.client(t, "", nil)
	ctx := context.Background()
	recs := make([]Record, 500)
	for i := range recs {
		recs[i] = Record{"LastName": hostileValue(i), "FirstName": "New", "Sales_Navigator_Lead_Id__c": "sn-" + strconv.Itoa(i)}
	}
	recs[7] = Record{"FirstName": "NoLastName", "Sales_Navigator_Lead_Id__c": "sn-7"}
	res, err := c.BulkIngest(ctx, "Contact", recs, IngestOptions{Operation: "insert", KeyField: "Sales_Navigator_Lead_Id__c"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Results {
		if i == 7 {
			if r.Success || r.Sent != Answered || r.ID != "" || len(r.Errors) != 1 || !slices.Equal(r.Errors[0].Fields, []string{"LastName"}) ||
				!errors.Is(r.Err(), ErrValidation) {
				t.Errorf("missing LastName: %+v", r)
			}
			continue
		}
		got, ok := o.s.Get("Contact", r.ID)
		if !r.Success || !r.Created || !ok || got["Sales_Navigator_Lead_Id__c"] != "sn-"+strconv.Itoa(i) || got["LastName"] != hostileValue(i) {
			t.Fatalf("record %d: %+v %q", i, r, got)
		}
	}
	if o.s.Count("Contact") != 499 {
		t.Fatalf("%d contacts", o.s.Count("Contact"))
	}
	// Upsert: existing keys update, new ones insert.
	ups := []Record{
		{"Sales_Navigator_Lead_Id__c": "sn-1", "Title": "VP"},
		{"Sales_Navigator_Lead_Id__c": "sn-new", "LastName": "Fresh"},
		{"Sales_Navigator_Lead_Id__c": "sn-2", "Title": nil},
	}
	ur, err := c.BulkIngest(ctx, "Contact", ups, IngestOptions{Operation: "upsert", ExternalIDField: "Sales_Navigator_Lead_Id__c"})
	if err != nil {
		t.Fatal(err)
	}
	if r := ur.Results; !r[0].Success || r[0].Created || r[0].ID != res.Results[1].ID || !r[1].Success || !r[1].Created || !r[2].Success {
		t.Fatalf("upserts %+v", ur.Results)
	}
	if got, _ := o.s.Get("Contact", res.Results[1].ID); got["Title"] != "VP" {
		t.Errorf("upsert did not update: %q", got)
	}
	// The insert job's outcome again, keyed on the same column.
	rep, err := c.IngestJobResults(ctx, res.Jobs[0].ID, "Sales_Navigator_Lead_Id__c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 500 || !rep.Complete || rep.Aborted || rep.Results["sn-3"].ID != res.Results[3].ID || rep.Results["sn-7"].Success {
		t.Fatalf("report: %d results, complete %v", len(rep.Results), rep.Complete)
	}
	if _, err := c.IngestJobResults(ctx, res.Jobs[0].ID, ""); err == nil {
		t.Error("an insert job's results without a key column")
	}
}

// A Failed job (bulk-fail: it stops after about half its rows) says exactly
// which records were applied.
func TestSimIngestFailedJob(t *testing.T) {
	const n = 1000
	o := newSim(t, sfsim.Options{Faults: sfsim.Faults{BulkFail: 1}})
	loadContacts(t, o.s, n)
	c := o.client(t, "", nil)
	ctx := context.Background()
	upd := func(tag string) []Record {
		recs := make([]Record, n)
		for i := range recs {
			recs[i] = Record{"Id": contactID(i), "Title": tag}
		}
		return recs
	}
	check := func(res IngestResult, tag string) (applied int) {
		t.Helper()
		for i, r := range res.Results {
			got, _ := o.s.Get("Contact", contactID(i))
			switch {
			case r.Success && r.Sent == Answered:
				if got["Title"] != tag {
					t.Fatalf("record %d reported applied, store has %q", i, got["Title"])
				}
				applied++
			case r.Sent == NotSent && errors.Is(r.Err(), ErrBulkJobFailed):
				if got["Title"] == tag {
					t.Fatalf("record %d reported not applied, store has it", i)
				}
			default:
				t.Fatalf("record %d: %+v", i, r)
			}
		}
		return applied
	}

	// One attempt: the first 400 rows processed, 600 unprocessed.
	res, err := c.BulkIngest(ctx, "Contact", upd("one"), IngestOptions{Operation: "update", JobAttempts: 1})
	var je *BulkJobError
	if !errors.As(err, &je) || je.State != "Failed" || !strings.Contains(je.ErrorMessage, "UNKNOWN_EXCEPTION") || len(res.Jobs) != 1 {
		t.Fatalf("err %v, jobs %+v", err, res.Jobs)
	}
	if applied := check(res, "one"); applied != 400 || res.Jobs[0].NumberRecordsProcessed != 400 {
		t.Fatalf("%d applied, job %+v", applied, res.Jobs[0])
	}

	// Three attempts, every job failing: 400 + 200 + 200 applied.
	res, err = c.BulkIngest(ctx, "Contact", upd("three"), IngestOptions{Operation: "update"})
	if !errors.Is(err, ErrBulkJobFailed) || len(res.Jobs) != 3 {
		t.Fatalf("err %v, %d jobs", err, len(res.Jobs))
	}
	if applied := check(res, "three"); applied != 800 {
		t.Fatalf("%d applied", applied)
	}
	if res.Results[999].Attempts != 3 || res.Results[0].Attempts != 1 {
		t.Errorf("attempts %d %d", res.Results[999].Attempts, res.Results[0].Attempts)
	}

	// The fault clears after the first job: the second runs the rest and an
	// insert applies each record exactly once.
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{"LastName": "New" + strconv.Itoa(i), "Sales_Navigator_Lead_Id__c": "k" + strconv.Itoa(i)}
	}
	jobs := 0
	res, err = c.BulkIngest(ctx, "Contact", recs, IngestOptions{Operation: "insert", KeyField: "Sales_Navigator_Lead_Id__c",
		OnJobCreated: func(string, []int) error {
			if jobs++; jobs == 2 {
				o.s.SetFaults(sfsim.Faults{})
			}
			return nil
		}})
	if err != nil || len(res.Jobs) != 2 || res.Jobs[0].State != "Failed" || res.Jobs[1].State != "JobComplete" {
		t.Fatalf("err %v jobs %+v", err, res.Jobs)
	}
	for i, r := range res.Results {
		if !r.Success || !r.Created || (i >= 400) != (r.Attempts == 2) {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if got := o.s.Count("Contact"); got != 2*n {
		t.Fatalf("%d contacts after inserting %d into %d", got, n, n)
	}
}

func TestSimIngestLockedRecordsSentAgain(t *testing.T) {
	const n = 2000
	o := newSim(t, sfsim.Options{Faults: sfsim.Faults{Lock: 0.3, Seed: 11}})
	loadContacts(t, o.s, n)
	c := o.client(t, "", nil)
	// The job each record was last handed over with, and how many.
	lastJob, handed := make([]string, n), make([]int, n)
	res, err := c.BulkIngest(context.Background(), "Contact", contactUpdates(n), IngestOptions{Operation: "update",
		OnJobCreated: func(id string, recs []int) error {
			for _, i := range recs {
				lastJob[i] = id
				handed[i]++
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for i, r := range res.Results {
		if !r.Success {
			t.Fatalf("record %d: %+v", i, r)
		}
		if r.Attempts > 1 {
			retried++
		}
		// A record sent again is handed over with each new job.
		if handed[i] != r.Attempts || (lastJob[i] == res.Jobs[0].ID) != (r.Attempts == 1) {
			t.Fatalf("record %d: %d attempts, handed over %d times, last with job %s", i, r.Attempts, handed[i], lastJob[i])
		}
	}
	if retried == 0 || len(res.Jobs) < 2 {
		t.Fatalf("no lock fault hit (retried %d, %d jobs); the test proves nothing", retried, len(res.Jobs))
	}
	t.Logf("%d records locked and sent again over %d jobs", retried, len(res.Jobs))
}

func TestSimIngestSplitsUploads(t *testing.T) {
	d := &dropper{}
	o := newIngestSim(t, sfsim.Options{}, func(h http.Handler) http.Handler { d.h = h; return d })
	loadContacts(t, o.s, 1000)
	c := o.client(t)
	jobOf := map[int]string{} // record -> the job it was handed over with
	var journal []string
	res, err := c.BulkIngest(context.Background(), "Contact", contactUpdates(1000), IngestOptions{Operation: "update", MaxUploadBytes: 20000,
		OnJobCreated: func(id string, recs []int) error {
			journal = append(journal, id)
			if !slices.IsSorted(recs) || len(recs) == 0 {
				t.Errorf("job %s handed over with records %v", id, recs)
			}
			for _, i := range recs {
				if jobOf[i] != "" {
					t.Errorf("record %d handed over with jobs %s and %s", i, jobOf[i], id)
				}
				jobOf[i] = id
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for k, j := range res.Jobs {
		total += j.Records
		n := 0
		for _, id := range jobOf {
			if id == j.ID {
				n++
			}
		}
		if n != j.Records {
			t.Errorf("job %d (%s) carried %d records, %d were handed over with it", k, j.ID, j.Records, n)
		}
	}
	if len(res.Jobs) < 3 || total != 1000 || len(d.puts) != len(res.Jobs) || len(jobOf) != 1000 || !slices.Equal(journal, res.JobIDs()) {
		t.Fatalf("%d jobs carrying %d records, %d uploads, %d records handed over", len(res.Jobs), total, len(d.puts), len(jobOf))
	}
	for _, p := range d.puts {
		if p > 20000 {
			t.Errorf("upload of %d bytes", p)
		}
	}
	for i, r := range res.Results {
		if !r.Success {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

// Answers lost on create, upload and close never apply an insert twice.
func TestSimIngestLostAnswersNoDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		match func(m, p string, b []byte) bool
		jobs  int // jobs in the result
	}{
		{"create", func(m, p string, _ []byte) bool { return m == "POST" && strings.HasSuffix(p, "/jobs/ingest") }, 1},
		{"upload", func(m, p string, _ []byte) bool { return m == "PUT" }, 2},
		{"close", func(m, p string, b []byte) bool { return m == "PATCH" && bytes.Contains(b, []byte("UploadComplete")) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &dropper{rule: once(tc.match)}
			o := newIngestSim(t, sfsim.Options{}, func(h http.Handler) http.Handler { d.h = h; return d })
			c := o.client(t)
			recs := make([]Record, 700)
			for i := range recs {
				recs[i] = Record{"LastName": "L" + strconv.Itoa(i), "Sales_Navigator_Lead_Id__c": "k" + strconv.Itoa(i)}
			}
			var journal []string
			res, err := c.BulkIngest(context.Background(), "Contact", recs, IngestOptions{Operation: "insert", KeyField: "Sales_Navigator_Lead_Id__c",
				OnJobCreated: func(id string, _ []int) error { journal = append(journal, id); return nil }})
			if err != nil {
				t.Fatal(err)
			}
			if d.hits.Load() != 1 {
				t.Fatal("no answer was dropped; the test proves nothing")
			}
			if len(res.Jobs) != tc.jobs || !slices.Equal(journal, res.JobIDs()) {
				t.Fatalf("jobs %+v journal %v", res.Jobs, journal)
			}
			if tc.name == "upload" && res.Jobs[0].State != "Aborted" {
				t.Errorf("job with the lost upload answer: %s", res.Jobs[0].State)
			}
			seen := map[string]bool{}
			for _, r := range o.s.Records("Contact") {
				if seen[r["Sales_Navigator_Lead_Id__c"]] {
					t.Fatalf("%s inserted twice", r["Sales_Navigator_Lead_Id__c"])
				}
				seen[r["Sales_Navigator_Lead_Id__c"]] = true
			}
			for i, r := range res.Results {
				if !r.Success || !seen["k"+strconv.Itoa(i)] {
					t.Fatalf("record %d: %+v", i, r)
				}
			}
			if len(seen) != 700 {
				t.Fatalf("%d contacts", len(seen))
			}
		})
	}
}

// resultFilter removes the row of one key value from one result file of
// the first job, as if Salesforce had left it out.
type resultFilter struct {
	h     http.Handler
	file  string // successfulResults or unprocessedrecords
	key   string
	first atomic.Value // the first job's id
}

func (f *resultFilter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, _ := f.first.Load().(string)
	if id == "" || !strings.HasSuffix(r.URL.Path, "/"+id+"/"+f.file) {
		f.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	var out []string
	for line := range strings.Lines(rec.Body.String()) {
		if !strings.Contains(line, `"`+f.key+`"`) {
			out = append(out, line)
		}
	}
	w.Header().Set("Content-Type", "text/csv")
	w.WriteHeader(rec.Code)
	io.WriteString(w, strings.Join(out, ""))
}

// A record missing from the result files is MaybeSent unless the files
// account for every processed record; after a Failed job an unknown update
// is sent again (idempotent), an unknown insert never.
func TestSimIngestMissingResultRow(t *testing.T) {
	const n = 1000
	for _, tc := range []struct {
		name, op, file string
		rec            int
		fail           bool
		sent           SendState // of rec in the end
		attempts       int
	}{
		{"complete job, success row missing", "update", "successfulResults", 5, false, MaybeSent, 1},
		{"failed job, success row missing, update sent again", "update", "successfulResults", 5, true, Answered, 2},
		{"failed job, success row missing, insert not sent again", "insert", "successfulResults", 5, true, MaybeSent, 1},
		{"failed job, unprocessed row missing but counts reconcile", "insert", "unprocessedrecords", 900, true, Answered, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &resultFilter{file: tc.file}
			o := newIngestSim(t, sfsim.Options{}, func(h http.Handler) http.Handler { f.h = h; return f })
			loadContacts(t, o.s, n)
			if tc.fail {
				o.s.SetFaults(sfsim.Faults{BulkFail: 1})
			}
			c := o.client(t)
			recs := contactUpdates(n)
			opts := IngestOptions{Operation: tc.op}
			keyOf := func(i int) string { return contactID(i) }
			if tc.op == "insert" {
				for i := range recs {
					recs[i] = Record{"LastName": "New" + strconv.Itoa(i), "Sales_Navigator_Lead_Id__c": "k" + strconv.Itoa(i)}
				}
				opts.KeyField = "Sales_Navigator_Lead_Id__c"
				keyOf = func(i int) string { return "k" + strconv.Itoa(i) }
			}
			f.key = keyOf(tc.rec)
			jobs := 0
			opts.OnJobCreated = func(id string, _ []int) error {
				if jobs++; jobs == 1 {
					f.first.Store(id)
				} else {
					o.s.SetFaults(sfsim.Faults{})
				}
				return nil
			}
			res, err := c.BulkIngest(context.Background(), "Contact", recs, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res.Results {
				if i == tc.rec {
					if r.Sent != tc.sent || r.Attempts != tc.attempts || (tc.sent == Answered) != r.Success {
						t.Fatalf("record %d: %+v", i, r)
					}
					continue
				}
				if !r.Success || r.Sent != Answered {
					t.Fatalf("record %d: %+v", i, r)
				}
			}
			if tc.op == "insert" && o.s.Count("Contact") != 2*n {
				t.Fatalf("%d contacts after inserting %d into %d", o.s.Count("Contact"), n, n)
			}
		})
	}
}

// Results that cannot be read leave the records MaybeSent; the journalled
// job id recovers them.
func TestSimIngestResultsUnreadable(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	o := newIngestSim(t, sfsim.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if broken.Load() && strings.HasSuffix(r.URL.Path, "/successfulResults") {
				http.Error(w, "internal", 500)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	loadContacts(t, o.s, 300)
	c := o.client(t)
	res, err := c.BulkIngest(context.Background(), "Contact", contactUpdates(300), IngestOptions{Operation: "update"})
	if err == nil || len(res.Jobs) != 1 {
		t.Fatalf("err %v jobs %d", err, len(res.Jobs))
	}
	for i, r := range res.Results {
		if r.Sent != MaybeSent || r.Success {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	broken.Store(false)
	rep, err := c.IngestJobResults(context.Background(), res.Jobs[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete || len(rep.Results) != 300 || rep.KeyField != "Id" {
		t.Fatalf("report complete %v, %d results", rep.Complete, len(rep.Results))
	}
	for i := range 300 {
		if r := rep.Results[contactID(i)]; !r.Success || r.Sent != Answered || r.ID != contactID(i) {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

func TestSimIngestJobResultsAfterCrash(t *testing.T) {
	ctx := context.Background()

	t.Run("open job is aborted, nothing applied", func(t *testing.T) {
		o := newSim(t, sfsim.Options{})
		loadContacts(t, o.s, 50)
		c := o.client(t, "", nil)
		// A run that died between upload and close.
		var job IngestJob
		if err := c.doJSON(ctx, &request{method: "POST", path: "/jobs/ingest"}, map[string]string{"object": "Contact", "operation": "update"}, &job); err != nil {
			t.Fatal(err)
		}
		data := "Id,Title\n" + contactID(1) + ",Crashed\n" + contactID(2) + ",Crashed\n"
		if err := c.doJSON(ctx, &request{method: "PUT", path: "/jobs/ingest/" + job.ID + "/batches", body: []byte(data), contentType: "text/csv"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		rep, err := c.IngestJobResults(ctx, job.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Aborted || rep.Job.State != "Aborted" || rep.Job.NumberRecordsProcessed != 0 || !rep.Complete {
			t.Fatalf("report %+v", rep)
		}
		for _, r := range rep.Results {
			if r.Sent != NotSent {
				t.Fatalf("result %+v", r)
			}
		}
		if got, _ := o.s.Get("Contact", contactID(1)); got["Title"] == "Crashed" {
			t.Fatal("the open job was applied")
		}
	})

	t.Run("closed job is waited for", func(t *testing.T) {
		// The run dies right after the close: its context ends when the
		// close is answered.
		runCtx, kill := context.WithCancel(ctx)
		defer kill()
		o := newIngestSim(t, sfsim.Options{}, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				h.ServeHTTP(w, r)
				if r.Method == "PATCH" && bytes.Contains(body, []byte("UploadComplete")) {
					kill()
				}
			})
		})
		loadContacts(t, o.s, 5000)
		c := o.client(t)
		var journal string
		res, err := c.BulkIngest(runCtx, "Contact", contactUpdates(5000), IngestOptions{Operation: "update",
			OnJobCreated: func(id string, _ []int) error { journal = id; return nil }})
		if err == nil {
			t.Fatal("the killed run reported success")
		}
		for i, r := range res.Results {
			if r.Sent != MaybeSent {
				t.Fatalf("record %d after the kill: %+v", i, r)
			}
		}
		rep, err := c.IngestJobResults(ctx, journal, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Aborted || rep.Job.State != "JobComplete" || len(rep.Results) != 5000 || !rep.Complete {
			t.Fatalf("report: aborted %v, job %+v, %d results", rep.Aborted, rep.Job, len(rep.Results))
		}
		recs := contactUpdates(5000)
		for i := range 5000 {
			r := rep.Results[contactID(i)]
			got, _ := o.s.Get("Contact", contactID(i))
			if !r.Success || got["Title"] != recs[i]["Title"] {
				t.Fatalf("record %d: %+v, store %q", i, r, got["Title"])
			}
		}
	})

	t.Run("bad id", func(t *testing.T) {
		o := newSim(t, sfsim.Options{})
		c := o.client(t, "", nil)
		if _, err := c.IngestJobResults(ctx, "750/../x", ""); err == nil {
			t.Fatal("bad job id accepted")
		}
		if _, err := c.IngestJobResults(ctx, sfid.New(sfid.Job, "5g", 4242), ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown job: %v", err)
		}
	})
}

func TestSimIngestJournalErrorAborts(t *testing.T) {
	o := newSim(t, sfsim.Options{})
	loadContacts(t, o.s, 10)
	c := o.client(t, "", nil)
	boom := errors.New("journal disk full")
	res, err := c.BulkIngest(context.Background(), "Contact", contactUpdates(10), IngestOptions{Operation: "update",
		OnJobCreated: func(string, []int) error { return boom }})
	if !errors.Is(err, boom) || len(res.Jobs) != 1 || res.Jobs[0].State != "Aborted" {
		t.Fatalf("err %v jobs %+v", err, res.Jobs)
	}
	for i, r := range res.Results {
		if r.Sent != NotSent {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if got, _ := o.s.Get("Contact", contactID(1)); got["Title"] != "Director of Sales" {
		t.Fatalf("applied: %q", got["Title"])
	}
	rep, err := c.IngestJobResults(context.Background(), res.Jobs[0].ID, "")
	if err != nil || rep.Job.State != "Aborted" || rep.Job.NumberRecordsProcessed != 0 {
		t.Fatalf("report %v %+v", err, rep)
	}
}

// TestSimDeleteIngestJob: finished jobs are deleted with their results;
// a job still Open is refused (an APIError, the job kept); an unknown or
// deleted id is ErrNotFound; a bad id is refused before any request.
func TestSimDeleteIngestJob(t *testing.T) {
	ctx := context.Background()
	o := newSim(t, sfsim.Options{})
	loadContacts(t, o.s, 300)
	c := o.client(t, "", nil)
	res, err := c.BulkIngest(ctx, "Contact", contactUpdates(300), IngestOptions{Operation: "update", MaxUploadBytes: 10000})
	if err != nil || len(res.Jobs) < 2 {
		t.Fatalf("err %v, %d jobs", err, len(res.Jobs))
	}
	for _, id := range res.JobIDs() {
		if err := c.DeleteIngestJob(ctx, id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		if _, err := c.IngestJobResults(ctx, id, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("results of the deleted job %s: %v", id, err)
		}
		if err := c.DeleteIngestJob(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete of %s: %v", id, err)
		}
	}
	if jobs := o.s.IngestJobs(); len(jobs) != 0 {
		t.Errorf("the org still holds %v", jobs)
	}

	var open IngestJob
	if err := c.doJSON(ctx, &request{method: "POST", path: "/jobs/ingest", idempotent: true},
		map[string]string{"object": "Contact", "operation": "update"}, &open); err != nil {
		t.Fatal(err)
	}
	err = c.DeleteIngestJob(ctx, open.ID)
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 400 || ae.ErrorCode != "API_ERROR" || errors.Is(err, ErrNotFound) {
		t.Errorf("delete of an Open job: %v", err)
	}
	if st := o.s.IngestJobs()[open.ID]; st != "Open" {
		t.Errorf("the Open job after a refused delete: %q", st)
	}

	before := callsOf(c)
	if err := c.DeleteIngestJob(ctx, "750/../x"); err == nil || callsOf(c) != before {
		t.Errorf("bad id: %v, %d calls", err, callsOf(c)-before)
	}
}
