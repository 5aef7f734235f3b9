package sfsim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzOrg is an org for the decoder fuzz targets: an account, a contact
// with an external id, the admin's token, and a log that records panics
// recovered in Bulk job processing.
type fuzzOrg struct {
	s   *Server
	h   http.Handler
	tok string
	mu  sync.Mutex
	log bytes.Buffer
}

func (o *fuzzOrg) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.log.Write(p)
}

func (o *fuzzOrg) logged() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.log.String()
}

func newFuzzOrg(f *testing.F) *fuzzOrg {
	o := &fuzzOrg{}
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(o, nil)), DailyAPILimit: 1 << 40}) // fuzzing makes millions of calls
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	if err := s.Load("Account", []string{"Id", "Name"}, [][]string{{acc1, "Acme"}}); err != nil {
		f.Fatal(err)
	}
	if err := s.Load("Contact", []string{"Id", "LastName", "AccountId", "Sales_Navigator_Lead_Id__c"}, [][]string{{con1, "Ann", acc1, "sn-1"}}); err != nil {
		f.Fatal(err)
	}
	o.s, o.h = s, s.Handler()
	if o.tok, _, err = s.IssueToken(s.AdminUser().Username); err != nil {
		f.Fatal(err)
	}
	return o
}

// do serves one request in process and returns the recorder; a panic
// other than http.ErrAbortHandler fails the test.
func (o *fuzzOrg) do(t *testing.T, method, path, ctype string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://sim.test"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+o.tok)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler { //nolint:errorlint
				t.Fatalf("%s %s %q: panic %v", method, path, body, v)
			}
		}()
		o.h.ServeHTTP(rec, req)
	}()
	return rec
}

// maxMessage bounds an error message that does not show a SOQL statement:
// values from the request are quoted at most 255 characters.
const maxMessage = 2000

