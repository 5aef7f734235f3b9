package sfbulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeCollections answers sObject Collections calls through a per-record
// decision function and records every call.
type fakeCollections struct {
	t  *testing.T
	mu sync.Mutex
	// calls holds each call's method, path and records.
	calls []collCall
	// decide returns a record's result; call is the 1-based call number.
	decide func(call int, rec map[string]any) map[string]any
	// before may answer the whole call instead (status errors, drops).
	before func(call int, w http.ResponseWriter) bool
}

type collCall struct {
	method, path string
	allOrNone    bool
	records      []map[string]any
}

func newFakeCollections(t *testing.T, f *fakeOrg) *fakeCollections {
	fc := &fakeCollections{t: t}
	h := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AllOrNone bool             `json:"allOrNone"`
			Records   []map[string]any `json:"records"`
		}
		if err := json.Unmarshal(readBody(t, r), &body); err != nil {
			writeErr(w, 400, "JSON_PARSER_ERROR", err.Error())
			return
		}
		fc.mu.Lock()
		fc.calls = append(fc.calls, collCall{r.Method, r.URL.Path, body.AllOrNone, body.Records})
		n := len(fc.calls)
		fc.mu.Unlock()
		if fc.before != nil && fc.before(n, w) {
			return
		}
		if len(body.Records) > 200 {
			writeErr(w, 400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
			return
		}
		out := make([]map[string]any, len(body.Records))
		for i, rec := range body.Records {
			if a, _ := rec["attributes"].(map[string]any); a["type"] == nil {
				out[i] = map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "INVALID_TYPE", "message": "no type", "fields": []string{}}}}
				continue
			}
			out[i] = fc.decide(n, rec)
		}
		writeJSON(w, 200, out)
	}
	f.mux.HandleFunc("POST /services/data/v62.0/composite/sobjects", h)
	f.mux.HandleFunc("PATCH /services/data/v62.0/composite/sobjects", h)
	f.mux.HandleFunc("PATCH /services/data/v62.0/composite/sobjects/{obj}/{ext}", h)
	return fc
}

func (fc *fakeCollections) snapshot() []collCall {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]collCall(nil), fc.calls...)
}

func okResult(rec map[string]any) map[string]any {
	return map[string]any{"id": fmt.Sprintf("003Ho%013v", rec["LastName"]), "success": true, "errors": []any{}}
}

func contacts(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{"LastName": fmt.Sprint(i), "FirstName": "Ann"}
	}
	return recs
}

func TestCreateChunksAndPerRecordResults(t *testing.T) {
	f := newFakeOrg(t)
	fc := newFakeCollections(t, f)
	fc.decide = func(call int, rec map[string]any) map[string]any {
		if rec["LastName"] == "7" {
			return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [AccountId]", "fields": []string{"AccountId"}}}}
		}
		if rec["LastName"] == "9" {
			return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "DUPLICATES_DETECTED", "message": "You're creating a duplicate record.",
				"duplicateResult": map[string]any{"allowSave": false, "duplicateRule": "Standard_Contact_Duplicate_Rule",
					"matchResults": []any{map[string]any{"entityType": "Contact", "matchRecords": []any{map[string]any{"matchConfidence": 100.0, "record": map[string]any{"attributes": map[string]any{"type": "Contact"}, "Id": "003Ho0000000000DUP"}}}}}}}}}
		}
		return okResult(rec)
	}
	c, _ := f.client(t, nil)
	recs := contacts(450)
	res, err := c.Create(context.Background(), "Contact", recs)
	if err != nil {
		t.Fatal(err)
	}
	calls := fc.snapshot()
	if len(calls) != 3 || len(calls[0].records) != 200 || len(calls[1].records) != 200 || len(calls[2].records) != 50 {
		t.Fatalf("chunks %d", len(calls))
	}
	if calls[0].method != "POST" || calls[0].allOrNone || calls[0].records[0]["attributes"].(map[string]any)["type"] != "Contact" {
		t.Fatalf("call %+v", calls[0].records[0])
	}
	if _, ok := recs[0]["attributes"]; ok {
		t.Fatal("caller's record was modified")
	}
	if len(res) != 450 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		switch i {
		case 7:
			var re *RecordError
			if r.Success || r.Sent != Answered || !errors.As(r.Err(), &re) || re.StatusCode != "REQUIRED_FIELD_MISSING" || re.Fields[0] != "AccountId" || !errors.Is(r.Err(), ErrValidation) {
				t.Fatalf("result 7: %+v", r)
			}
		case 9:
			if !errors.Is(r.Err(), ErrDuplicate) || strings.Join(r.Errors[0].Duplicate.MatchIDs(), ",") != "003Ho0000000000DUP" {
				t.Fatalf("result 9: %+v", r)
			}
		default:
			if !r.Success || !r.Created || r.ID != fmt.Sprintf("003Ho%013d", i) || r.Sent != Answered || r.Err() != nil || r.Attempts != 1 {
				t.Fatalf("result %d: %+v", i, r)
			}
		}
	}
}

