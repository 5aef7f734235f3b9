package sfsim

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

type jobInfo struct {
	ID                     string  `json:"id"`
	State                  string  `json:"state"`
	Object                 string  `json:"object"`
	APIVersion             float64 `json:"apiVersion"`
	ContentURL             string  `json:"contentUrl"`
	ErrorMessage           string  `json:"errorMessage"`
	NumberRecordsProcessed int     `json:"numberRecordsProcessed"`
	NumberRecordsFailed    int     `json:"numberRecordsFailed"`
	JobType                string  `json:"jobType"`
}

// waitJob polls until the job reaches a terminal state.
func (h *harness) waitJob(kind, id, token string) jobInfo {
	h.t.Helper()
	for i := 0; i < 500; i++ {
		var j jobInfo
		h.do("GET", v+"/jobs/"+kind+"/"+id, token, nil).json(h.t, &j)
		if terminal(j.State) {
			return j
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.t.Fatalf("job %s never finished", id)
	return jobInfo{}
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("csv %q: %v", b, err)
	}
	return recs
}

func TestBulkQueryJob(t *testing.T) {
	h := newHarness(t, Options{}, 25)
	tok := h.token("std@example.com")
	r := h.do("POST", v+"/jobs/query", tok, map[string]any{"operation": "query", "query": "SELECT Id, LastName, Account.Name, CreatedDate, IsDeleted FROM Contact"})
	var j jobInfo
	r.json(t, &j)
	if r.status != 200 || j.State != "UploadComplete" || j.APIVersion != 62 || !strings.Contains(string(r.body), `"apiVersion":62.0`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	j = h.waitJob("query", j.ID, tok)
	if j.State != "JobComplete" || j.NumberRecordsProcessed != 25 || j.JobType != "V2Query" {
		t.Fatalf("job %+v", j)
	}
	var rows [][]string
	locator := ""
	pages := 0
	var firstPage []byte
	for {
		path := v + "/jobs/query/" + j.ID + "/results?maxRecords=10"
		if locator != "" {
			path += "&locator=" + locator
		}
		r := h.do("GET", path, tok, nil, "Accept", "text/csv")
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv" {
			t.Fatalf("results: %d %s", r.status, r.body)
		}
		if pages == 0 {
			firstPage = r.body
		}
		recs := parseCSV(t, r.body)
		if strings.Join(recs[0], ",") != "Id,LastName,Account.Name,CreatedDate,IsDeleted" {
			t.Fatalf("page %d header %v", pages, recs[0])
		}
		if !strings.HasPrefix(string(r.body), `"Id","LastName","Account.Name","CreatedDate","IsDeleted"`+"\n") {
			t.Fatalf("header not quoted: %q", r.body[:60])
		}
		if n := r.header.Get("Sforce-NumberOfRecords"); n != strconv.Itoa(len(recs)-1) {
			t.Fatalf("Sforce-NumberOfRecords %s for %d rows", n, len(recs)-1)
		}
		rows = append(rows, recs[1:]...)
		pages++
		locator = r.header.Get("Sforce-Locator")
		if locator == "" {
			t.Fatal("Sforce-Locator missing")
		}
		if locator == "null" {
			break
		}
	}
	if pages != 3 || len(rows) != 25 {
		t.Fatalf("pages %d rows %d", pages, len(rows))
	}
	if rows[0][1] != "O\"Hara, Jr" || rows[0][2] != "Acme Corp" || rows[0][3] != "2026-03-01T10:00:00.000Z" || rows[0][4] != "false" {
		t.Errorf("row %v", rows[0])
	}
	if !strings.Contains(string(firstPage), `"O""Hara, Jr"`) {
		t.Errorf("embedded quote not doubled: %s", firstPage)
	}
	// Pages can be fetched again.
	if again := h.do("GET", v+"/jobs/query/"+j.ID+"/results?maxRecords=10", tok, nil); string(again.body) != string(firstPage) {
		t.Error("re-fetched page differs")
	}
	if r := h.do("GET", "/services/data/v58.0/jobs/query/"+j.ID+"/results", tok, nil); r.status != 409 {
		t.Errorf("other API version: %d %s", r.status, r.body)
	}
	if r := h.do("GET", v+"/jobs/query/"+j.ID+"/results?locator=%25%25", tok, nil); r.status != 400 {
		t.Errorf("bad locator: %d", r.status)
	}
	// Without maxRecords: one page, locator null.
	r = h.do("GET", v+"/jobs/query/"+j.ID+"/results", tok, nil)
	if r.header.Get("Sforce-Locator") != "null" || r.header.Get("Sforce-NumberOfRecords") != "25" {
		t.Errorf("default page: %v", r.header)
	}
	// Job list, abort of a finished job, delete.
	var list struct {
		Done    bool      `json:"done"`
		Records []jobInfo `json:"records"`
	}
	h.do("GET", v+"/jobs/query", tok, nil).json(t, &list)
	if !list.Done || len(list.Records) != 1 || list.Records[0].ID != j.ID {
		t.Errorf("list %+v", list)
	}
	if r := h.do("PATCH", v+"/jobs/query/"+j.ID, tok, map[string]any{"state": "Aborted"}); r.status != 400 || r.errorCode() != "INVALIDJOBSTATE" {
		t.Errorf("abort finished job: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", v+"/jobs/query/"+j.ID, tok, nil); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := h.do("GET", v+"/jobs/query/"+j.ID, tok, nil); r.status != 404 {
		t.Errorf("deleted job: %d", r.status)
	}
}

func TestBulkQueryAbortAndStates(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	h.s.jobs.hold = make(chan struct{})
	r := h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "queryAll", "query": "SELECT Id FROM Contact", "columnDelimiter": "PIPE", "lineEnding": "CRLF"})
	var j jobInfo
	r.json(t, &j)
	if r := h.do("GET", v+"/jobs/query/"+j.ID+"/results", h.admin, nil); r.status != 400 || r.errorCode() != "INVALIDJOBSTATE" {
		t.Errorf("results before completion: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", v+"/jobs/query/"+j.ID, h.admin, nil); r.status != 400 || r.errorCode() != "API_ERROR" {
		t.Errorf("delete of a running job: %d %s", r.status, r.body)
	}
	r = h.do("PATCH", v+"/jobs/query/"+j.ID, h.admin, map[string]any{"state": "Aborted"})
	r.json(t, &j)
	if r.status != 200 || j.State != "Aborted" {
		t.Errorf("abort: %d %s", r.status, r.body)
	}
	close(h.s.jobs.hold)
	if j = h.waitJob("query", j.ID, h.admin); j.State != "Aborted" {
		t.Errorf("aborted job went on to %s", j.State)
	}
	// Delimiter and line ending are honoured.
	r = h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id, LastName FROM Contact WHERE LastName = 'Last0002'", "columnDelimiter": "PIPE", "lineEnding": "CRLF"})
	r.json(t, &j)
	h.waitJob("query", j.ID, h.admin)
	r = h.do("GET", v+"/jobs/query/"+j.ID+"/results", h.admin, nil)
	if !strings.HasPrefix(string(r.body), `"Id"|"LastName"`+"\r\n") {
		t.Errorf("PIPE/CRLF: %q", r.body)
	}
}

func TestBulkIngestJobs(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	tok := h.token("std@example.com")
	create := func(body map[string]any) jobInfo {
		t.Helper()
		r := h.do("POST", v+"/jobs/ingest", tok, body)
		var j jobInfo
		r.json(t, &j)
		if r.status != 200 || j.State != "Open" || j.ContentURL != "services/data/v62.0/jobs/ingest/"+j.ID+"/batches" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		return j
	}
	// Chunked upload: no Content-Length.
	upload := func(id, data string) {
		t.Helper()
		pr, pw := io.Pipe()
		go func() {
			for _, line := range strings.SplitAfter(data, "\n") {
				_, _ = pw.Write([]byte(line))
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("PUT", h.ts.URL+v+"/jobs/ingest/"+id+"/batches", pr)
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 || req.ContentLength != -1 && req.ContentLength != 0 {
			t.Fatalf("upload: %d (content length %d)", res.StatusCode, req.ContentLength)
		}
	}
	closeJob := func(id string) jobInfo {
		t.Helper()
		if r := h.do("PATCH", v+"/jobs/ingest/"+id, tok, map[string]any{"state": "UploadComplete"}); r.status != 200 {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		return h.waitJob("ingest", id, tok)
	}
	results := func(id, which string) [][]string {
		t.Helper()
		r := h.do("GET", v+"/jobs/ingest/"+id+"/"+which+"/", tok, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", which, r.status, r.body)
		}
		return parseCSV(t, r.body)
	}

	// Insert, with an empty Id column as go-salesforce sends, and one bad row.
	j := create(map[string]any{"object": "Contact", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"})
	upload(j.ID, "Id,LastName,Email,Sales_Navigator_Lead_Id__c,Account.Id\n,Alpha,a@x.example,urn:1,"+acc1+"\n,,b@x.example,urn:2,\n,Gamma,,urn:3,\n")
	if r := h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", tok, "LastName\nX\n"); r.status != 400 || !strings.Contains(string(r.body), "Found multiple contents") {
		t.Errorf("second upload: %d %s", r.status, r.body)
	}
	done := closeJob(j.ID)
	if done.State != "JobComplete" || done.NumberRecordsProcessed != 3 || done.NumberRecordsFailed != 1 {
		t.Fatalf("insert job %+v", done)
	}
	ok := results(j.ID, "successfulResults")
	if strings.Join(ok[0], ",") != "sf__Id,sf__Created,Id,LastName,Email,Sales_Navigator_Lead_Id__c,Account.Id" || len(ok) != 3 || ok[1][1] != "true" {
		t.Errorf("successfulResults %v", ok)
	}
	alpha, _ := h.s.Get("Contact", ok[1][0])
	if alpha["AccountId"] != acc1 || alpha["OwnerId"] != uStd {
		t.Errorf("inserted record %v", alpha)
	}
	bad := results(j.ID, "failedResults")
	if len(bad) != 2 || bad[1][0] != "" || bad[1][1] != "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --" {
		t.Errorf("failedResults %v", bad)
	}
	if un := results(j.ID, "unprocessedrecords"); len(un) != 1 {
		t.Errorf("unprocessedrecords %v", un)
	}

	// Update: empty leaves alone, #N/A nulls.
	j = create(map[string]any{"object": "Contact", "operation": "update"})
	upload(j.ID, "Id,Email,Title\n"+ok[1][0]+",#N/A,\n"+ok[2][0]+",,VP\n")
	if done := closeJob(j.ID); done.NumberRecordsFailed != 0 {
		t.Fatalf("update job %+v", done)
	}
	alpha, _ = h.s.Get("Contact", ok[1][0])
	gamma, _ := h.s.Get("Contact", ok[2][0])
	if alpha["Email"] != "" || alpha["LastName"] != "Alpha" || gamma["Title"] != "VP" {
		t.Errorf("after update: %v %v", alpha, gamma)
	}

	// Upsert by external id: one update, one create.
	j = create(map[string]any{"object": "Contact", "operation": "upsert", "externalIdFieldName": "Sales_Navigator_Lead_Id__c"})
	upload(j.ID, "Sales_Navigator_Lead_Id__c,LastName,LinkedIn_Profile_URL__c\nurn:1,Alpha2,https://linkedin.example/in/a\nurn:9,Nine,\n")
	closeJob(j.ID)
	ok = results(j.ID, "successfulResults")
	created := map[string]string{}
	for _, row := range ok[1:] {
		created[row[2]] = row[1]
	}
	if created["urn:1"] != "false" || created["urn:9"] != "true" {
		t.Errorf("upsert created flags %v", ok)
	}

	// Read-only users' rows fail; an unknown column fails the job.
	ro := h.token("ro@example.com")
	r := h.do("POST", v+"/jobs/ingest", ro, map[string]any{"object": "Contact", "operation": "insert"})
	var jr jobInfo
	r.json(t, &jr)
	h.do("PUT", v+"/jobs/ingest/"+jr.ID+"/batches", ro, "LastName\nX\n")
	h.do("PATCH", v+"/jobs/ingest/"+jr.ID, ro, map[string]any{"state": "UploadComplete"})
	if done := h.waitJob("ingest", jr.ID, ro); done.NumberRecordsFailed != 1 {
		t.Errorf("read-only ingest %+v", done)
	}
	var aj jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &aj)
	h.do("PUT", v+"/jobs/ingest/"+aj.ID+"/batches", h.admin, "Name,DandbCompany.Name\nX,Y\n")
	h.do("PATCH", v+"/jobs/ingest/"+aj.ID, h.admin, map[string]any{"state": "UploadComplete"})
	if done := h.waitJob("ingest", aj.ID, h.admin); done.State != "Failed" || !strings.Contains(done.ErrorMessage, "DandbCompany.Name") {
		t.Errorf("relationship to an object the org lacks: %+v", done)
	}
	j = create(map[string]any{"object": "Contact", "operation": "insert"})
	upload(j.ID, "LastName,Bogus__c\nX,1\n")
	if done := closeJob(j.ID); done.State != "Failed" || !strings.Contains(done.ErrorMessage, "Bogus__c") {
		t.Errorf("unknown column %+v", done)
	}
	if un := results(j.ID, "unprocessedrecords"); len(un) != 2 {
		t.Errorf("unprocessed of failed job %v", un)
	}

	// Converted lead update fails per row.
	j2 := h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Lead", "operation": "update"})
	var lj jobInfo
	j2.json(t, &lj)
	h.do("PUT", v+"/jobs/ingest/"+lj.ID+"/batches", h.admin, "Id,Title\n"+leadConv+",X\n")
	h.do("PATCH", v+"/jobs/ingest/"+lj.ID, h.admin, map[string]any{"state": "UploadComplete"})
	h.waitJob("ingest", lj.ID, h.admin)
	r = h.do("GET", v+"/jobs/ingest/"+lj.ID+"/failedResults", h.admin, nil)
	if rows := parseCSV(t, r.body); len(rows) != 2 || rows[1][1] != "CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--" {
		t.Errorf("converted lead via bulk: %s", r.body)
	}
}

func TestBulkIngestAbortLeavesUnprocessed(t *testing.T) {
	h := newHarness(t, Options{}, 0)
	h.s.jobs.hold = make(chan struct{})
	r := h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"})
	var j jobInfo
	r.json(t, &j)
	h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, "Name\nA\nB\n")
	h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
	if r := h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "Aborted"}); r.status != 200 {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	close(h.s.jobs.hold)
	h.waitJob("ingest", j.ID, h.admin)
	r = h.do("GET", v+"/jobs/ingest/"+j.ID+"/unprocessedrecords", h.admin, nil)
	if rows := parseCSV(t, r.body); len(rows) != 3 || rows[0][0] != "Name" {
		t.Errorf("unprocessed after abort: %q", r.body)
	}
	if h.s.Count("Account") != 2 {
		t.Errorf("aborted job wrote records: %d", h.s.Count("Account"))
	}
}

func TestBulkIngestDelete(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	run := func(op, csvData string) jobInfo {
		t.Helper()
		var j jobInfo
		h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Contact", "operation": op}).json(t, &j)
		h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, csvData)
		h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
		return h.waitJob("ingest", j.ID, h.admin)
	}
	c2, c3 := "0033t0000000002AAA", "0033t0000000003AAA"
	if done := run("delete", "Id\n"+c2+"\n0033t0000000999AAA\n"); done.NumberRecordsProcessed != 2 || done.NumberRecordsFailed != 1 {
		t.Errorf("delete %+v", done)
	}
	if done := run("hardDelete", "Id\n"+c3+"\n"); done.NumberRecordsFailed != 0 {
		t.Errorf("hardDelete %+v", done)
	}
	p := queryPage{}
	h.do("GET", v+"/queryAll?q=SELECT+Id,IsDeleted+FROM+Contact", h.admin, nil).json(t, &p)
	ids := map[string]any{}
	for _, r := range p.Records {
		ids[r["Id"].(string)] = r["IsDeleted"]
	}
	if ids[c2] != true || ids[c3] != nil || ids[con1] != false {
		t.Errorf("queryAll after delete/hardDelete: %v", ids)
	}
	if h.s.Count("Contact") != 1 {
		t.Errorf("count %d", h.s.Count("Contact"))
	}
	var list struct {
		Records []jobInfo `json:"records"`
	}
	h.do("GET", v+"/jobs/ingest", h.admin, nil).json(t, &list)
	if len(list.Records) != 2 {
		t.Errorf("ingest job list %+v", list)
	}
	std := h.token("std@example.com")
	if r := h.do("POST", v+"/jobs/ingest", std, map[string]any{"object": "Contact", "operation": "hardDelete"}); r.status != 400 {
		t.Errorf("hardDelete by a standard user: %d %s", r.status, r.body)
	}
}

func TestBulkJobRetention(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	var j jobInfo
	h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &j)
	h.waitJob("query", j.ID, h.admin)
	h.clk.advance(8 * 24 * time.Hour)
	tok := h.token(h.s.AdminUser().Username)
	h.do("POST", v+"/jobs/query", tok, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"})
	if r := h.do("GET", v+"/jobs/query/"+j.ID, tok, nil); r.status != 404 {
		t.Errorf("job older than 7 days: %d", r.status)
	}
}

func TestBulkQueryResultPages(t *testing.T) {
	h := newHarness(t, Options{BulkPageSize: 3}, 20)
	var j jobInfo
	h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &j)
	h.waitJob("query", j.ID, h.admin)
	type pagesResp struct {
		ResultPages []struct {
			ResultURL string `json:"resultUrl"`
		} `json:"resultPages"`
		NextRecordsURL *string `json:"nextRecordsUrl"`
		Done           bool    `json:"done"`
	}
	rows := 0
	path := v + "/jobs/query/" + j.ID + "/resultPages"
	calls := 0
	for path != "" {
		var p pagesResp
		r := h.do("GET", path, h.admin, nil)
		r.json(t, &p)
		calls++
		for _, pg := range p.ResultPages {
			res := h.do("GET", pg.ResultURL, h.admin, nil)
			rows += len(parseCSV(t, res.body)) - 1
		}
		path = ""
		if p.NextRecordsURL != nil {
			path = *p.NextRecordsURL
		}
		if p.Done != (path == "") {
			t.Fatalf("done %v next %q", p.Done, path)
		}
	}
	if rows != 20 || calls != 2 {
		t.Errorf("rows %d over %d resultPages calls", rows, calls)
	}
	if r := h.do("GET", "/services/data/v57.0/jobs/query/"+j.ID+"/resultPages", h.admin, nil); r.status != 404 {
		t.Errorf("resultPages before v58: %d", r.status)
	}
}

