package sfbulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBulk serves Bulk 2.0 query jobs over rows generated on the fly.
type fakeBulk struct {
	t    *testing.T
	f    *fakeOrg
	rows int

	mu        sync.Mutex
	jobs      int
	failJobs  map[int]string // job number -> errorMessage (state Failed)
	abortJob  map[int]bool   // job number -> state Aborted
	neverDone bool
	created   []map[string]string
	polls     int
	aborted   []string
	locators  []string       // locators requested, in order ("" for the first page)
	dropOnce  map[string]int // locator -> bytes to send before dropping (once)
	lieCount  bool
	onPage    func(loc string)
}

func bulkValue(i, col int) string {
	switch col {
	case 0:
		return fmt.Sprintf("003Ho%013d", i)
	case 1:
		if i%7 == 0 {
			return `Anne "Nan"`
		}
		return "Ann" + strconv.Itoa(i)
	case 2:
		if i%5 == 0 {
			return ""
		}
		return fmt.Sprintf("a%d@x.com", i)
	default:
		if i%11 == 0 {
			return "Acme,\nInc."
		}
		return "Acme " + strconv.Itoa(i/10)
	}
}

var bulkHeader = []string{"Id", "FirstName", "Email", "Account.Name"}

func bulkCSV(from, to int) string {
	var b strings.Builder
	b.WriteString(`"Id","FirstName","Email","Account.Name"` + "\n")
	for i := from; i < to; i++ {
		for c := range 4 {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(bulkValue(i, c), `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func newFakeBulk(t *testing.T, f *fakeOrg, rows int) *fakeBulk {
	b := &fakeBulk{t: t, f: f, rows: rows, failJobs: map[int]string{}, abortJob: map[int]bool{}, dropOnce: map[string]int{}}
	f.mux.HandleFunc("POST /services/data/v62.0/jobs/query", b.create)
	f.mux.HandleFunc("GET /services/data/v62.0/jobs/query/{id}", b.info)
	f.mux.HandleFunc("PATCH /services/data/v62.0/jobs/query/{id}", b.patch)
	f.mux.HandleFunc("GET /services/data/v62.0/jobs/query/{id}/results", b.results)
	return b
}

func (b *fakeBulk) create(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if err := json.Unmarshal(readBody(b.t, r), &body); err != nil || r.Header.Get("Content-Type") != "application/json" {
		writeErr(w, 400, "JSON_PARSER_ERROR", "bad body")
		return
	}
	b.mu.Lock()
	b.jobs++
	n := b.jobs
	b.created = append(b.created, body)
	b.mu.Unlock()
	writeJSON(w, 200, map[string]any{"id": fmt.Sprintf("750R%014d", n), "operation": body["operation"], "object": "Contact",
		"createdById": b.f.userID, "createdDate": "2018-12-10T17:50:19.000+0000", "systemModstamp": "2018-12-10T17:50:19.000+0000",
		"state": "UploadComplete", "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 62.0, "lineEnding": "LF", "columnDelimiter": "COMMA"})
}

func jobNum(id string) int { n, _ := strconv.Atoi(strings.TrimLeft(id[4:], "0")); return n }

func (b *fakeBulk) info(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n := jobNum(id)
	b.mu.Lock()
	b.polls++
	polls := b.polls
	msg, fail := b.failJobs[n]
	abort := b.abortJob[n]
	never := b.neverDone
	b.mu.Unlock()
	info := map[string]any{"id": id, "operation": "query", "object": "Contact", "state": "InProgress", "jobType": "V2Query",
		"numberRecordsProcessed": 0, "retries": 0, "totalProcessingTime": 0, "apiVersion": 62.0, "lineEnding": "LF", "columnDelimiter": "COMMA"}
	switch {
	case never || polls%2 == 1:
	case fail:
		info["state"], info["errorMessage"] = "Failed", msg
	case abort:
		info["state"] = "Aborted"
	default:
		info["state"], info["numberRecordsProcessed"] = "JobComplete", b.rows
	}
	writeJSON(w, 200, info)
}

func (b *fakeBulk) patch(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	json.Unmarshal(readBody(b.t, r), &body)
	b.mu.Lock()
	if body["state"] == "Aborted" {
		b.aborted = append(b.aborted, r.PathValue("id"))
	}
	b.mu.Unlock()
	writeJSON(w, 200, map[string]any{"id": r.PathValue("id"), "state": "Aborted"})
}

func (b *fakeBulk) results(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	loc := q.Get("locator")
	max, err := strconv.Atoi(q.Get("maxRecords"))
	if err != nil || max <= 0 {
		max = 1000
	}
	if r.Header.Get("Accept") != "text/csv" {
		b.t.Errorf("results asked with Accept %q", r.Header.Get("Accept"))
	}
	from := 0
	if loc != "" {
		raw, err := base64.RawStdEncoding.DecodeString(loc)
		if err != nil {
			writeErr(w, 400, "INVALID_QUERY_LOCATOR", "invalid locator")
			return
		}
		from, _ = strconv.Atoi(string(raw))
	}
	to := min(from+max, b.rows)
	b.mu.Lock()
	b.locators = append(b.locators, loc)
	drop, dropping := b.dropOnce[loc]
	delete(b.dropOnce, loc)
	lie := b.lieCount
	hook := b.onPage
	b.mu.Unlock()
	if hook != nil {
		hook(loc)
	}
	next := "null"
	if to < b.rows {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	body := []byte(bulkCSV(from, to))
	n := to - from
	if lie {
		n++
	}
	w.Header().Set("Sforce-Locator", next)
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(n))
	w.Header().Set("Content-Type", "text/csv")
	if from > 0 && r.Header.Get("Accept-Encoding") == "gzip" { // later pages gzip-encoded
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if dropping {
		w.WriteHeader(200)
		w.Write(body[:min(drop, len(body))])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.Write(body)
}

func collect(t *testing.T, c *Client, opts BulkQueryOptions) ([][]string, QueryStats, error) {
	t.Helper()
	var rows [][]string
	st, err := c.BulkQuery(context.Background(), "SELECT Id, FirstName, Email, Account.Name FROM Contact", opts, func(h, row []string) error {
		if strings.Join(h, ",") != strings.Join(bulkHeader, ",") {
			t.Errorf("header %q", h)
		}
		rows = append(rows, append([]string(nil), row...))
		return nil
	})
	return rows, st, err
}

func checkRows(t *testing.T, rows [][]string, n int) {
	t.Helper()
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, row := range rows {
		for c := range 4 {
			if row[c] != bulkValue(i, c) {
				t.Fatalf("row %d col %d = %q, want %q", i, c, row[c], bulkValue(i, c))
			}
		}
	}
}

func TestBulkQueryStreamsPages(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 2500)
	c, _ := f.client(t, nil)
	rows, st, err := collect(t, c, BulkQueryOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, 2500)
	if st.Pages != 3 || st.Rows != 2500 || st.JobsRun != 1 || st.PageRetries != 0 || st.JobID == "" {
		t.Fatalf("stats %+v", st)
	}
	if got := b.created[0]; got["operation"] != "query" || got["contentType"] != "CSV" || got["columnDelimiter"] != "COMMA" || got["lineEnding"] != "LF" || !strings.HasPrefix(got["query"], "SELECT Id") {
		t.Fatalf("create body %v", got)
	}
	// queryAll and the CSV writer: the pages concatenated under one header.
	var out bytes.Buffer
	st, err = c.BulkQueryCSV(context.Background(), "SELECT Id FROM Contact", BulkQueryOptions{All: true, PageSize: 700}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != bulkCSV(0, 2500) {
		t.Fatal("BulkQueryCSV output differs from one CSV of all rows")
	}
	if b.created[1]["operation"] != "queryAll" || st.Pages != 4 {
		t.Fatalf("queryAll %v, pages %d", b.created[1], st.Pages)
	}
}

func TestBulkEmptyResult(t *testing.T) {
	f := newFakeOrg(t)
	newFakeBulk(t, f, 0)
	c, _ := f.client(t, nil)
	rows, st, err := collect(t, c, BulkQueryOptions{})
	if err != nil || len(rows) != 0 || st.Pages != 1 {
		t.Fatalf("%v %+v %v", rows, st, err)
	}
}

func TestBulkPageDroppedMidTransfer(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 3000)
	second := base64.RawStdEncoding.EncodeToString([]byte("1000"))
	b.dropOnce[""] = 5000 // first page breaks off after 5,000 bytes
	b.dropOnce[second] = 100
	c, _ := f.client(t, nil)
	rows, st, err := collect(t, c, BulkQueryOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, 3000)
	if st.PageRetries != 2 {
		t.Fatalf("page retries %d", st.PageRetries)
	}
	want := []string{"", "", second, second, base64.RawStdEncoding.EncodeToString([]byte("2000"))}
	if strings.Join(b.locators, "|") != strings.Join(want, "|") {
		t.Fatalf("locators %q, want %q (a broken page is fetched again by its locator)", b.locators, want)
	}
}

func TestBulkTokenExpiresMidExport(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 3000)
	var once sync.Once
	b.onPage = func(loc string) {
		if loc != "" {
			once.Do(f.expireAll) // the session dies after the first page
		}
	}
	c, _ := f.client(t, nil)
	rows, _, err := collect(t, c, BulkQueryOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, 3000)
	if c.Usage().Refreshes != 1 {
		t.Fatalf("refreshes %d", c.Usage().Refreshes)
	}
}

func TestBulkFailedJob(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 10)
	b.failJobs[1] = "InternalServerError: retry limit reached"
	c, _ := f.client(t, nil)
	_, _, err := collect(t, c, BulkQueryOptions{JobAttempts: 1})
	var je *BulkJobError
	if !errors.Is(err, ErrBulkJobFailed) || !errors.As(err, &je) || je.ErrorMessage != "InternalServerError: retry limit reached" || je.State != "Failed" {
		t.Fatalf("got %v", err)
	}
	// With the default attempts a failed job is run again.
	b.failJobs[2] = "InternalServerError"
	rows, st, err := collect(t, c, BulkQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, 10)
	if st.JobsRun != 2 {
		t.Fatalf("jobs run %d", st.JobsRun)
	}
	// Aborted (by someone else) is not re-run.
	b.abortJob[4] = true
	_, st, err = collect(t, c, BulkQueryOptions{})
	if !errors.As(err, &je) || je.State != "Aborted" || st.JobsRun != 1 {
		t.Fatalf("aborted: %v %+v", err, st)
	}
}

func TestBulkCancelAbortsJob(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 10)
	b.neverDone = true
	c, _ := f.client(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.BulkQuery(ctx, "SELECT Id FROM Contact", BulkQueryOptions{}, func(h, r []string) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if len(b.aborted) != 1 || b.aborted[0] != fmt.Sprintf("750R%014d", 1) {
		t.Fatalf("aborted %v", b.aborted)
	}
}

func TestBulkCallbackErrorStops(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 10000)
	c, _ := f.client(t, nil)
	stop := errors.New("enough")
	n := 0
	st, err := c.BulkQuery(context.Background(), "SELECT Id FROM Contact", BulkQueryOptions{PageSize: 1000}, func(h, r []string) error {
		n++
		if n == 1500 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || st.Rows != 1500 {
		t.Fatalf("%v %+v", err, st)
	}
	// The fetcher runs at most a page or two ahead, never to the end. The
	// fake's handler of a page request the client gave up on may still be
	// running, so its log is read under its lock.
	b.mu.Lock()
	fetched := len(b.locators)
	b.mu.Unlock()
	if fetched > 4 {
		t.Fatalf("fetched %d pages after the consumer stopped", fetched)
	}
}

func TestBulkRowCountMismatch(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 10)
	b.lieCount = true
	c, _ := f.client(t, nil)
	_, _, err := collect(t, c, BulkQueryOptions{})
	if err == nil || !strings.Contains(err.Error(), "Sforce-NumberOfRecords") {
		t.Fatalf("got %v", err)
	}
}

func TestBulkOptionsValidated(t *testing.T) {
	f := newFakeOrg(t)
	newFakeBulk(t, f, 1)
	c, _ := f.client(t, nil)
	for _, o := range []BulkQueryOptions{{ColumnDelimiter: "SPACE"}, {LineEnding: "CR"}} {
		if _, err := c.BulkQuery(context.Background(), "SELECT Id FROM Contact", o, func(h, r []string) error { return nil }); err == nil {
			t.Fatalf("%+v accepted", o)
		}
	}
}

// TestBulkPrefetchesNextPage: while the caller is still on the last row of
// page 1, the request for page 2 must already have reached the server. Pages
// are also slow (the server sleeps before answering).
func TestBulkPrefetchesNextPage(t *testing.T) {
	f := newFakeOrg(t)
	b := newFakeBulk(t, f, 3000)
	second := base64.RawStdEncoding.EncodeToString([]byte("1000"))
	requested := make(chan struct{})
	var once sync.Once
	b.onPage = func(loc string) {
		time.Sleep(20 * time.Millisecond) // a slow page
		if loc == second {
			once.Do(func() { close(requested) })
		}
	}
	c, _ := f.client(t, nil)
	n := 0
	_, err := c.BulkQuery(context.Background(), "SELECT Id FROM Contact", BulkQueryOptions{PageSize: 1000}, func(h, row []string) error {
		n++
		if n == 1000 {
			select {
			case <-requested:
			case <-time.After(10 * time.Second):
				return errors.New("page 2 was not requested while page 1 was being consumed")
			}
		}
		if row[0] != bulkValue(n-1, 0) {
			return fmt.Errorf("row %d out of order", n)
		}
		return nil
	})
	if err != nil || n != 3000 {
		t.Fatalf("%v after %d rows", err, n)
	}
}