func TestUpdateConvertedLeadAndInputChecks(t *testing.T) {
	f := newFakeOrg(t)
	fc := newFakeCollections(t, f)
	fc.decide = func(call int, rec map[string]any) map[string]any {
		if rec["Id"] == "00QConverted" {
			return map[string]any{"id": rec["Id"], "success": false, "errors": []map[string]any{{"statusCode": "CANNOT_UPDATE_CONVERTED_LEAD", "message": "cannot reference converted lead", "fields": []string{}}}}
		}
		if rec["Id"] == "00QReadOnly" {
			return map[string]any{"id": rec["Id"], "success": false, "errors": []map[string]any{{"statusCode": "INSUFFICIENT_ACCESS_OR_READONLY", "message": "insufficient access rights on object id", "fields": []string{}}}}
		}
		return map[string]any{"id": rec["Id"], "success": true, "errors": []any{}}
	}
	c, _ := f.client(t, nil)
	res, err := c.Update(context.Background(), "Lead", []Record{
		{"Id": "00QConverted", "Title": "x"}, {"Id": "00QOk", "Title": "y"}, {"Title": "no id"}, {"Id": "00QReadOnly", "Title": "z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err(), ErrConvertedLead) || !res[1].Success || res[1].Created || !errors.Is(res[3].Err(), ErrInsufficientAccess) {
		t.Fatalf("results %+v", res)
	}
	if res[2].Sent != NotSent || res[2].Success || len(fc.snapshot()[0].records) != 3 {
		t.Fatalf("record without Id: %+v", res[2])
	}
	if fc.snapshot()[0].method != "PATCH" {
		t.Fatal("update must PATCH")
	}
	if _, err := c.Create(context.Background(), "Contact; DROP", contacts(1)); err == nil {
		t.Fatal("bad object accepted")
	}
}

func TestUpsertCreatedFlag(t *testing.T) {
	f := newFakeOrg(t)
	fc := newFakeCollections(t, f)
	fc.decide = func(call int, rec map[string]any) map[string]any {
		return map[string]any{"id": "003X", "success": true, "created": rec["Ext__c"] == "new", "errors": []any{}}
	}
	c, _ := f.client(t, nil)
	res, err := c.Upsert(context.Background(), "Contact", "Ext__c", []Record{{"Ext__c": "new", "LastName": "a"}, {"Ext__c": "old", "LastName": "b"}, {"LastName": "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Created || res[1].Created || !res[1].Success || res[2].Sent != NotSent {
		t.Fatalf("%+v", res)
	}
	if p := fc.snapshot()[0].path; p != "/services/data/v62.0/composite/sobjects/Contact/Ext__c" {
		t.Fatalf("path %s", p)
	}
}

func TestLockErrorsRetriedPerRecord(t *testing.T) {
	f := newFakeOrg(t)
	fc := newFakeCollections(t, f)
	fc.decide = func(call int, rec map[string]any) map[string]any {
		if call == 1 && (rec["LastName"] == "1" || rec["LastName"] == "3") {
			return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access to this record or 1 records: 001xx", "fields": []string{}}}}
		}
		if rec["LastName"] == "4" {
			return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "REQUIRED_FIELD_MISSING", "message": "x", "fields": []string{"AccountId"}}}}
		}
		return okResult(rec)
	}
	c, _ := f.client(t, nil)
	res, err := c.Create(context.Background(), "Contact", contacts(5))
	if err != nil {
		t.Fatal(err)
	}
	calls := fc.snapshot()
	if len(calls) != 2 || len(calls[1].records) != 2 || calls[1].records[0]["LastName"] != "1" || calls[1].records[1]["LastName"] != "3" {
		t.Fatalf("second call should carry only the locked records: %+v", calls)
	}
	for i, r := range res {
		if (i == 4) == r.Success {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if res[1].Attempts != 2 || res[0].Attempts != 1 {
		t.Fatalf("attempts %d %d", res[1].Attempts, res[0].Attempts)
	}
	// Locks that never clear end as ErrRowLocked after MaxAttempts calls.
	fc.decide = func(call int, rec map[string]any) map[string]any {
		return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []string{}}}}
	}
	res, err = c.Create(context.Background(), "Contact", contacts(1))
	if err != nil || !errors.Is(res[0].Err(), ErrRowLocked) || res[0].Attempts != testRetry().MaxAttempts || res[0].Sent != Answered {
		t.Fatalf("%v %+v", err, res[0])
	}
}