// TestHoldIngestJobs: a job closed while held stays UploadComplete,
// unprocessed, until released; one closed before the hold is not held.
func TestHoldIngestJobs(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	run := func() string {
		var j jobInfo
		h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
		h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, "Name\nHeld A\nHeld B\n")
		h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
		return j.ID
	}
	free := run()
	release := h.s.HoldIngestJobs()
	held := run()
	if j := h.waitJob("ingest", free, h.admin); j.State != "JobComplete" {
		t.Fatalf("job closed before the hold: %+v", j)
	}
	for range 3 {
		var j jobInfo
		h.do("GET", v+"/jobs/ingest/"+held, h.admin, nil).json(t, &j)
		if j.State != "UploadComplete" || j.NumberRecordsProcessed != 0 {
			t.Fatalf("held job: %+v", j)
		}
	}
	if n := h.s.Count("Account"); n != 2+2 {
		t.Fatalf("%d Accounts while the job is held, want 4", n)
	}
	release()
	release()
	if j := h.waitJob("ingest", held, h.admin); j.State != "JobComplete" || j.NumberRecordsProcessed != 2 {
		t.Fatalf("released job: %+v", j)
	}
	if n := h.s.Count("Account"); n != 2+4 {
		t.Fatalf("%d Accounts after the release, want 6", n)
	}
}

