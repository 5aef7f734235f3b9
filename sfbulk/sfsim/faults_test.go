package sfsim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	good := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{"unavailable=0.05,lock=0.02,latency=20ms,drop=0.01,session-expiry=30s,bulk-fail=0.1",
			Faults{Unavailable: 0.05, Lock: 0.02, Latency: 20 * time.Millisecond, Drop: 0.01, SessionExpiry: 30 * time.Second, BulkFail: 0.1}},
		{" limit=1 , seed=7 ", Faults{Limit: 1, Seed: 7}},
	}
	for _, tc := range good {
		got, err := ParseFaults(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
		if again, err := ParseFaults(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q: %+v %v", got.String(), again, err)
		}
	}
	for _, spec := range []string{"unavailable", "unavailable=2", "lock=-0.1", "latency=fast", "session-expiry=0s", "explode=0.1", "seed=x", "drop=abc"} {
		if _, err := ParseFaults(spec); !errors.Is(err, ErrFaultSpec) {
			t.Errorf("ParseFaults(%q) error %v, want ErrFaultSpec", spec, err)
		}
	}
}

// TestFaultKinds injects each fault at probability 1 and checks its effect.
func TestFaultKinds(t *testing.T) {
	create := func(h *harness) resp {
		return h.do("POST", v+"/sobjects/Contact", h.admin, map[string]any{"LastName": "Faulty"})
	}
	cases := []struct {
		name   string
		faults Faults
		check  func(t *testing.T, h *harness)
	}{
		{"unavailable", Faults{Unavailable: 1}, func(t *testing.T, h *harness) {
			r := h.do("GET", v+"/limits", h.admin, nil)
			if r.status != 503 || r.errorCode() != "SERVER_UNAVAILABLE" || r.header.Get("Retry-After") == "" || r.header.Get("Sforce-Limit-Info") == "" {
				t.Errorf("%d %s", r.status, r.body)
			}
		}},
		{"lock single record", Faults{Lock: 1}, func(t *testing.T, h *harness) {
			r := h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"Title": "X"})
			if r.status != 400 || r.errorCode() != "UNABLE_TO_LOCK_ROW" || !strings.Contains(string(r.body), con1) {
				t.Errorf("%d %s", r.status, r.body)
			}
			if r := h.do("GET", v+"/sobjects/Contact/"+con1, h.admin, nil); r.status != 200 {
				t.Errorf("reads are not locked: %d", r.status)
			}
		}},
		{"lock collection", Faults{Lock: 1}, func(t *testing.T, h *harness) {
			r := h.do("POST", v+"/composite/sobjects", h.admin, map[string]any{"records": []map[string]any{
				{"attributes": map[string]any{"type": "Contact"}, "LastName": "A"},
				{"attributes": map[string]any{"type": "Contact"}, "LastName": "B"},
			}})
			var res []map[string]any
			r.json(t, &res)
			if r.status != 200 || res[0]["success"] != false || res[1]["success"] != true ||
				res[0]["errors"].([]any)[0].(map[string]any)["statusCode"] != "UNABLE_TO_LOCK_ROW" {
				t.Errorf("%d %s", r.status, r.body)
			}
		}},
		{"lock ingest", Faults{Lock: 1}, func(t *testing.T, h *harness) {
			var j jobInfo
			h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "insert"}).json(t, &j)
			h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, "LastName\nA\nB\n")
			h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
			if done := h.waitJob("ingest", j.ID, h.admin); done.NumberRecordsFailed != 2 {
				t.Errorf("%+v", done)
			}
			r := h.do("GET", v+"/jobs/ingest/"+j.ID+"/failedResults", h.admin, nil)
			if !strings.Contains(string(r.body), "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record") {
				t.Errorf("%s", r.body)
			}
		}},
		{"latency", Faults{Latency: 30 * time.Millisecond}, func(t *testing.T, h *harness) {
			start := time.Now()
			if r := h.do("GET", v+"/limits", h.admin, nil); r.status != 200 {
				t.Errorf("%d", r.status)
			}
			if d := time.Since(start); d < 30*time.Millisecond {
				t.Errorf("answered in %v, before the added latency", d)
			}
		}},
		{"drop", Faults{Drop: 1}, func(t *testing.T, h *harness) {
			req, _ := http.NewRequest("GET", h.ts.URL+v+"/query?q="+url.QueryEscape("SELECT Id FROM Contact"), nil)
			req.Header.Set("Authorization", "Bearer "+h.admin)
			res, err := h.ts.Client().Do(req)
			if err == nil {
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
			if err == nil {
				t.Error("dropped connection read cleanly")
			}
			// A 204 answer is dropped before any response.
			req, _ = http.NewRequest("PATCH", h.ts.URL+v+"/sobjects/Contact/"+con1, strings.NewReader(`{"Title":"x"}`))
			req.Header.Set("Authorization", "Bearer "+h.admin)
			if res, err := h.ts.Client().Do(req); err == nil {
				res.Body.Close()
				t.Errorf("204 answer was not dropped: %d", res.StatusCode)
			}
		}},
		{"session expiry", Faults{SessionExpiry: 30 * time.Second}, func(t *testing.T, h *harness) {
			if r := h.do("GET", v+"/limits", h.admin, nil); r.status != 200 {
				t.Fatalf("fresh token: %d", r.status)
			}
			h.clk.advance(31 * time.Second)
			if r := h.do("GET", v+"/limits", h.admin, nil); r.status != 401 || r.errorCode() != "INVALID_SESSION_ID" {
				t.Errorf("%d %s", r.status, r.body)
			}
		}},
		{"bulk fail", Faults{BulkFail: 1}, func(t *testing.T, h *harness) {
			var j jobInfo
			h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &j)
			done := h.waitJob("query", j.ID, h.admin)
			if done.State != "Failed" || done.ErrorMessage == "" {
				t.Errorf("%+v", done)
			}
			if r := h.do("GET", v+"/jobs/query/"+j.ID+"/results", h.admin, nil); r.status != 400 {
				t.Errorf("results of a failed job: %d", r.status)
			}
		}},
		{"limit", Faults{Limit: 1}, func(t *testing.T, h *harness) {
			r := create(h)
			if r.status != 403 || r.errorCode() != "REQUEST_LIMIT_EXCEEDED" || !strings.Contains(string(r.body), "ConcurrentPerOrgLongTxn") {
				t.Errorf("%d %s", r.status, r.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{}, 2)
			h.s.SetFaults(tc.faults)
			tc.check(t, h)
			kind := strings.Fields(strings.ReplaceAll(tc.faults.String(), "=", " "))[0]
			if h.s.FaultCounts()[kind] == 0 {
				t.Errorf("FaultCounts()[%q] = 0 after the check: %v", kind, h.s.FaultCounts())
			}
			h.s.SetFaults(Faults{})
			h.admin = h.token(h.s.AdminUser().Username) // an expired token stays expired
			if r := create(h); r.status != 201 {
				t.Errorf("after clearing faults: %d %s", r.status, r.body)
			}
		})
	}
}

