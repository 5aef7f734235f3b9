package sfsim

import (
	"net/url"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

func TestIsWriteRequest(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		write        bool
	}{
		{"POST", "/services/data/v62.0/sobjects/Contact", true},
		{"PATCH", "/services/data/v62.0/sobjects/Contact/003x", true},
		{"DELETE", "/services/data/v62.0/sobjects/Contact/003x", true},
		{"PATCH", "/services/data/v62.0/sobjects/Lead/Sales_Navigator_Lead_Id__c/SN-1", true},
		{"DELETE", "/services/data/v62.0/sobjects/Lead/Sales_Navigator_Lead_Id__c/SN-1", true},
		{"POST", "/services/data/v62.0/composite/sobjects", true},
		{"PATCH", "/services/data/v62.0/composite/sobjects", true},
		{"DELETE", "/services/data/v62.0/composite/sobjects", true},
		{"PATCH", "/services/data/v62.0/composite/sobjects/Lead/Sales_Navigator_Lead_Id__c", true},
		{"POST", "/services/data/v62.0/composite", true},
		{"POST", "/services/data/v62.0/composite/tree/Contact", true},
		{"POST", "/services/data/v62.0/jobs/ingest", true},
		{"GET", "/services/data/v62.0/sobjects/Contact/003x", false},
		{"GET", "/services/data/v62.0/composite/sobjects/Contact", false},
		{"POST", "/services/data/v62.0/composite/sobjects/Contact", false}, // retrieve by ids
		{"POST", "/services/data/v62.0/jobs/query", false},
		{"PUT", "/services/data/v62.0/jobs/ingest/750x/batches", false}, // counted at job creation
		{"PATCH", "/services/data/v62.0/jobs/ingest/750x", false},
		{"DELETE", "/services/data/v62.0/jobs/ingest/750x", false},
		{"GET", "/services/data/v62.0/query", false},
		{"POST", "/services/oauth2/token", false},
		{"POST", "/services/data/v62.0/sobjects", false},
	} {
		if got := isWriteRequest(tc.method, tc.path); got != tc.write {
			t.Errorf("%s %s: write %v, want %v", tc.method, tc.path, got, tc.write)
		}
	}
}

func TestWriteRequests(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	con2, con3 := sfid.New(sfid.Contact, "3t", 2), sfid.New(sfid.Contact, "3t", 3)
	expect := func(what string, want int64) {
		t.Helper()
		if got := h.s.WriteRequests(); got != want {
			t.Fatalf("after %s: %d write requests, want %d", what, got, want)
		}
	}
	// A dry run's traffic: reads of every kind write nothing.
	h.do("GET", v+"/query?q="+url.QueryEscape("SELECT Id, OwnerId FROM Contact"), h.admin, nil)
	h.do("GET", v+"/sobjects/Contact/describe", h.admin, nil)
	h.do("GET", v+"/sobjects/Contact/"+con1, h.admin, nil)
	h.do("POST", v+"/composite/sobjects/Contact", h.admin, map[string]any{"ids": []string{con1}, "fields": []string{"Id"}})
	var qj jobInfo
	h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &qj)
	h.waitJob("query", qj.ID, h.admin)
	h.do("GET", v+"/jobs/query/"+qj.ID+"/results", h.admin, nil)
	h.do("GET", v+"/limits", h.admin, nil)
	expect("reads", 0)

	h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"Title": "CTO"})
	expect("an update", 1)
	h.do("POST", v+"/sobjects/Contact", h.admin, map[string]any{"FirstName": "No last name"}) // refused: REQUIRED_FIELD_MISSING
	expect("a refused create", 2)
	h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"records": []any{contactRec(map[string]any{"Id": con2, "Title": "VP"})}})
	expect("a collections update", 3)
	h.do("DELETE", v+"/composite/sobjects?ids="+con3, h.admin, nil)
	expect("a collections delete", 4)
	var ij jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "update"}).json(t, &ij)
	h.do("PUT", v+"/jobs/ingest/"+ij.ID+"/batches", h.admin, "Id,Title\n"+con1+",CEO\n")
	h.do("PATCH", v+"/jobs/ingest/"+ij.ID, h.admin, map[string]any{"state": "UploadComplete"})
	h.waitJob("ingest", ij.ID, h.admin)
	expect("an ingest job", 5)
	// Attempts count even when they never reach the data.
	h.do("PATCH", v+"/sobjects/Contact/"+con1, "", map[string]any{"Title": "x"}) // no session
	expect("an unauthenticated write", 6)
	h.s.SetFaults(Faults{Unavailable: 1})
	h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"Title": "x"})
	h.s.SetFaults(Faults{})
	expect("a write answered 503", 7)
}

