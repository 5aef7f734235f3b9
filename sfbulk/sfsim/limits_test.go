package sfsim

import (
	"net/url"
	"strings"
	"testing"
)

// nestedSOQL is a Contact query whose WHERE clause sits inside n pairs of
// parentheses.
func nestedSOQL(n int) string {
	return "SELECT Id FROM Contact WHERE " + strings.Repeat("(", n) + "LastName = 'x'" + strings.Repeat(")", n)
}

// TestQueryLengthAndNesting: a SOQL statement over 100,000 characters, or
// nesting deeper than the parser's bound, is refused with a 400 on every
// query path (one Bulk 2.0 query job nesting a million parentheses ended
// the process with a stack overflow); the org keeps answering.
func TestQueryLengthAndNesting(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	const tooLong = "SOQL statements cannot be longer than 100000 characters"
	check := func(name string, r resp, status int, code, msg string) {
		t.Helper()
		if r.status != status || r.errorCode() != code || !strings.Contains(string(r.body), msg) {
			t.Errorf("%s: %d %.300s, want %d %s %q", name, r.status, r.body, status, code, msg)
		}
	}
	for _, op := range []string{"query", "queryAll"} {
		for name, tt := range map[string]struct {
			soql, code, msg string
		}{
			"a million parentheses": {nestedSOQL(1_000_000), "MALFORMED_QUERY", tooLong},
			"100,001 characters":    {"SELECT Id FROM Contact WHERE LastName = '" + strings.Repeat("a", 100_001-42) + "'", "MALFORMED_QUERY", tooLong},
			"49,000 parentheses":    {nestedSOQL(49_000), "QUERY_TOO_COMPLICATED", "conditions nested more than 1000 levels deep"},
		} {
			r := h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": op, "query": tt.soql})
			check(op+" job, "+name, r, 400, tt.code, tt.msg)
		}
		// REST: the URI cap (16,384 bytes: 414, or 431 from the HTTP server
		// when the request line alone passes its header cap) comes first for
		// long statements;
		// deep nesting that fits in it is refused by the parser.
		r := h.do("GET", v+"/"+op+"?q="+url.QueryEscape(nestedSOQL(2_000)), h.admin, nil)
		check(op+" REST, 2,000 parentheses", r, 400, "QUERY_TOO_COMPLICATED", "conditions nested more than 1000 levels deep")
		r = h.do("GET", v+"/"+op+"?q="+url.QueryEscape(nestedSOQL(100_000)), h.admin, nil)
		if r.status != 414 && r.status != 431 {
			t.Errorf("%s REST, 100,000 parentheses: %d %.300s, want 414 or 431", op, r.status, r.body)
		}
		r = h.do("GET", v+"/"+op+"?q="+url.QueryEscape(nestedSOQL(1_000)), h.admin, nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"totalSize":0`) {
			t.Errorf("%s REST, 1,000 parentheses: %d %.300s, want 200 with no records", op, r.status, r.body)
		}
	}
	r := h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": nestedSOQL(1_000)})
	if r.status != 200 {
		t.Errorf("job nesting 1,000: %d %.300s", r.status, r.body)
	}
}