// checkErrorShape checks a REST error answer: a JSON array of objects with
// a non-empty errorCode and message each, the message at most maxMessage
// bytes unless soql (a SOQL error shows the statement's row and token).
func checkErrorShape(t *testing.T, rec *httptest.ResponseRecorder, in []byte, soql bool) {
	t.Helper()
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d answer of type %q: %.300s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var errs []struct {
		ErrorCode *string `json:"errorCode"`
		Message   *string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil || len(errs) == 0 {
		t.Fatalf("%d answer is not a Salesforce error array: %.300s (%v)", rec.Code, rec.Body, err)
	}
	for _, e := range errs {
		if e.ErrorCode == nil || *e.ErrorCode == "" || e.Message == nil || *e.Message == "" {
			t.Fatalf("%d error without code or message: %.300s", rec.Code, rec.Body)
		}
		if len(*e.Message) > maxMessage && (!soql || len(*e.Message) > 2*len(in)+maxMessage) {
			t.Fatalf("%d-byte message for a %d-byte body: %.300s", len(*e.Message), len(in), *e.Message)
		}
	}
}

// jsonTargets are the resources FuzzJSONBody sends bodies to.
var jsonTargets = []struct{ method, path string }{
	{"POST", v + "/sobjects/Account"},
	{"PATCH", v + "/sobjects/Account/" + acc1},
	{"PATCH", v + "/sobjects/Contact/Sales_Navigator_Lead_Id__c/sn-2"},
	{"POST", v + "/composite/sobjects"},
	{"PATCH", v + "/composite/sobjects"},
	{"PATCH", v + "/composite/sobjects/Contact/Sales_Navigator_Lead_Id__c"},
	{"POST", v + "/composite/sobjects/Account"},
	{"POST", v + "/jobs/query"},
	{"POST", v + "/jobs/ingest"},
	{"PATCH", v + "/jobs/ingest/"},    // + an open job's id
	{"PATCH", v + "/jobs/query/"},     // + a job's id
	{"POST", v + "/sobjects/Contact"}, // with the duplicate rules' fields
}

// FuzzJSONBody: any body sent to the simulator's JSON resources (sObject
// rows, upserts, Collections, Bulk job creation and state changes) is
// answered without a panic and without a 5xx; an error answer has
// Salesforce's shape, an array of {errorCode, message}, with messages that
// quote values short; a Collections answer of 200 is a per-record array
// whose failures carry a statusCode and a message (at most 2,000 bytes).
func FuzzJSONBody(f *testing.F) {
	o := newFuzzOrg(f)
	for i, b := range []string{
		`{"Name":"Acme 2","NumberOfEmployees":12,"Website":"acme.example"}`,
		`{"Name":"x","NumberOfEmployees":"lots","AnnualRevenue":1e400}`,
		`{"LastName":"Lee","Email":"not-an-email","AccountId":"001000000000000"}`,
		`{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Account"}}]}`,
		`{"records":[{"attributes":{"type":"Account"},"Id":"` + acc1 + `","Name":"B"}]}`,
		`{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"Sales_Navigator_Lead_Id__c":"sn-1","LastName":"C"}]}`,
		`{"ids":["` + acc1 + `"],"fields":["Name"]}`,
		`{"operation":"query","query":"SELECT Id FROM Account WHERE Name LIKE 'A%'","columnDelimiter":"PIPE"}`,
		`{"object":"Contact","operation":"upsert","externalIdFieldName":"Sales_Navigator_Lead_Id__c","lineEnding":"CRLF"}`,
		`{"state":"UploadComplete"}`,
		`{"state":"Aborted"}`,
		`{"LastName":"Ann","FirstName":"","Email":null,"Birthdate":"2024-02-30","IsDeleted":true}`,
		``, `null`, `[]`, `{"Name":`, `{"Name":"x"} trailing`, "\xff\xfe{}",
	} {
		f.Add(uint8(i%len(jsonTargets)), []byte(b))
	}
	var jobMu sync.Mutex
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := jsonTargets[int(target)%len(jsonTargets)]
		path := tg.path
		if strings.HasSuffix(path, "/jobs/ingest/") || strings.HasSuffix(path, "/jobs/query/") {
			kind := "ingest"
			job := `{"object":"Account","operation":"insert"}`
			if strings.HasSuffix(path, "/jobs/query/") {
				kind, job = "query", `{"operation":"query","query":"SELECT Id FROM Account"}`
			}
			jobMu.Lock()
			rec := o.do(t, "POST", v+"/jobs/"+kind, "application/json", []byte(job))
			jobMu.Unlock()
			var j struct{ ID string }
			if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil || j.ID == "" {
				t.Fatalf("create %s job: %d %s", kind, rec.Code, rec.Body)
			}
			path += j.ID
		}
		rec := o.do(t, tg.method, path, "application/json", body)
		if rec.Code >= 500 || strings.Contains(rec.Body.String(), "goroutine ") {
			t.Fatalf("%s %s %q: %d %.300s", tg.method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMultipleChoices {
			checkErrorShape(t, rec, body, strings.HasSuffix(path, "/jobs/query"))
			return
		}
		if rec.Code == 200 && (strings.HasSuffix(path, "/composite/sobjects") || strings.HasSuffix(path, "/composite/sobjects/Contact/Sales_Navigator_Lead_Id__c")) {
			var results []struct {
				Success *bool `json:"success"`
				Errors  []struct {
					StatusCode string `json:"statusCode"`
					Message    string `json:"message"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &results); err != nil {
				t.Fatalf("Collections answer %.300s: %v", rec.Body, err)
			}
			for _, r := range results {
				if r.Success == nil || !*r.Success && len(r.Errors) == 0 {
					t.Fatalf("Collections result without success or errors: %.300s", rec.Body)
				}
				for _, e := range r.Errors {
					if e.StatusCode == "" || e.Message == "" || len(e.Message) > maxMessage {
						t.Fatalf("Collections error %+v", e)
					}
				}
			}
		}
		if strings.Contains(o.logged(), "panic") {
			t.Fatalf("a panic was recovered: %s", o.logged())
		}
	})
}

// sfError is the sf__Error form "CODE:message:--" or "CODE:message:F1,F2 --".
var sfError = regexp.MustCompile(`(?s)^[A-Z][A-Z_]*:.*:(--|[^:]* --)$`)

// FuzzIngestCSV: any upload to a Bulk 2.0 ingest job (insert, update,
// upsert, delete; any column delimiter) ends the job JobComplete or Failed
// within seconds, never through a recovered panic; its three result CSVs
// are well-formed, with the sf__ columns first, every failure's sf__Error
// in Salesforce's "CODE:message:fields --" form (at most 2,000 bytes:
// values are quoted short), and successes plus
// failures adding up to the processed count.
func FuzzIngestCSV(f *testing.F) {
	o := newFuzzOrg(f)
	ops := []string{"insert", "update", "upsert", "delete"}
	delims := []string{"COMMA", "PIPE", "SEMICOLON", "TAB", "CARET", "BACKQUOTE"}
	for _, s := range []struct {
		op, delim uint8
		csv       string
	}{
		{0, 0, "LastName,FirstName,Email,AccountId\nLee,Ann,ann@x.example," + acc1 + "\n\"O\"\"Hara, Jr\",,bad-email,\n"},
		{0, 0, "LastName,Account.Name\nX,Acme\n"},
		{1, 1, "Id|LastName\n" + con1 + "|Renamed\n003000000000000AAA|Nobody\nnot-an-id|X\n"},
		{2, 0, "Sales_Navigator_Lead_Id__c,LastName,Birthdate\nsn-1,Again,2024-02-30\nsn-9,New,#N/A\n,Blank,\n"},
		{3, 0, "Id\n" + con1 + "\n\n"},
		{0, 3, "LastName\tNope\nX\tY\n"},
		{0, 0, "\ufeffLastName\r\n\"unterminated\r\n"},
		{0, 0, ""},
		{0, 0, "LastName,LastName\nA,B\n"},
		{1, 0, "LastName\nno id column\n"},
	} {
		f.Add(s.op, s.delim, []byte(s.csv))
	}
	f.Fuzz(func(t *testing.T, opN, delimN uint8, upload []byte) {
		op, delim := ops[int(opN)%len(ops)], delims[int(delimN)%len(delims)]
		create := map[string]string{"object": "Contact", "operation": op, "columnDelimiter": delim}
		if op == "upsert" {
			create["externalIdFieldName"] = "Sales_Navigator_Lead_Id__c"
		}
		body, _ := json.Marshal(create)
		rec := o.do(t, "POST", v+"/jobs/ingest", "application/json", body)
		var j struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil || j.ID == "" {
			t.Fatalf("create job: %d %s", rec.Code, rec.Body)
		}
		if rec := o.do(t, "PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", upload); rec.Code != http.StatusCreated {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body)
		}
		if rec := o.do(t, "PATCH", v+"/jobs/ingest/"+j.ID, "application/json", []byte(`{"state":"UploadComplete"}`)); rec.Code != 200 {
			t.Fatalf("close: %d %s", rec.Code, rec.Body)
		}
		var info struct {
			State                  string
			ErrorMessage           string
			NumberRecordsProcessed int
			NumberRecordsFailed    int
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			rec := o.do(t, "GET", v+"/jobs/ingest/"+j.ID, "", nil)
			if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
				t.Fatalf("job info %s: %v", rec.Body, err)
			}
			if terminal(info.State) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s after 10 s for %q", info.State, upload)
			}
			time.Sleep(time.Millisecond)
		}
		if strings.Contains(o.logged(), "panic") {
			t.Fatalf("processing %q panicked: %s", upload, o.logged())
		}
		if info.State != stateJobComplete && (info.State != stateFailed || info.ErrorMessage == "") {
			t.Fatalf("job ended %s %q", info.State, info.ErrorMessage)
		}
		results := map[string][][]string{}
		for _, kind := range []string{"successfulResults", "failedResults", "unprocessedrecords"} {
			rec := o.do(t, "GET", v+"/jobs/ingest/"+j.ID+"/"+kind, "", nil)
			if rec.Code != 200 {
				t.Fatalf("%s: %d %.300s", kind, rec.Code, rec.Body)
			}
			cr := csv.NewReader(rec.Body)
			cr.Comma = delimiters[delim]
			cr.FieldsPerRecord = -1
			rows, err := cr.ReadAll()
			if err != nil {
				t.Fatalf("%s is not CSV: %v\n%.500s", kind, err, rec.Body)
			}
			results[kind] = rows
		}
		ok, failed := results["successfulResults"], results["failedResults"]
		if len(ok) > 0 && (len(ok[0]) < 2 || ok[0][0] != "sf__Id" || ok[0][1] != "sf__Created") {
			t.Fatalf("successfulResults header %q", ok[0])
		}
		if len(failed) > 0 && (len(failed[0]) < 2 || failed[0][0] != "sf__Id" || failed[0][1] != "sf__Error") {
			t.Fatalf("failedResults header %q", failed[0])
		}
		rows := func(r [][]string) int { return max(len(r)-1, 0) }
		if info.State == stateJobComplete && rows(ok)+rows(failed) != info.NumberRecordsProcessed || rows(failed) != info.NumberRecordsFailed {
			t.Fatalf("%d successes and %d failures for %d processed, %d failed", rows(ok), rows(failed), info.NumberRecordsProcessed, info.NumberRecordsFailed)
		}
		for _, r := range failed[min(1, len(failed)):] {
			if len(r) < 2 || !sfError.MatchString(r[1]) {
				t.Fatalf("sf__Error %q is not CODE:message:fields --", r)
			}
			if len(r[1]) > maxMessage {
				t.Fatalf("%d-byte sf__Error: %.300s", len(r[1]), r[1])
			}
		}
	})
}