func TestCreateNeverRetriedWhenAmbiguous(t *testing.T) {
	tests := []struct {
		name      string
		op        string
		before    func(call int, w http.ResponseWriter) bool
		wantCalls int
		wantSent  SendState
		wantOK    bool
	}{
		{"create: dropped after sending", "create", func(call int, w http.ResponseWriter) bool { panic(http.ErrAbortHandler) }, 1, MaybeSent, false},
		{"create: gateway 504", "create", func(call int, w http.ResponseWriter) bool {
			w.WriteHeader(504)
			return true
		}, 1, MaybeSent, false},
		{"create: 503 is answered, not applied, so retried", "create", func(call int, w http.ResponseWriter) bool {
			if call == 1 {
				writeErr(w, 503, "SERVER_UNAVAILABLE", "Server Unavailable")
				return true
			}
			return false
		}, 2, Answered, true},
		{"create: 400 malformed is answered", "create", func(call int, w http.ResponseWriter) bool {
			writeErr(w, 400, "JSON_PARSER_ERROR", "Unexpected character")
			return true
		}, 1, Answered, false},
		{"update: dropped then resent", "update", func(call int, w http.ResponseWriter) bool {
			if call == 1 {
				panic(http.ErrAbortHandler)
			}
			return false
		}, 2, Answered, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOrg(t)
			fc := newFakeCollections(t, f)
			fc.decide = func(call int, rec map[string]any) map[string]any { return okResult(rec) }
			fc.before = tc.before
			c, _ := f.client(t, nil)
			recs := contacts(250)
			var res []RecordResult
			var err error
			if tc.op == "create" {
				res, err = c.Create(context.Background(), "Contact", recs)
			} else {
				for i := range recs {
					recs[i]["Id"] = fmt.Sprint("003", i)
				}
				res, err = c.Update(context.Background(), "Contact", recs)
			}
			calls := fc.snapshot()
			if tc.wantOK {
				if err != nil || !res[0].Success || res[0].Sent != Answered || len(calls) != tc.wantCalls+1 {
					t.Fatalf("err %v, res %+v, calls %d", err, res[0], len(calls))
				}
				return
			}
			if err == nil || len(calls) != tc.wantCalls {
				t.Fatalf("err %v, calls %d want %d", err, len(calls), tc.wantCalls)
			}
			if SendStateOf(err) != tc.wantSent {
				t.Fatalf("SendStateOf %v, want %v", SendStateOf(err), tc.wantSent)
			}
			for i, r := range res {
				want := tc.wantSent
				if i >= 200 {
					want = NotSent // the second chunk was never sent
				}
				if r.Success || r.Sent != want || r.RequestErr == nil {
					t.Fatalf("result %d: %+v (want %v)", i, r, want)
				}
			}
		})
	}
}

