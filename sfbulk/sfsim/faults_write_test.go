package sfsim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// Faults on the write paths look as Salesforce shows them: a lock fails
// records one by one in Collections results, 503s, limits and expired
// sessions refuse a write before it is applied, a dropped connection loses
// the answer of a write that was applied, and bulk-fail fails ingest jobs.

func TestLockFaultOnWritePaths(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	con2, con3 := sfid.New(sfid.Contact, "3t", 2), sfid.New(sfid.Contact, "3t", 3)
	h.s.SetFaults(Faults{Lock: 1})
	lockedRecords := func(r resp) (locked, ok int) {
		t.Helper()
		var res []struct {
			Success bool `json:"success"`
			Errors  []struct {
				StatusCode string `json:"statusCode"`
				Message    string `json:"message"`
			} `json:"errors"`
		}
		r.json(t, &res)
		if r.status != 200 {
			t.Fatalf("collections: %d %s (a lock is a per-record result, not a request error)", r.status, r.body)
		}
		for _, x := range res {
			switch {
			case x.Success:
				ok++
			case len(x.Errors) == 1 && x.Errors[0].StatusCode == "UNABLE_TO_LOCK_ROW" && strings.Contains(x.Errors[0].Message, "unable to obtain exclusive access"):
				locked++
			default:
				t.Errorf("unexpected result %+v", x)
			}
		}
		return locked, ok
	}
	rec := func(id string) map[string]any { return contactRec(map[string]any{"Id": id, "Title": "Locked?"}) }
	// update, upsert and delete through Collections: one record locked, the others saved.
	if l, ok := lockedRecords(h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"records": []any{rec(con1), rec(con2)}})); l != 1 || ok != 1 {
		t.Errorf("collections update: %d locked, %d saved", l, ok)
	}
	if l, ok := lockedRecords(h.do("PATCH", v+"/composite/sobjects/Contact/Id", h.admin, map[string]any{"records": []any{rec(con1), rec(con2)}})); l != 1 || ok != 1 {
		t.Errorf("collections upsert: %d locked, %d saved", l, ok)
	}
	if l, ok := lockedRecords(h.do("DELETE", v+"/composite/sobjects?ids="+con2+","+con3, h.admin, nil)); l != 1 || ok != 1 {
		t.Errorf("collections delete: %d locked, %d deleted", l, ok)
	}
	// allOrNone: the lock rolls the other record back.
	r := h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"allOrNone": true, "records": []any{rec(con1), rec(con2)}})
	if !strings.Contains(string(r.body), "UNABLE_TO_LOCK_ROW") || !strings.Contains(string(r.body), "ALL_OR_NONE_OPERATION_ROLLED_BACK") {
		t.Errorf("allOrNone with a lock: %s", r.body)
	}
	// Single records: create, update, upsert and delete, by id and by external id.
	if err := h.s.Set("Contact", con1, map[string]string{"Sales_Navigator_Lead_Id__c": "SN-1"}); err != nil {
		t.Fatal(err)
	}
	before := h.s.RecordWrites("Contact", con1)
	for _, c := range []struct{ method, path string }{
		{"POST", "/sobjects/Contact"},
		{"PATCH", "/sobjects/Contact/" + con1},
		{"PATCH", "/sobjects/Contact/Sales_Navigator_Lead_Id__c/SN-1"},
		{"DELETE", "/sobjects/Contact/" + con1},
		{"DELETE", "/sobjects/Contact/Sales_Navigator_Lead_Id__c/SN-1"},
	} {
		var body any
		if c.method != "DELETE" {
			body = map[string]any{"LastName": "Locked"}
		}
		if r := h.do(c.method, v+c.path, h.admin, body); r.status != 400 || r.errorCode() != "UNABLE_TO_LOCK_ROW" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	if n := h.s.RecordWrites("Contact", con1); n != before {
		t.Errorf("locked writes were applied: %d writes, was %d", n, before)
	}
}

func TestRefusingFaultsOnWrites(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults Faults
		status int
		code   string
	}{
		{"unavailable", Faults{Unavailable: 1}, 503, "SERVER_UNAVAILABLE"},
		{"limit", Faults{Limit: 1}, 403, "REQUEST_LIMIT_EXCEEDED"},
		{"session-expiry", Faults{SessionExpiry: 30 * time.Second}, 401, "INVALID_SESSION_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{}, 1)
			var j jobInfo
			h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "update"}).json(t, &j)
			h.s.SetFaults(tc.faults)
			h.clk.advance(31 * time.Second) // ends sessions under session-expiry
			writes := h.s.WriteRequests()
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"PATCH", "/sobjects/Contact/" + con1, map[string]any{"Title": "X"}},
				{"POST", "/sobjects/Contact", map[string]any{"LastName": "X"}},
				{"PATCH", "/composite/sobjects", map[string]any{"records": []any{contactRec(map[string]any{"Id": con1, "Title": "X"})}}},
				{"POST", "/composite/sobjects", map[string]any{"records": []any{contactRec(map[string]any{"LastName": "X"})}}},
				{"DELETE", "/composite/sobjects?ids=" + con1, nil},
				{"POST", "/jobs/ingest", map[string]any{"object": "Contact", "operation": "insert"}},
				{"PUT", "/jobs/ingest/" + j.ID + "/batches", "Id,Title\n" + con1 + ",X\n"},
			} {
				if r := h.do(c.method, v+c.path, h.admin, c.body); r.status != tc.status || r.errorCode() != tc.code {
					t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, r.status, r.body, tc.status, tc.code)
				}
			}
			if rec, _ := h.s.Get("Contact", con1); rec["Title"] == "X" || h.s.RecordWrites("Contact", con1) != 0 || h.s.Count("Contact") != 1 {
				t.Error("a refused write was applied")
			}
			if n := h.s.WriteRequests() - writes; n != 6 {
				t.Errorf("%d write requests counted, want 6 (refused attempts count)", n)
			}
		})
	}
}