// TestFaultProbability checks that a fractional probability fails some
// requests and not others, reproducibly for a seed.
func TestFaultProbability(t *testing.T) {
	count := func() int {
		h := newHarness(t, Options{Faults: Faults{Unavailable: 0.3, Seed: 42}}, 1)
		n := 0
		for i := 0; i < 100; i++ {
			if h.do("GET", v+"/limits", h.admin, nil).status == 503 {
				n++
			}
		}
		return n
	}
	a, b := count(), count()
	if a < 10 || a > 60 || a != b {
		t.Errorf("503s: %d then %d of 100 at p=0.3 with a fixed seed", a, b)
	}
}

// TestConcurrentClients runs a few clients writing and reading at once
// (meant for -race).
func TestConcurrentClients(t *testing.T) {
	h := newHarness(t, Options{}, 50)
	tokens := []string{h.admin, h.token("std@example.com")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tok := tokens[c%2]
			for i := 0; i < 10; i++ {
				r := h.do("POST", v+"/sobjects/Contact", tok, map[string]any{"LastName": fmt.Sprintf("C%d-%d", c, i), "Sales_Navigator_Lead_Id__c": fmt.Sprintf("urn:%d:%d", c, i)})
				if r.status != 201 {
					errs <- fmt.Errorf("create: %d %s", r.status, r.body)
					return
				}
				if r := h.do("GET", v+"/query?q="+url.QueryEscape("SELECT Id, Account.Name FROM Contact WHERE LastName LIKE 'C%'"), tok, nil); r.status != 200 {
					errs <- fmt.Errorf("query: %d", r.status)
					return
				}
			}
			var j jobInfo
			h.do("POST", v+"/jobs/query", tok, map[string]any{"operation": "query", "query": "SELECT Id, Account.Name FROM Contact"}).json(t, &j)
			var ij jobInfo
			h.do("POST", v+"/jobs/ingest", tok, map[string]any{"object": "Contact", "operation": "upsert", "externalIdFieldName": "Sales_Navigator_Lead_Id__c"}).json(t, &ij)
			h.do("PUT", v+"/jobs/ingest/"+ij.ID+"/batches", tok, fmt.Sprintf("Sales_Navigator_Lead_Id__c,Title\nurn:%d:0,Boss\nurn:%d:1,#N/A\n", c, c))
			h.do("PATCH", v+"/jobs/ingest/"+ij.ID, tok, map[string]any{"state": "UploadComplete"})
			if done := h.waitJob("query", j.ID, tok); done.State != "JobComplete" || done.NumberRecordsProcessed < 50 {
				errs <- fmt.Errorf("bulk job %+v", done)
			}
			if done := h.waitJob("ingest", ij.ID, tok); done.State != "JobComplete" || done.NumberRecordsFailed != 0 {
				errs <- fmt.Errorf("ingest job %+v", done)
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := h.s.Count("Contact"); n != 90 {
		t.Errorf("count %d, want 90", n)
	}
}

// TestDropDuringBulkResultsReleasesLocks cuts a large results page and
// checks that writes still go through afterwards.
func TestDropDuringBulkResultsReleasesLocks(t *testing.T) {
	h := newHarness(t, Options{}, 3000)
	var j jobInfo
	h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id, FirstName, LastName, Email, Account.Name FROM Contact"}).json(t, &j)
	h.waitJob("query", j.ID, h.admin)
	h.s.SetFaults(Faults{Drop: 1})
	req, _ := http.NewRequest("GET", h.ts.URL+v+"/jobs/query/"+j.ID+"/results", nil)
	req.Header.Set("Authorization", "Bearer "+h.admin)
	if res, err := h.ts.Client().Do(req); err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil {
			t.Error("dropped results read cleanly")
		}
	}
	h.s.SetFaults(Faults{})
	done := make(chan resp, 1)
	go func() { done <- h.do("POST", v+"/sobjects/Contact", h.admin, map[string]any{"LastName": "After"}) }()
	select {
	case r := <-done:
		if r.status != 201 {
			t.Errorf("write after drop: %d %s", r.status, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write after a dropped results page is blocked")
	}
}