func TestWriteBudgetLeavesRestNotSent(t *testing.T) {
	f := newFakeOrg(t)
	fc := newFakeCollections(t, f)
	fc.decide = func(call int, rec map[string]any) map[string]any { return okResult(rec) }
	c, _ := f.client(t, func(cfg *Config) { cfg.UserDailyBudget = 1 })
	res, err := c.Create(context.Background(), "Contact", contacts(300))
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("got %v", err)
	}
	if !res[199].Success || res[200].Sent != NotSent || !errors.Is(res[299].Err(), ErrBudgetExhausted) {
		t.Fatalf("%+v %+v", res[199], res[200])
	}
}

func TestResultCountMismatchIsAmbiguous(t *testing.T) {
	f := newFakeOrg(t)
	f.mux.HandleFunc("POST /services/data/v62.0/composite/sobjects", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"id":"003A","success":true,"errors":[]}]`))
	})
	c, _ := f.client(t, nil)
	res, err := c.Create(context.Background(), "Contact", contacts(2))
	if err == nil || res[0].Sent != MaybeSent || res[1].Sent != MaybeSent {
		t.Fatalf("%v %+v", err, res)
	}
	var rc *ResultCountError
	if !errors.As(err, &rc) || rc.Results != 1 || rc.Records != 2 {
		t.Errorf("error %v: want a ResultCountError of 1 result for 2 records", err)
	}
}

// Lead assignment rules reassign owners on every REST write unless
// Sforce-Auto-Assign: FALSE is sent; the client sends it on every
// collections write unless Config.LeadAutoAssign asks for the rules.
func TestCollectionsSendAutoAssignHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		assign bool
		want   string
	}{{"default", false, "FALSE"}, {"opt in", true, "TRUE"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOrg(t)
			var mu sync.Mutex
			seen := map[string][]string{} // "METHOD path" -> header values
			h := func(w http.ResponseWriter, r *http.Request) {
				var body struct {
					Records []map[string]any `json:"records"`
				}
				if err := json.Unmarshal(readBody(t, r), &body); err != nil {
					writeErr(w, 400, "JSON_PARSER_ERROR", err.Error())
					return
				}
				mu.Lock()
				seen[r.Method+" "+r.URL.Path] = r.Header.Values("Sforce-Auto-Assign")
				mu.Unlock()
				out := make([]map[string]any, len(body.Records))
				for i := range out {
					out[i] = map[string]any{"id": "00Q000000000001AAA", "success": true, "created": false, "errors": []any{}}
				}
				writeJSON(w, 200, out)
			}
			f.mux.HandleFunc("POST /services/data/v62.0/composite/sobjects", h)
			f.mux.HandleFunc("PATCH /services/data/v62.0/composite/sobjects", h)
			f.mux.HandleFunc("PATCH /services/data/v62.0/composite/sobjects/{obj}/{ext}", h)
			c, _ := f.client(t, func(cfg *Config) { cfg.LeadAutoAssign = tc.assign })
			ctx := context.Background()
			if _, err := c.Create(ctx, "Lead", []Record{{"LastName": "a", "Company": "b"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Update(ctx, "Lead", []Record{{"Id": "00Q000000000001AAA", "Title": "x"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Upsert(ctx, "Lead", "Ext__c", []Record{{"Ext__c": "e1", "Title": "x"}}); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"POST /services/data/v62.0/composite/sobjects", "PATCH /services/data/v62.0/composite/sobjects",
				"PATCH /services/data/v62.0/composite/sobjects/Lead/Ext__c"} {
				if v := seen[k]; len(v) != 1 || v[0] != tc.want {
					t.Errorf("%s: Sforce-Auto-Assign %q, want [%s]", k, v, tc.want)
				}
			}
		})
	}
}