func TestRecordWrites(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	con2 := sfid.New(sfid.Contact, "3t", 2)
	writes := func(object, id string) int { return h.s.RecordWrites(object, id) }
	if n := writes("Contact", con1); n != 0 {
		t.Fatalf("a loaded record has %d writes", n)
	}
	if err := h.s.Set("Contact", con1, map[string]string{"Title": "Set"}); err != nil || writes("Contact", con1) != 0 {
		t.Fatalf("Set counted as an API write: %v", err)
	}

	// Insert 1, each update 1 (by id, by external id, in a collection), delete 1.
	r := h.do("POST", v+"/sobjects/Contact", h.admin, map[string]any{"LastName": "New", "Sales_Navigator_Lead_Id__c": "SN-9"})
	var created struct{ ID string }
	r.json(t, &created)
	if r.status != 201 || writes("Contact", created.ID) != 1 {
		t.Fatalf("insert: %d %s, %d writes", r.status, r.body, writes("Contact", created.ID))
	}
	h.do("PATCH", v+"/sobjects/Contact/"+created.ID, h.admin, map[string]any{"Title": "A"})
	h.do("PATCH", v+"/sobjects/Contact/Sales_Navigator_Lead_Id__c/SN-9", h.admin, map[string]any{"Title": "B"})
	h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"records": []any{contactRec(map[string]any{"Id": created.ID, "Title": "C"})}})
	if n := writes("Contact", created.ID); n != 4 {
		t.Fatalf("after three updates: %d writes, want 4", n)
	}
	if n := writes("Contact", created.ID[:15]); n != 4 {
		t.Errorf("15-character id: %d writes, want 4", n)
	}
	if n := writes("Lead", created.ID); n != 0 {
		t.Errorf("the wrong object: %d writes", n)
	}
	h.do("DELETE", v+"/sobjects/Contact/"+created.ID, h.admin, nil)
	if n := writes("Contact", created.ID); n != 5 {
		t.Fatalf("after the delete: %d writes, want 5", n)
	}

	// A refused update and a failed record change nothing; allOrNone rolls
	// back the records that had succeeded, and they do not count.
	h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"Email": "not an email"})
	if n := writes("Contact", con1); n != 0 {
		t.Fatalf("a refused update counted: %d", n)
	}
	body := func(allOrNone bool) map[string]any {
		return map[string]any{"allOrNone": allOrNone, "records": []any{
			contactRec(map[string]any{"Id": con1, "Title": "ok"}),
			contactRec(map[string]any{"Id": con2, "Email": "not an email"}),
		}}
	}
	r = h.do("PATCH", v+"/composite/sobjects", h.admin, body(true))
	if r.status != 200 || !strings.Contains(string(r.body), "ALL_OR_NONE_OPERATION_ROLLED_BACK") {
		t.Fatalf("allOrNone: %d %s", r.status, r.body)
	}
	if a, b := writes("Contact", con1), writes("Contact", con2); a != 0 || b != 0 {
		t.Fatalf("after a rolled-back request: %d and %d writes, want 0 and 0", a, b)
	}
	r = h.do("POST", v+"/composite/sobjects", h.admin, map[string]any{"allOrNone": true, "records": []any{
		contactRec(map[string]any{"LastName": "Rolled back"}), contactRec(map[string]any{"FirstName": "No last name"})}})
	var res []struct{ ID string }
	r.json(t, &res)
	for _, rec := range h.s.Records("Contact") {
		if rec["LastName"] == "Rolled back" {
			t.Fatal("a rolled-back insert is still there")
		}
	}
	r = h.do("PATCH", v+"/composite/sobjects", h.admin, body(false))
	if a, b := writes("Contact", con1), writes("Contact", con2); a != 1 || b != 0 {
		t.Fatalf("after a partial request: %d and %d writes, want 1 and 0", a, b)
	}

	// Bulk ingest rows count once each.
	var ij jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": "update"}).json(t, &ij)
	h.do("PUT", v+"/jobs/ingest/"+ij.ID+"/batches", h.admin, "Id,Title\n"+con1+",X\n"+con2+",Y\n")
	h.do("PATCH", v+"/jobs/ingest/"+ij.ID, h.admin, map[string]any{"state": "UploadComplete"})
	if j := h.waitJob("ingest", ij.ID, h.admin); j.State != "JobComplete" {
		t.Fatalf("ingest: %+v", j)
	}
	if a, b := writes("Contact", con1), writes("Contact", con2); a != 2 || b != 1 {
		t.Fatalf("after an ingest update: %d and %d writes, want 2 and 1", a, b)
	}
	if n := writes("Contact", "garbage"); n != 0 {
		t.Errorf("a malformed id: %d", n)
	}
}