// TestDeleteIngestJob: as Salesforce, an ingest job is deleted (204) when
// UploadComplete (queued: it then never runs), JobComplete, Failed or
// Aborted, with its results; one Open or InProgress is refused with 400
// API_ERROR; an unknown or deleted id is 404 NOT_FOUND.
func TestDeleteIngestJob(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	accounts := h.s.Count("Account")
	create := func(csv string) string {
		var j jobInfo
		h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
		h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, csv)
		return j.ID
	}
	closeJob := func(id string) {
		if r := h.do("PATCH", v+"/jobs/ingest/"+id, h.admin, map[string]any{"state": "UploadComplete"}); r.status != 200 {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
	}
	del := func(id string) resp { return h.do("DELETE", v+"/jobs/ingest/"+id, h.admin, nil) }
	refused := func(what, id string) {
		t.Helper()
		r := del(id)
		if r.status != 400 || r.errorCode() != "API_ERROR" || !strings.Contains(string(r.body), "the job is not terminated") {
			t.Errorf("delete of a job %s: %d %s", what, r.status, r.body)
		}
		if r := h.do("GET", v+"/jobs/ingest/"+id, h.admin, nil); r.status != 200 {
			t.Errorf("the job %s is gone after a refused delete: %d", what, r.status)
		}
	}
	deleted := func(what, id string) {
		t.Helper()
		if r := del(id); r.status != 204 || len(r.body) != 0 {
			t.Errorf("delete of a job %s: %d %s", what, r.status, r.body)
		}
		for _, p := range []string{"", "/successfulResults", "/failedResults", "/unprocessedrecords"} {
			if r := h.do("GET", v+"/jobs/ingest/"+id+p, h.admin, nil); r.status != 404 || r.errorCode() != "NOT_FOUND" {
				t.Errorf("GET %s of the job deleted %s: %d %s", p, what, r.status, r.body)
			}
		}
		if r := del(id); r.status != 404 || r.errorCode() != "NOT_FOUND" {
			t.Errorf("second delete of the job deleted %s: %d %s", what, r.status, r.body)
		}
	}

	open := create("Name\nOpen A\n")
	refused("Open", open)
	j := h.s.ingestJob(open)
	j.mu.Lock()
	j.state = stateInProgress // as while Salesforce processes it
	j.mu.Unlock()
	refused("InProgress", open)
	j.mu.Lock()
	j.state = stateOpen
	j.mu.Unlock()
	if r := h.do("PATCH", v+"/jobs/ingest/"+open, h.admin, map[string]any{"state": "Aborted"}); r.status != 200 {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	deleted("Aborted", open)

	done := create("Name\nDone A\nDone B\n")
	closeJob(done)
	if j := h.waitJob("ingest", done, h.admin); j.State != "JobComplete" {
		t.Fatalf("job %+v", j)
	}
	deleted("JobComplete", done)

	failed := create("Nope\nx\n")
	closeJob(failed)
	if j := h.waitJob("ingest", failed, h.admin); j.State != "Failed" {
		t.Fatalf("job %+v", j)
	}
	deleted("Failed", failed)

	release := h.s.HoldIngestJobs()
	queued := create("Name\nQueued A\n")
	closeJob(queued)
	deleted("UploadComplete", queued)
	release()
	h.s.Close() // waits for the queued job's processing
	if n := h.s.Count("Account"); n != accounts+2 {
		t.Errorf("%d Accounts, want %d: the job deleted while queued ran", n, accounts+2)
	}
	if jobs := h.s.IngestJobs(); len(jobs) != 0 {
		t.Errorf("jobs left: %v", jobs)
	}
	if r := del("7505g00000000ZZAAA"); r.status != 404 || r.errorCode() != "NOT_FOUND" {
		t.Errorf("delete of an unknown job: %d %s", r.status, r.body)
	}
}

// TestDeleteQueryJob: as Salesforce (query_delete_job), a query job is
// deleted (204) when JobComplete, Failed or Aborted, with its results; one
// UploadComplete (queued) or InProgress is refused with 400 API_ERROR and
// stays; an unknown or deleted id is 404 NOT_FOUND. QueryJobs lists the
// jobs the org holds.
func TestDeleteQueryJob(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	create := func() string {
		var j jobInfo
		h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &j)
		return j.ID
	}
	del := func(id string) resp { return h.do("DELETE", v+"/jobs/query/"+id, h.admin, nil) }
	refused := func(what, id string) {
		t.Helper()
		r := del(id)
		if r.status != 400 || r.errorCode() != "API_ERROR" || !strings.Contains(string(r.body), "the job is not terminated") {
			t.Errorf("delete of a job %s: %d %s", what, r.status, r.body)
		}
		if st := h.s.QueryJobs()[id]; st != what {
			t.Errorf("the job %s after a refused delete: %q", what, st)
		}
	}
	deleted := func(what, id string) {
		t.Helper()
		if st := h.s.QueryJobs()[id]; st != what {
			t.Errorf("QueryJobs: the job is %q, want %s", st, what)
		}
		if r := del(id); r.status != 204 || len(r.body) != 0 {
			t.Errorf("delete of a job %s: %d %s", what, r.status, r.body)
		}
		for _, p := range []string{"", "/results"} {
			if r := h.do("GET", v+"/jobs/query/"+id+p, h.admin, nil); r.status != 404 || r.errorCode() != "NOT_FOUND" {
				t.Errorf("GET %s of the job deleted %s: %d %s", p, what, r.status, r.body)
			}
		}
		if r := del(id); r.status != 404 || r.errorCode() != "NOT_FOUND" {
			t.Errorf("second delete of the job deleted %s: %d %s", what, r.status, r.body)
		}
		if _, ok := h.s.QueryJobs()[id]; ok {
			t.Errorf("QueryJobs still lists the job deleted %s", what)
		}
	}

	release := h.s.HoldQueryJobs()
	queued := create()
	refused("UploadComplete", queued)
	j := h.s.queryJob(queued)
	j.mu.Lock()
	j.state = stateInProgress // as while Salesforce runs it
	j.mu.Unlock()
	refused("InProgress", queued)
	if r := h.do("PATCH", v+"/jobs/query/"+queued, h.admin, map[string]any{"state": "Aborted"}); r.status != 200 {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	deleted("Aborted", queued)
	release()

	done := create()
	if j := h.waitJob("query", done, h.admin); j.State != "JobComplete" {
		t.Fatalf("job %+v", j)
	}
	deleted("JobComplete", done)

	h.s.SetFaults(Faults{BulkFail: 1})
	failed := create()
	h.s.SetFaults(Faults{})
	if j := h.waitJob("query", failed, h.admin); j.State != "Failed" {
		t.Fatalf("job %+v", j)
	}
	deleted("Failed", failed)

	if jobs := h.s.QueryJobs(); len(jobs) != 0 {
		t.Errorf("jobs left: %v", jobs)
	}
	if r := del("7505g00000000ZZAAA"); r.status != 404 || r.errorCode() != "NOT_FOUND" {
		t.Errorf("delete of an unknown job: %d %s", r.status, r.body)
	}
}

// TestHoldQueryJobs: a query job created while held stays UploadComplete,
// without results, until released; one created before the hold runs.
func TestHoldQueryJobs(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	create := func() string {
		var j jobInfo
		h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id FROM Contact"}).json(t, &j)
		return j.ID
	}
	free := create()
	release := h.s.HoldQueryJobs()
	held := create()
	if j := h.waitJob("query", free, h.admin); j.State != "JobComplete" {
		t.Fatalf("job created before the hold: %+v", j)
	}
	for range 3 {
		var j jobInfo
		h.do("GET", v+"/jobs/query/"+held, h.admin, nil).json(t, &j)
		if j.State != "UploadComplete" {
			t.Fatalf("held job: %+v", j)
		}
	}
	if r := h.do("GET", v+"/jobs/query/"+held+"/results", h.admin, nil); r.status != 400 || r.errorCode() != "INVALIDJOBSTATE" {
		t.Errorf("results of a held job: %d %s", r.status, r.body)
	}
	release()
	release()
	if j := h.waitJob("query", held, h.admin); j.State != "JobComplete" || j.NumberRecordsProcessed != 3 {
		t.Fatalf("released job: %+v", j)
	}
}

// TestCloseIngestJobWithoutJobsLock: closing an ingest job (which holds
// the job's lock) never waits for the org's jobs lock, which purgeJobs
// holds while it takes each job's lock: the two orders deadlocked the
// soak when a close and a job creation met. The close runs here while the
// jobs lock is held, as purgeJobs would hold it.
func TestCloseIngestJobWithoutJobsLock(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	var info jobInfo
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &info)
	h.do("PUT", v+"/jobs/ingest/"+info.ID+"/batches", h.admin, "Name\nLocked A\n")
	j := h.s.ingestJob(info.ID)
	admin := h.s.AdminUser()
	req := httptest.NewRequest("PATCH", v+"/jobs/ingest/"+info.ID, strings.NewReader(`{"state":"UploadComplete"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c := &call{s: h.s, w: rec, r: req, version: "62.0", user: &admin}
	done := make(chan error, 1)
	h.s.jobs.mu.Lock()
	go func() { done <- c.patchIngest(j) }()
	var err error
	select {
	case err = <-done:
		h.s.jobs.mu.Unlock()
	case <-time.After(10 * time.Second):
		t.Error("closing a job waits for the jobs lock while holding the job's: it deadlocks with purgeJobs")
		h.s.jobs.mu.Unlock()
		err = <-done
	}
	if err != nil || rec.Code != 200 {
		t.Errorf("close: %v %d %s", err, rec.Code, rec.Body)
	}
	if j := h.waitJob("ingest", info.ID, h.admin); j.State != "JobComplete" {
		t.Fatalf("job %+v", j)
	}
}