// rawDo sends a request and reports a transport error instead of failing.
func (h *harness) rawDo(method, path, body string) (int, error) {
	req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.admin)
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "text/csv")
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.ReadAll(res.Body); err != nil {
		return res.StatusCode, err
	}
	return res.StatusCode, nil
}

func TestDropFaultOnWrites(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	con2 := sfid.New(sfid.Contact, "3t", 2)
	var j jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "update"}).json(t, &j)
	h.s.SetFaults(Faults{Drop: 1})
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", v + "/sobjects/Contact/" + con1, `{"Title":"Dropped"}`},                                                             // 204
		{"POST", v + "/sobjects/Contact", `{"LastName":"Dropped"}`},                                                                   // 201 with a body
		{"PATCH", v + "/composite/sobjects", `{"records":[{"attributes":{"type":"Contact"},"Id":"` + con2 + `","Title":"Dropped"}]}`}, // 200
		{"PUT", v + "/jobs/ingest/" + j.ID + "/batches", "Id,Title\n" + con1 + ",Bulk\n"},                                             // 201 without a body
	} {
		if status, err := h.rawDo(c.method, c.path, c.body); err == nil {
			t.Errorf("%s %s: answered %d in full under drop=1", c.method, c.path, status)
		}
	}
	h.s.SetFaults(Faults{})
	// Each write was applied although its answer was lost.
	if rec, _ := h.s.Get("Contact", con2); rec["Title"] != "Dropped" || h.s.RecordWrites("Contact", con2) != 1 {
		t.Errorf("dropped collections update not applied: %v", rec)
	}
	if h.s.RecordWrites("Contact", con1) != 1 || h.s.Count("Contact") != 3 {
		t.Errorf("dropped update or create not applied: %d writes, %d contacts", h.s.RecordWrites("Contact", con1), h.s.Count("Contact"))
	}
	// The dropped upload was stored: closing the job applies it.
	h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
	if done := h.waitJob("ingest", j.ID, h.admin); done.State != "JobComplete" || done.NumberRecordsProcessed != 1 {
		t.Errorf("job after a dropped upload answer: %+v", done)
	}
	if rec, _ := h.s.Get("Contact", con1); rec["Title"] != "Bulk" {
		t.Errorf("uploaded row not applied: %v", rec)
	}
	if n := h.s.FaultCounts()["drop"]; n != 4 {
		t.Errorf("drop faults counted %d, want 4", n)
	}
}

func TestBulkFailFaultOnIngestJobs(t *testing.T) {
	h := newHarness(t, Options{}, 0)
	h.s.SetFaults(Faults{BulkFail: 1})
	var j jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "insert"}).json(t, &j)
	var csv strings.Builder
	csv.WriteString("LastName,Email\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&csv, "Row%d,r%d@example.com\n", i, i)
	}
	h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, csv.String())
	h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
	done := h.waitJob("ingest", j.ID, h.admin)
	if done.State != "Failed" || done.ErrorMessage == "" {
		t.Fatalf("ingest job under bulk-fail=1: %+v", done)
	}
	ok := parseCSV(t, h.do("GET", v+"/jobs/ingest/"+j.ID+"/successfulResults", h.admin, nil).body)
	un := parseCSV(t, h.do("GET", v+"/jobs/ingest/"+j.ID+"/unprocessedrecords", h.admin, nil).body)
	if len(ok)-1 != done.NumberRecordsProcessed || len(ok)-1+len(un)-1 != 500 || len(un) < 2 {
		t.Errorf("a failed job's results: %d successful, %d unprocessed, %d processed; want them to add up to 500 with some unprocessed",
			len(ok)-1, len(un)-1, done.NumberRecordsProcessed)
	}
	if n := h.s.Count("Contact"); n != len(ok)-1 {
		t.Errorf("%d contacts exist, %d reported successful", n, len(ok)-1)
	}
	for _, row := range ok[1:] {
		if h.s.RecordWrites("Contact", row[0]) != 1 {
			t.Errorf("successful row %s written %d times", row[0], h.s.RecordWrites("Contact", row[0]))
		}
	}
	if h.s.FaultCounts()["bulk-fail"] != 1 {
		t.Errorf("fault counts %v", h.s.FaultCounts())
	}
	// Query jobs fail the same way.
	var q jobInfo
	h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &q)
	if done := h.waitJob("query", q.ID, h.admin); done.State != "Failed" {
		t.Errorf("query job: %+v", done)
	}
}
