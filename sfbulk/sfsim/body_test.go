package sfsim

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
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
