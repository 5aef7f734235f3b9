package sfsim

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

func TestRoutingCollapsesSlashesWithoutRedirect(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	for _, p := range []string{
		"//services/data/v62.0/sobjects/Contact/describe",
		"/services/data/v62.0/sobjects/Contact/describe/",
		"/services//data/v62.0//sobjects/Contact/describe",
	} {
		r := h.do("GET", p, h.admin, nil)
		if r.status != 200 {
			t.Errorf("GET %s: status %d, want 200 (no redirect): %s", p, r.status, r.body)
		}
	}
	r := h.do("GET", "//services/data/", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"version":"62.0"`) {
		t.Errorf("versions through //: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/services/data/v62.0/query/?q="+url.QueryEscape("SELECT Id FROM Contact"), h.admin, nil)
	if r.status != 200 {
		t.Errorf("query/ with trailing slash: %d %s", r.status, r.body)
	}
}

func TestVersionsAndResources(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	r := h.do("GET", "/services/data", "", nil)
	var vs []map[string]string
	r.json(t, &vs)
	last := vs[len(vs)-1]
	if last["version"] != "66.0" || last["label"] != "Spring '26" || last["url"] != "/services/data/v66.0" {
		t.Errorf("last version %v", last)
	}
	for _, x := range vs {
		if x["version"] == "60.0" && x["label"] != "Spring '24" || x["version"] == "62.0" && x["label"] != "Winter '25" {
			t.Errorf("v60 label %q", x["label"])
		}
	}
	if r.header.Get("Sforce-Limit-Info") != "" {
		t.Error("versions list must not carry Sforce-Limit-Info")
	}
	r = h.do("GET", v, h.admin, nil)
	var res map[string]string
	r.json(t, &res)
	if res["query"] != v+"/query" || res["jobs"] != v+"/jobs" {
		t.Errorf("resources %v", res)
	}
	if got := r.header.Get("Sforce-Limit-Info"); !regexp.MustCompile(`^api-usage=\d+/15000$`).MatchString(got) {
		t.Errorf("Sforce-Limit-Info %q", got)
	}
}

func TestDescribe(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	type field struct {
		Name               string `json:"name"`
		Type               string `json:"type"`
		Length             int    `json:"length"`
		Nillable           bool   `json:"nillable"`
		Createable         bool   `json:"createable"`
		Updateable         bool   `json:"updateable"`
		DefaultedOnCreate  bool   `json:"defaultedOnCreate"`
		ExternalID         bool   `json:"externalId"`
		Unique             bool   `json:"unique"`
		RestrictedPicklist bool   `json:"restrictedPicklist"`
		PicklistValues     []struct {
			Value string `json:"value"`
		} `json:"picklistValues"`
	}
	describe := func(obj string) map[string]field {
		r := h.do("GET", v+"/sobjects/"+obj+"/describe", h.admin, nil)
		if r.status != 200 {
			t.Fatalf("describe %s: %d %s", obj, r.status, r.body)
		}
		var d struct {
			Name      string            `json:"name"`
			KeyPrefix string            `json:"keyPrefix"`
			Urls      map[string]string `json:"urls"`
			Fields    []field           `json:"fields"`
		}
		r.json(t, &d)
		if d.Name != obj || d.Urls["describe"] != v+"/sobjects/"+obj+"/describe" {
			t.Errorf("%s: name %q urls %v", obj, d.Name, d.Urls)
		}
		m := map[string]field{}
		for _, f := range d.Fields {
			m[f.Name] = f
		}
		return m
	}
	values := func(f field) string {
		var s []string
		for _, p := range f.PicklistValues {
			s = append(s, p.Value)
		}
		return strings.Join(s, "|")
	}
	con := describe("Contact")
	if got := values(con["LeadSource"]); got != "Web|Phone Inquiry|Partner Referral|Purchased List|Other" {
		t.Errorf("Contact.LeadSource %q", got)
	}
	if f := con["Sales_Navigator_Lead_Id__c"]; !f.ExternalID || !f.Unique || f.Type != "string" || !f.Updateable {
		t.Errorf("Contact.Sales_Navigator_Lead_Id__c %+v", f)
	}
	if f := con["LinkedIn_Profile_URL__c"]; f.Type != "url" {
		t.Errorf("Contact.LinkedIn_Profile_URL__c %+v", f)
	}
	if f := con["LastName"]; f.Nillable || !f.Createable || f.Length != 80 {
		t.Errorf("Contact.LastName %+v", f)
	}
	if f := con["OwnerId"]; !f.DefaultedOnCreate {
		t.Errorf("Contact.OwnerId %+v", f)
	}
	lead := describe("Lead")
	if f := lead["Status"]; !f.RestrictedPicklist || !f.DefaultedOnCreate || f.Nillable {
		t.Errorf("Lead.Status %+v", f)
	}
	if f := lead["IsConverted"]; f.Createable || f.Updateable {
		t.Errorf("Lead.IsConverted %+v", f)
	}
	if _, ok := lead["Sales_Navigator_Lead_Id__c"]; !ok {
		t.Error("Lead lacks Sales_Navigator_Lead_Id__c")
	}
	ocr := describe("OpportunityContactRole")
	if got := values(ocr["Role"]); !strings.HasPrefix(got, "Business User|Decision Maker|Economic Buyer") || !ocr["Role"].Nillable {
		t.Errorf("OCR.Role %q %+v", got, ocr["Role"])
	}
	if f := ocr["OpportunityId"]; !f.Createable || f.Updateable {
		t.Errorf("OCR.OpportunityId %+v", f)
	}
	describe("Account")
	describe("User")
	describe("Opportunity")
	describe("Organization")
	describe("Profile")
	if r := h.do("GET", v+"/sobjects/Nope/describe", h.admin, nil); r.status != 404 || r.errorCode() != "NOT_FOUND" {
		t.Errorf("unknown object: %d %s", r.status, r.body)
	}
	if err := h.s.SetPicklist("Contact", "LeadSource", []string{"LinkedIn", "Web"}, true); err != nil {
		t.Fatal(err)
	}
	con = describe("Contact")
	if got := values(con["LeadSource"]); got != "LinkedIn|Web" || !con["LeadSource"].RestrictedPicklist {
		t.Errorf("after SetPicklist: %q", got)
	}
}

// TestRESTErrorShapes covers each top-level error the REST API answers.
func TestRESTErrorShapes(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	std, ro, noapi := h.token("std@example.com"), h.token("ro@example.com"), h.token("noapi@example.com")
	q := func(s string) string { return v + "/query?q=" + url.QueryEscape(s) }
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
		fields                    []string
	}{
		{"no token", "GET", v + "/limits", "", nil, 401, "INVALID_SESSION_ID", nil},
		{"bad token", "GET", v + "/limits", "00D000000000000!AQbad", nil, 401, "INVALID_SESSION_ID", nil},
		{"api disabled", "GET", v + "/limits", noapi, nil, 403, "API_DISABLED_FOR_ORG", nil},
		{"read-only create", "POST", v + "/sobjects/Contact", ro, map[string]any{"LastName": "X"}, 400, "INSUFFICIENT_ACCESS_OR_READONLY", nil},
		{"read-only update", "PATCH", v + "/sobjects/Contact/" + con1, ro, map[string]any{"Title": "X"}, 400, "INSUFFICIENT_ACCESS_OR_READONLY", nil},
		{"standard writes Account", "POST", v + "/sobjects/Account", std, map[string]any{"Name": "X"}, 400, "INSUFFICIENT_ACCESS_OR_READONLY", nil},
		{"required missing", "POST", v + "/sobjects/Contact", std, map[string]any{"FirstName": "X"}, 400, "REQUIRED_FIELD_MISSING", []string{"LastName"}},
		{"required nulled", "PATCH", v + "/sobjects/Contact/" + con1, std, map[string]any{"LastName": nil}, 400, "REQUIRED_FIELD_MISSING", []string{"LastName"}},
		{"restricted picklist", "POST", v + "/sobjects/Lead", std, map[string]any{"LastName": "X", "Company": "Y", "Status": "Bogus"}, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", []string{"Status"}},
		{"converted lead", "PATCH", v + "/sobjects/Lead/" + leadConv, h.admin, map[string]any{"Title": "X"}, 400, "CANNOT_UPDATE_CONVERTED_LEAD", nil},
		{"unknown field", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "Foo__c": 1}, 400, "INVALID_FIELD", nil},
		{"read-only field", "POST", v + "/sobjects/Lead", std, map[string]any{"LastName": "X", "Company": "Y", "IsConverted": true}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", []string{"IsConverted"}},
		{"bad email", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "Email": "not an email"}, 400, "INVALID_EMAIL_ADDRESS", []string{"Email"}},
		{"too long", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": strings.Repeat("x", 81)}, 400, "STRING_TOO_LONG", []string{"LastName"}},
		{"wrong type", "POST", v + "/sobjects/Account", h.admin, map[string]any{"Name": "X", "NumberOfEmployees": "many"}, 400, "INVALID_TYPE_ON_FIELD_IN_RECORD", []string{"NumberOfEmployees"}},
		{"malformed json", "POST", v + "/sobjects/Contact", std, []byte("{"), 400, "JSON_PARSER_ERROR", nil},
		{"malformed id", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "AccountId": "nope"}, 400, "MALFORMED_ID", []string{"AccountId"}},
		{"id of wrong object", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "AccountId": con1}, 400, "FIELD_INTEGRITY_EXCEPTION", []string{"AccountId"}},
		{"missing parent", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "AccountId": sfid.New(sfid.Account, "3t", 999)}, 400, "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", nil},
		{"inactive owner", "POST", v + "/sobjects/Contact", h.admin, map[string]any{"LastName": "X", "OwnerId": uInactive}, 400, "INACTIVE_OWNER_OR_USER", nil},
		{"not creatable object", "POST", v + "/sobjects/Profile", h.admin, map[string]any{"Name": "X"}, 400, "INVALID_TYPE_FOR_OPERATION", nil},
		{"id in insert", "POST", v + "/sobjects/Contact", std, map[string]any{"LastName": "X", "Id": con1}, 400, "INVALID_FIELD", []string{"Id"}},
		{"get unknown id", "GET", v + "/sobjects/Contact/" + sfid.New(sfid.Contact, "3t", 999), std, nil, 404, "NOT_FOUND", nil},
		{"get garbage id", "GET", v + "/sobjects/Contact/xyz", std, nil, 404, "NOT_FOUND", nil},
		{"unknown object", "GET", v + "/sobjects/Nope/" + con1, std, nil, 404, "NOT_FOUND", nil},
		{"unknown resource", "GET", v + "/nope", std, nil, 404, "NOT_FOUND", nil},
		{"unknown version", "GET", "/services/data/v99.0/limits", std, nil, 404, "NOT_FOUND", nil},
		{"method not allowed", "PUT", v + "/sobjects/Contact/" + con1, std, map[string]any{}, 405, "METHOD_NOT_ALLOWED", nil},
		{"not an external id", "PATCH", v + "/sobjects/Contact/Email/x@y.z", std, map[string]any{"LastName": "X"}, 404, "NOT_FOUND", nil},
		{"query missing q", "GET", v + "/query", std, nil, 400, "MALFORMED_QUERY", nil},
		{"query malformed", "GET", q("SELECT FROM Contact"), std, nil, 400, "MALFORMED_QUERY", nil},
		{"query unknown field", "GET", q("SELECT Id, Foo FROM Contact"), std, nil, 400, "INVALID_FIELD", nil},
		{"query unknown object", "GET", q("SELECT Id FROM ScratchOrgInfo"), std, nil, 400, "INVALID_TYPE", nil},
		{"bad query locator", "GET", v + "/query/01gXX-2000", std, nil, 400, "INVALID_QUERY_LOCATOR", nil},
		{"collection too big", "POST", v + "/composite/sobjects", std, map[string]any{"records": make([]map[string]any, 201)}, 400, "EXCEEDED_ID_LIMIT", nil},
		{"collection no type", "POST", v + "/composite/sobjects", std, map[string]any{"records": []map[string]any{{"LastName": "X"}}}, 400, "INVALID_TYPE", nil},
		{"suggest short", "GET", v + "/search/suggestions?q=ac&sobject=Account", std, nil, 400, "INVALID_SEARCH", nil},
		{"suggest without name field", "GET", v + "/search/suggestions?q=acme&sobject=OpportunityContactRole", std, nil, 400, "INVALID_TYPE", nil},
		{"suggest no sobject", "GET", v + "/search/suggestions?q=acme", std, nil, 400, "MISSING_ARGUMENT", nil},
		{"bulk bad operation", "POST", v + "/jobs/ingest", std, map[string]any{"object": "Contact", "operation": "merge"}, 400, "INVALIDJOB", nil},
		{"bulk upsert without ext", "POST", v + "/jobs/ingest", std, map[string]any{"object": "Contact", "operation": "upsert"}, 400, "INVALIDJOB", nil},
		{"bulk query malformed", "POST", v + "/jobs/query", std, map[string]any{"operation": "query", "query": "SELEC Id FROM Contact"}, 400, "MALFORMED_QUERY", nil},
		{"bulk job unknown", "GET", v + "/jobs/query/" + sfid.New(sfid.Job, "5g", 999), std, nil, 404, "NOT_FOUND", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
			var e []map[string]any
			r.json(t, &e)
			if len(e) != 1 || e[0]["message"] == "" {
				t.Fatalf("error shape %s", r.body)
			}
			if tc.fields != nil {
				b, _ := json.Marshal(e[0]["fields"])
				want, _ := json.Marshal(tc.fields)
				if string(b) != string(want) {
					t.Errorf("fields %s, want %s", b, want)
				}
			}
			if strings.Contains(string(r.body), "goroutine") || strings.Contains(string(r.body), ".go:") {
				t.Errorf("body leaks a Go stack: %s", r.body)
			}
		})
	}
}

func TestSingleRecordCRUD(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	std := h.token("std@example.com")
	r := h.do("POST", v+"/sobjects/Contact", std, map[string]any{"LastName": "Newman", "AccountId": acc1, "Sales_Navigator_Lead_Id__c": "urn:li:1"})
	var cr struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
		Errors  []any  `json:"errors"`
	}
	r.json(t, &cr)
	if r.status != 201 || !cr.Success || !sfid.Valid(cr.ID) || !strings.HasPrefix(cr.ID, "0035g") || cr.Errors == nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	rec, _ := h.s.Get("Contact", cr.ID)
	if rec["OwnerId"] != uStd || rec["CreatedById"] != uStd || rec["LastModifiedById"] != uStd {
		t.Errorf("owner/created by: %v", rec)
	}
	r = h.do("GET", v+"/sobjects/Contact/"+cr.ID, std, nil)
	var got map[string]any
	r.json(t, &got)
	attrs := got["attributes"].(map[string]any)
	if attrs["type"] != "Contact" || attrs["url"] != v+"/sobjects/Contact/"+cr.ID || got["Name"] != "Newman" || got["Email"] != nil ||
		got["IsDeleted"] != false || !strings.HasSuffix(got["CreatedDate"].(string), "+0000") {
		t.Errorf("get: %s", r.body)
	}
	r = h.do("GET", v+"/sobjects/Contact/"+cr.ID[:15]+"?fields=Id,LastName", std, nil)
	if r.status != 200 || strings.Contains(string(r.body), "Email") {
		t.Errorf("get 15-char with fields: %d %s", r.status, r.body)
	}
	if r := h.do("PATCH", v+"/sobjects/Contact/"+cr.ID, std, map[string]any{"Title": "CTO"}); r.status != 204 || len(r.body) != 0 {
		t.Errorf("update: %d %s", r.status, r.body)
	}
	// Upsert by external id: update, then create.
	r = h.do("PATCH", v+"/sobjects/Contact/Sales_Navigator_Lead_Id__c/urn:li:1", std, map[string]any{"Title": "CEO"})
	var ur map[string]any
	r.json(t, &ur)
	if r.status != 200 || ur["created"] != false || ur["id"] != cr.ID {
		t.Errorf("upsert update: %d %s", r.status, r.body)
	}
	r = h.do("PATCH", v+"/sobjects/Contact/Sales_Navigator_Lead_Id__c/urn:li:2", std, map[string]any{"LastName": "Second"})
	r.json(t, &ur)
	if r.status != 201 || ur["created"] != true {
		t.Errorf("upsert create: %d %s", r.status, r.body)
	}
	if h.s.Count("Contact") != 3 {
		t.Errorf("count %d", h.s.Count("Contact"))
	}
	r = h.do("POST", v+"/sobjects/Contact", std, map[string]any{"LastName": "Dup", "Sales_Navigator_Lead_Id__c": "URN:LI:2"})
	if r.status != 400 || r.errorCode() != "DUPLICATE_VALUE" {
		t.Errorf("duplicate external id: %d %s", r.status, r.body)
	}
	r = h.do("GET", v+"/sobjects/Contact/Sales_Navigator_Lead_Id__c/urn:li:2", std, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"LastName":"Second"`) {
		t.Errorf("get by external id: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", v+"/sobjects/Contact/"+cr.ID, std, nil); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := h.do("GET", v+"/sobjects/Contact/"+cr.ID, std, nil); r.status != 404 || r.errorCode() != "ENTITY_IS_DELETED" {
		t.Errorf("get deleted: %d %s", r.status, r.body)
	}
	if r := h.do("PATCH", v+"/sobjects/Contact/"+cr.ID, std, map[string]any{"Title": "x"}); r.status != 404 || r.errorCode() != "ENTITY_IS_DELETED" {
		t.Errorf("update deleted: %d %s", r.status, r.body)
	}
	// Two records with the same external id: 300 with their URLs.
	h.s.st.mu.Lock()
	tb := h.s.st.table("Contact")
	f := tb.obj.Field("Sales_Navigator_Lead_Id__c")
	for i := 0; i < 2; i++ {
		vals := make([]string, len(tb.obj.Fields))
		vals[0] = tb.newID()
		vals[tb.obj.Field("LastName").index] = "Twin"
		vals[f.index] = "urn:li:twin"
		tb.insert(vals)
	}
	h.s.st.mu.Unlock()
	r = h.do("PATCH", v+"/sobjects/Contact/Sales_Navigator_Lead_Id__c/urn:li:twin", std, map[string]any{"Title": "x"})
	var urls []string
	r.json(t, &urls)
	if r.status != 300 || len(urls) != 2 || !strings.HasPrefix(urls[0], v+"/sobjects/Contact/003") {
		t.Errorf("ambiguous upsert: %d %s", r.status, r.body)
	}
}

// TestBadRequestsNeverPanic sends malformed and odd requests: each gets a
// Salesforce-shaped answer, never a 500 or a Go stack.
func TestBadRequestsNeverPanic(t *testing.T) {
	h := newHarness(t, Options{}, 3)
	bodies := []any{nil, "", []byte("null"), []byte("[]"), []byte(`{"records":null}`), []byte(`{"records":[null]}`),
		[]byte(`{"records":[{"attributes":"x"}]}`), []byte(`{"LastName":{"a":1}}`), []byte(`{"LastName":[1]}`),
		[]byte(`{"state":7}`), []byte(`{"query":5}`), []byte("\x00\xff"), map[string]any{"Id": 5}}
	paths := []string{
		v, v + "/sobjects", v + "/sobjects/Contact", v + "/sobjects/Contact/describe", v + "/sobjects/Contact/" + con1,
		v + "/sobjects/Contact/Sales_Navigator_Lead_Id__c/x", v + "/sobjects/Contact/Id/" + con1, v + "/sobjects/Contact/a/b/c/d",
		v + "/composite/sobjects", v + "/composite/sobjects/Contact", v + "/composite/sobjects/Contact/Sales_Navigator_Lead_Id__c",
		v + "/composite", v + "/query", v + "/query/x", v + "/queryAll?q=SELECT", v + "/query?q=%27", v + "/search/suggestions?q=%22%22%22&sobject=Contact",
		v + "/jobs", v + "/jobs/query", v + "/jobs/query/x", v + "/jobs/query/x/results", v + "/jobs/ingest", v + "/jobs/ingest/x/batches",
		v + "/jobs/ingest/750/successfulResults", v + "/limits/x", "/services/oauth2/token", "/services/oauth2/authorize",
		"/services/oauth2/revoke", "/services/oauth2/userinfo", "/services/oauth2/nope", "/id/x", "/id/" + h.s.OrgID() + "/x", "/", "/services",
		"/services/data/vx", "/services/data/v62", "/services/data/v62.1",
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"} {
			for _, b := range bodies {
				r := h.do(m, p, h.admin, b)
				if r.status >= 500 || strings.Contains(string(r.body), "goroutine ") || strings.Contains(string(r.body), "panic") {
					t.Fatalf("%s %s %v: %d %s", m, p, b, r.status, r.body)
				}
			}
		}
	}
	if r := h.do("GET", v+"/query?q="+strings.Repeat("x", 17000), h.admin, nil); r.status != 414 {
		t.Errorf("long URI: %d", r.status)
	}
}
