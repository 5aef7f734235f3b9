package sfsim

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// send posts body with a content type and the admin token through the
// harness's client, for bodies too large to hold twice in a test.
func (h *harness) send(method, path, ctype string, body io.Reader) resp {
	h.t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+h.admin)
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Errorf("%s %s: %v", method, path, err)
		return resp{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Errorf("%s %s: read: %v", method, path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// TestBodyMemoryReleased: once the simulator has answered large request
// bodies, concurrent ones included, it keeps none of them: the live heap
// after GC is back where it was (a job that failed on its CSV kept its
// whole upload until it was deleted), and a body costs a few times its size
// while it is decoded (under 5), not 8.
func TestBodyMemoryReleased(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	const size = 40 << 20
	ingest := func(csv string) {
		var j struct{ ID string }
		h.send("POST", v+"/jobs/ingest", "application/json", strings.NewReader(`{"object":"Account","operation":"insert"}`)).json(t, &j)
		if r := h.send("PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", strings.NewReader(csv)); r.status != 201 {
			t.Errorf("upload: %d %.200s", r.status, r.body)
		}
		h.send("PATCH", v+"/jobs/ingest/"+j.ID, "application/json", strings.NewReader(`{"state":"UploadComplete"}`))
		if j := h.waitJob("ingest", j.ID, h.admin); j.State != "Failed" {
			t.Errorf("job %s, want Failed", j.State)
		}
	}
	json := func(body string) resp {
		return h.send("POST", v+"/sobjects/Account", "application/json", strings.NewReader(body))
	}
	requests := []func(big string){
		func(big string) { json(`{"Name":"` + big + `"}`) },
		func(big string) { json(`{"Name":` + big) },
		func(big string) { json(`{"Nope__c":"` + big + `"}`) },
		func(big string) {
			h.send("POST", v+"/composite/sobjects", "application/json", strings.NewReader(`{"records":[{"attributes":{"type":"Account"},"Nope__c":"`+big+`"}]}`))
		},
		func(big string) {
			h.send("POST", v+"/jobs/query", "application/json", strings.NewReader(`{"operation":"query","query":"SELECT Id FROM Account WHERE Name = '`+big+`'"}`))
		},
		func(big string) { ingest("Name\n\"" + big + "\n") }, // broken quoting
		func(big string) { ingest("Name\n\"" + big + "\n") },
	}
	ingest("Name\n\"warm-up\n")
	json(`{"Name":"warm-up"}`)
	base := heapAfterGC()
	var wg sync.WaitGroup
	for _, send := range requests {
		wg.Go(func() { send(strings.Repeat("x", size)) })
	}
	wg.Wait()
	after := heapAfterGC()
	t.Logf("live heap %d MB before, %d MB after", base>>20, after>>20)
	if after > base+16<<20 {
		t.Errorf("live heap grew from %d MB to %d MB after the bodies were answered", base>>20, after>>20)
	}

	// One body alone: what decoding it allocates (it was about 330 MB for
	// 40 MB: read whole, copied to a string, refilled into the decoder).
	body := `{"Nope__c":"` + strings.Repeat("x", size) + `"}`
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	r := json(body)
	runtime.ReadMemStats(&m1)
	if r.errorCode() != "INVALID_FIELD" {
		t.Fatalf("%d %.300s, want INVALID_FIELD", r.status, r.body)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 5*size {
		t.Errorf("a %d MB body allocated %d MB, want at most 5 times its size", size>>20, alloc>>20)
	}
}

// bytesOf is n copies of c, generated as read.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func bytesOf(c byte, n int64) io.Reader { return io.LimitReader(repeatByte(c), n) }

// rawSend sends a request over its own connection and reads the answer
// while the body is still being written, as a client that streams a large
// body sees an early answer. length -1 sends the body chunked; a nil body
// sends only the headers.
func (h *harness) rawSend(method, path, ctype string, length int64, body io.Reader) resp {
	h.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n", method, path, h.admin, ctype)
	if length >= 0 {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", length)
	} else {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	}
	go func() {
		if _, err := io.WriteString(conn, head); err != nil || body == nil {
			return
		}
		if length >= 0 {
			_, _ = io.Copy(conn, body)
			return
		}
		cw := httputil.NewChunkedWriter(conn)
		if _, err := io.Copy(cw, body); err == nil && cw.Close() == nil {
			_, _ = io.WriteString(conn, "\r\n")
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// TestBodyTooLarge: a JSON body over Salesforce's 50 MB, or a Bulk upload
// over 150 MB once base64-encoded (112.5 MB of CSV), is refused with 413,
// at once when its Content-Length says so; the simulator used to cut JSON
// at 64 MB and parse what it had (silently creating a record when the cut
// fell after the value) and took 150 MB of CSV.
func TestBodyTooLarge(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	const jsonLimit, uploadLimit = 50_000_000, 112_500_000
	tooLarge := func(name string, r resp, limit int) {
		t.Helper()
		want := fmt.Sprintf("The request body exceeds the maximum size of %d bytes", limit)
		if r.status != 413 || r.errorCode() != "EXCEEDED_MAX_SIZE_REQUEST" || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %.300s, want 413 EXCEEDED_MAX_SIZE_REQUEST %q", name, r.status, r.body, want)
		}
	}
	accounts := h.s.Count("Account")
	value := `{"Name":"Padded"}`
	tooLarge("declared length", h.rawSend("POST", v+"/sobjects/Account", "application/json", jsonLimit+1, nil), jsonLimit)
	tooLarge("value then 65 MB of blanks", h.rawSend("POST", v+"/sobjects/Account", "application/json", -1,
		io.MultiReader(strings.NewReader(value), bytesOf(' ', 65<<20))), jsonLimit)
	tooLarge("a 65 MB value", h.rawSend("POST", v+"/sobjects/Account", "application/json", -1,
		io.MultiReader(strings.NewReader(`{"Name":"x","Description":"`), bytesOf('x', 65<<20), strings.NewReader(`"}`))), jsonLimit)
	tooLarge("collections", h.rawSend("POST", v+"/composite/sobjects", "application/json", -1,
		io.MultiReader(strings.NewReader(`{"records":[]}`), bytesOf(' ', jsonLimit))), jsonLimit)
	if n := h.s.Count("Account"); n != accounts {
		t.Fatalf("%d accounts after refused bodies, want %d", n, accounts)
	}
	// Exactly the limit is taken.
	r := h.rawSend("POST", v+"/sobjects/Account", "application/json", jsonLimit,
		io.MultiReader(strings.NewReader(value), bytesOf(' ', jsonLimit-int64(len(value)))))
	if r.status != 201 {
		t.Fatalf("a body of exactly %d bytes: %d %.300s, want 201", jsonLimit, r.status, r.body)
	}

	job := func() string {
		var j struct{ ID string }
		h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
		return j.ID
	}
	tooLarge("upload, declared length", h.rawSend("PUT", v+"/jobs/ingest/"+job()+"/batches", "text/csv", uploadLimit+1, nil), uploadLimit)
	tooLarge("upload, chunked", h.rawSend("PUT", v+"/jobs/ingest/"+job()+"/batches", "text/csv", -1,
		io.MultiReader(strings.NewReader("Name\n"), bytesOf('x', uploadLimit-5), strings.NewReader("\n"))), uploadLimit)
	id := job()
	r = h.rawSend("PUT", v+"/jobs/ingest/"+id+"/batches", "text/csv", -1,
		io.MultiReader(strings.NewReader("Name\n"), bytesOf('x', uploadLimit-6), strings.NewReader("\n")))
	if r.status != 201 {
		t.Fatalf("an upload of exactly %d bytes: %d %.300s, want 201", uploadLimit, r.status, r.body)
	}
	h.do("DELETE", v+"/jobs/ingest/"+id, h.admin, nil)
}

// TestErrorsQuoteValuesShort: an error message quotes at most the first
// 255 characters of a value, then "...", as Salesforce's STRING_TOO_LONG
// does; a 40 MB Name was echoed whole in a 40 MB answer.
func TestErrorsQuoteValuesShort(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	huge := strings.Repeat("x", 40<<20)
	r := h.send("POST", v+"/sobjects/Account", "application/json", strings.NewReader(`{"Name":"`+huge+`"}`))
	var e []struct{ Message, ErrorCode string }
	r.json(t, &e)
	if want := "Account Name: data value too large: " + strings.Repeat("x", 255) + "... (max length=255)"; r.status != 400 || len(e) != 1 || e[0].ErrorCode != "STRING_TOO_LONG" || e[0].Message != want {
		t.Fatalf("%d %.400s, want 400 STRING_TOO_LONG %q", r.status, r.body, want)
	}
	// Multi-byte characters are counted, not bytes, and never cut in two.
	r = h.send("POST", v+"/sobjects/Account", "application/json", strings.NewReader(`{"Name":"`+strings.Repeat("é", 300)+`"}`))
	r.json(t, &e)
	if want := "Account Name: data value too large: " + strings.Repeat("é", 255) + "... (max length=255)"; len(e) != 1 || e[0].Message != want {
		t.Fatalf("%.400s, want %q", r.body, want)
	}
	// A value just over the length is quoted whole.
	r = h.send("POST", v+"/sobjects/Contact", "application/json", strings.NewReader(`{"LastName":"x","FirstName":"`+strings.Repeat("y", 41)+`"}`))
	r.json(t, &e)
	if want := "First Name: data value too large: " + strings.Repeat("y", 41) + " (max length=40)"; len(e) != 1 || e[0].Message != want {
		t.Fatalf("%.400s, want %q", r.body, want)
	}

	big := strings.Repeat("z", 1<<20)
	for name, tt := range map[string]struct{ method, path, body string }{
		"email":           {"POST", v + "/sobjects/Contact", `{"LastName":"x","Email":"` + big + `"}`},
		"number":          {"POST", v + "/sobjects/Account", `{"Name":"x","NumberOfEmployees":"` + big + `"}`},
		"number as array": {"POST", v + "/sobjects/Account", `{"Name":"x","NumberOfEmployees":["` + big + `"]}`},
		"unknown field":   {"POST", v + "/sobjects/Account", `{"` + big + `":"x"}`},
		"reference":       {"POST", v + "/sobjects/Contact", `{"LastName":"x","AccountId":"` + big + `"}`},
		"picklist":        {"POST", v + "/sobjects/Lead", `{"LastName":"x","Company":"y","Status":"` + big[:200] + `"}`},
		"collection type": {"POST", v + "/composite/sobjects", `{"records":[{"attributes":{"type":"` + big + `"},"Name":"x"}]}`},
		"collection id":   {"PATCH", v + "/composite/sobjects", `{"records":[{"attributes":{"type":"Account"},"Id":"` + big + `","Name":"x"}]}`},
		"job operation":   {"POST", v + "/jobs/ingest", `{"object":"Account","operation":"` + big + `"}`},
		"job object":      {"POST", v + "/jobs/ingest", `{"object":"` + big + `","operation":"insert"}`},
		"job external id": {"POST", v + "/jobs/ingest", `{"object":"Account","operation":"upsert","externalIdFieldName":"` + big + `"}`},
		"query job state": {"POST", v + "/jobs/query", `{"operation":"` + big + `","query":"SELECT Id FROM Account"}`},
	} {
		r := h.send(tt.method, tt.path, "application/json", strings.NewReader(tt.body))
		if r.status < 400 && name != "collection type" && name != "collection id" {
			t.Errorf("%s: %d %.300s, want an error", name, r.status, r.body)
		}
		if len(r.body) > 2000 {
			t.Errorf("%s: %d-byte answer %.300s…, want the value quoted short", name, len(r.body), r.body)
		}
	}

	// Bulk ingest: sf__Error quotes the value short (the row itself keeps
	// its columns, as Salesforce's failedResults do).
	var j struct{ ID string }
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
	h.send("PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", strings.NewReader("Name\n"+big+"\n"))
	h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
	h.waitJob("ingest", j.ID, h.admin)
	rows := parseCSV(t, h.do("GET", v+"/jobs/ingest/"+j.ID+"/failedResults", h.admin, nil).body)
	if want := "STRING_TOO_LONG:Account Name: data value too large: " + big[:255] + "... (max length=255):Name --"; len(rows) != 2 || rows[1][1] != want {
		t.Fatalf("failedResults sf__Error %.400q, want %q", rows[1][1], want)
	}
}

// rawStream sends headers for a body of length bytes (-1: chunked is not
// offered here) and lets write send the body at its own pace; it returns
// the answer and how long it took to come.
func (h *harness) rawStream(method, path, ctype string, length int64, write func(io.Writer) error) (resp, time.Duration) {
	h.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	go func() {
		if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", method, path, h.admin, ctype, length); err == nil {
			_ = write(conn)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("%s %s: no answer after %v: %v", method, path, time.Since(start).Round(time.Millisecond), err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}, time.Since(start)
}

// TestBodyReadTimeout: a body that stops arriving, or trickles in slower
// than 64 KiB/s once the grace period is over, is answered 408 and its
// connection freed (the simulator waited for it forever); a body sent at a
// reasonable pace, or read late because of the latency fault, is taken,
// and keep-alive connections go on working after a body.
func TestBodyReadTimeout(t *testing.T) {
	grace := bodyReadGrace
	t.Cleanup(func() { bodyReadGrace = grace }) // after the harness's server has stopped
	bodyReadGrace = 500 * time.Millisecond
	h := newHarness(t, Options{}, 3)
	timedOut := func(name, method, path, ctype string, write func(io.Writer) error) {
		t.Helper()
		r, took := h.rawStream(method, path, ctype, 1000, write)
		if r.status != 408 || r.errorCode() != "REQUEST_TIMEOUT" {
			t.Errorf("%s: %d %.300s, want 408 REQUEST_TIMEOUT", name, r.status, r.body)
		}
		if took > 5*time.Second {
			t.Errorf("%s: answered after %v, want about the grace period", name, took)
		}
	}
	var j struct{ ID string }
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
	stall := func(w io.Writer) error {
		_, err := io.WriteString(w, `{"Name":`)
		return err
	}
	timedOut("stalled JSON", "POST", v+"/sobjects/Account", "application/json", stall)
	timedOut("stalled upload", "PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", stall)
	trickle := func(w io.Writer) error {
		for range 100 {
			if _, err := io.WriteString(w, "x"); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	}
	timedOut("trickle", "PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", trickle)
	// A body nobody reads (the answer comes first) is not waited for either:
	// net/http reads up to 256 KB of it before answering.
	if r, took := h.rawStream("GET", v+"/limits", "application/json", 1000, stall); r.status != 200 || took > 5*time.Second {
		t.Errorf("stalled unread body: %d %.300s after %v, want 200 within the grace period", r.status, r.body, took)
	}

	// 4 MB at about 4 MB/s, well past the grace period: taken.
	const size = 4 << 20
	steady := func(w io.Writer) error {
		if _, err := io.WriteString(w, "Name\n"); err != nil {
			return err
		}
		for sent := 0; sent < size; sent += 40 << 10 {
			if _, err := io.Copy(w, bytesOf('a', 40<<10)); err != nil {
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
	if r, took := h.rawStream("PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv", size+6, steady); r.status != 201 || took < bodyReadGrace {
		t.Errorf("steady upload: %d %.300s after %v, want 201 after more than %v", r.status, r.body, took, bodyReadGrace)
	}

	// A body read late (latency fault longer than the grace) is taken, and
	// the kept-alive connection answers after idling past the deadline.
	h.s.SetFaults(Faults{Latency: 2 * bodyReadGrace})
	if r := h.do("POST", v+"/sobjects/Account", h.admin, map[string]any{"Name": "Late"}); r.status != 201 {
		t.Errorf("body read after the latency fault: %d %.300s", r.status, r.body)
	}
	h.s.SetFaults(Faults{})
	time.Sleep(2 * bodyReadGrace)
	if r := h.do("GET", v+"/limits", h.admin, nil); r.status != 200 {
		t.Errorf("kept-alive connection after a body: %d %.300s", r.status, r.body)
	}
}

// TestContentType: a JSON resource takes only application/json (any
// charset) and a Bulk upload only text/csv; other types are refused with
// Salesforce's 415 UNSUPPORTED_MEDIA_TYPE before anything is applied (the
// simulator read text/plain as JSON). A body without a Content-Type is
// taken as the resource's type.
func TestContentType(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	accounts := h.s.Count("Account")
	refused := func(name string, r resp, mt string) {
		t.Helper()
		var e []struct{ Message, ErrorCode string }
		r.json(t, &e)
		if want := "MediaType of '" + mt + "' is not supported by this resource"; r.status != 415 || len(e) != 1 || e[0].ErrorCode != "UNSUPPORTED_MEDIA_TYPE" || e[0].Message != want {
			t.Errorf("%s: %d %.300s, want 415 UNSUPPORTED_MEDIA_TYPE %q", name, r.status, r.body, want)
		}
	}
	record := `{"Name":"Typed"}`
	for _, ct := range []string{"text/plain", "text/plain; charset=UTF-8", "application/x-www-form-urlencoded", "application/xml", "text/csv", "multipart/form-data; boundary=x"} {
		mt, _, _ := strings.Cut(ct, ";")
		refused("create as "+ct, h.send("POST", v+"/sobjects/Account", ct, strings.NewReader(record)), mt)
	}
	refused("garbage type", h.send("POST", v+"/sobjects/Account", "!!!", strings.NewReader(record)), "!!!")
	refused("collections", h.send("POST", v+"/composite/sobjects", "text/plain", strings.NewReader(`{"records":[{"attributes":{"type":"Account"},"Name":"X"}]}`)), "text/plain")
	refused("update", h.send("PATCH", v+"/sobjects/Account/"+acc1, "text/plain", strings.NewReader(record)), "text/plain")
	refused("query job", h.send("POST", v+"/jobs/query", "text/plain", strings.NewReader(`{"operation":"query","query":"SELECT Id FROM Account"}`)), "text/plain")
	refused("ingest job", h.send("POST", v+"/jobs/ingest", "text/plain", strings.NewReader(`{"object":"Account","operation":"insert"}`)), "text/plain")
	if n := h.s.Count("Account"); n != accounts {
		t.Fatalf("%d accounts after refused bodies, want %d", n, accounts)
	}
	if r, _ := h.s.Get("Account", acc1); r["Name"] != "Acme Corp" {
		t.Fatalf("account updated through a refused body: %v", r)
	}
	for _, ct := range []string{"application/json", "application/json;charset=UTF-8", "Application/JSON; charset=utf-8", ""} {
		if r := h.send("POST", v+"/sobjects/Account", ct, strings.NewReader(record)); r.status != 201 {
			t.Errorf("create as %q: %d %.300s, want 201", ct, r.status, r.body)
		}
	}

	var j struct{ ID string }
	h.do("POST", v+"/jobs/ingest", h.admin, map[string]any{"object": "Account", "operation": "insert"}).json(t, &j)
	refused("upload as JSON", h.send("PUT", v+"/jobs/ingest/"+j.ID+"/batches", "application/json", strings.NewReader("Name\nX\n")), "application/json")
	refused("job close", h.send("PATCH", v+"/jobs/ingest/"+j.ID, "text/plain", strings.NewReader(`{"state":"UploadComplete"}`)), "text/plain")
	if r := h.send("PUT", v+"/jobs/ingest/"+j.ID+"/batches", "text/csv; charset=UTF-8", strings.NewReader("Name\nX\n")); r.status != 201 {
		t.Errorf("upload as text/csv: %d %.300s, want 201", r.status, r.body)
	}
}
