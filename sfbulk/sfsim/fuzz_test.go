package sfsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandler feeds arbitrary methods, paths and bodies to an org: the
// answer is never a 5xx and never shows a Go stack.
func FuzzHandler(f *testing.F) {
	s, err := New(Options{DailyAPILimit: 1 << 40}) // fuzzing makes millions of calls
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	_ = s.Load("Account", []string{"Id", "Name"}, [][]string{{acc1, "Acme"}})
	tok, _, err := s.IssueToken(s.AdminUser().Username)
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	for _, seed := range []struct{ m, p, b string }{
		{"GET", v + "/query?q=SELECT+Id+FROM+Account", ""},
		{"POST", v + "/sobjects/Account", `{"Name":"X"}`},
		{"PATCH", v + "/composite/sobjects", `{"records":[{"attributes":{"type":"Account"},"Id":"` + acc1 + `","Name":"Y"}]}`},
		{"POST", v + "/jobs/ingest", `{"object":"Account","operation":"insert"}`},
		{"POST", v + "/jobs/query", `{"operation":"query","query":"SELECT Id FROM Account"}`},
		{"POST", "/services/oauth2/token", "grant_type=refresh_token&refresh_token=x"},
		{"GET", "//services/data/", ""},
		{"DELETE", v + "/sobjects/Account/" + acc1, ""},
	} {
		f.Add(seed.m, seed.p, seed.b)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || method == "" || strings.ContainsAny(method, " \r\n\t/()<>@,;:\\\"[]?={}") {
			return
		}
		req, err := http.NewRequest(method, "http://sim.test"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.RequestURI = path
		req.Header.Set("Authorization", "Bearer "+tok)
		if strings.HasPrefix(path, "/services/oauth2/") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		func() {
			defer func() {
				if v := recover(); v != nil && v != http.ErrAbortHandler { //nolint:errorlint
					t.Fatalf("%s %s: panic %v", method, path, v)
				}
			}()
			h.ServeHTTP(rec, req)
		}()
		if rec.Code >= 500 || strings.Contains(rec.Body.String(), "goroutine ") {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}
