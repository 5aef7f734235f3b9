package sfsim

import (
	"net/url"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

type queryPage struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func TestQueryPagingUsesCallersVersion(t *testing.T) {
	h := newHarness(t, Options{}, 450)
	path := "/services/data/v58.0/query?q=" + url.QueryEscape("SELECT Id, LastName, Account.Name, Owner.Email FROM Contact")
	var all []map[string]any
	pages := 0
	for path != "" {
		r := h.do("GET", path, h.admin, nil, "Sforce-Query-Options", "batchSize=200")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var p queryPage
		r.json(t, &p)
		if p.TotalSize != 450 {
			t.Fatalf("totalSize %d", p.TotalSize)
		}
		all = append(all, p.Records...)
		pages++
		if p.Done != (p.NextRecordsURL == "") {
			t.Fatalf("done %v with nextRecordsUrl %q", p.Done, p.NextRecordsURL)
		}
		if p.NextRecordsURL != "" {
			if !strings.HasPrefix(p.NextRecordsURL, "/services/data/v58.0/query/") {
				t.Fatalf("nextRecordsUrl %q not in the caller's version", p.NextRecordsURL)
			}
			if loc := strings.TrimPrefix(p.NextRecordsURL, "/services/data/v58.0/query/"); strings.Contains(loc, "/") {
				t.Fatalf("locator %q contains a slash", loc)
			}
		}
		path = p.NextRecordsURL
	}
	if pages != 3 || len(all) != 450 {
		t.Fatalf("pages %d records %d", pages, len(all))
	}
	first := all[0]
	acc := first["Account"].(map[string]any)
	if acc["Name"] != "Acme Corp" || acc["attributes"].(map[string]any)["type"] != "Account" {
		t.Errorf("relationship %v", acc)
	}
	if first["Owner"].(map[string]any)["Email"] != "std@example.com" || first["LastName"] != "O\"Hara, Jr" {
		t.Errorf("first record %v", first)
	}
}

func TestQueryFeatures(t *testing.T) {
	h := newHarness(t, Options{}, 5)
	std := h.token("std@example.com")
	query := func(path, soql string) queryPage {
		t.Helper()
		r := h.do("GET", v+path+"?q="+url.QueryEscape(soql), std, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", soql, r.status, r.body)
		}
		var p queryPage
		r.json(t, &p)
		return p
	}
	// A parent that is null is JSON null.
	r := h.do("POST", v+"/sobjects/Contact", std, map[string]any{"LastName": "Orphan"})
	if r.status != 201 {
		t.Fatal(string(r.body))
	}
	p := query("/query", "SELECT Id, Account.Name FROM Contact WHERE LastName = 'Orphan'")
	if len(p.Records) != 1 || p.Records[0]["Account"] != nil {
		t.Errorf("null parent: %+v", p.Records)
	}
	p = query("/query", "SELECT Id FROM Contact WHERE Email = 'C3@ACME.example'")
	if len(p.Records) != 1 || p.Records[0]["Id"] != sfid.New(sfid.Contact, "3t", 3) {
		t.Errorf("indexed email lookup: %+v", p.Records)
	}
	p = query("/query", "SELECT Id FROM Contact WHERE AccountId IN ('"+acc1[:15]+"') AND LastName LIKE 'Last%'")
	if p.TotalSize != 4 {
		t.Errorf("AccountId IN + LIKE: %d", p.TotalSize)
	}
	p = query("/query", "SELECT LastName FROM Contact WHERE AccountId != null ORDER BY LastName DESC LIMIT 2")
	if len(p.Records) != 2 || p.Records[0]["LastName"] != "O\"Hara, Jr" || p.Records[1]["LastName"] != "Last0005" {
		t.Errorf("order by/limit: %+v", p.Records)
	}
	p = query("/query", "SELECT COUNT() FROM Contact")
	if p.TotalSize != 6 || len(p.Records) != 0 {
		t.Errorf("count: %+v", p)
	}
	p = query("/query", "SELECT Id, IsConverted FROM Lead WHERE IsConverted = true")
	if len(p.Records) != 1 || p.Records[0]["IsConverted"] != true {
		t.Errorf("boolean filter: %+v", p.Records)
	}
	if r := h.do("DELETE", v+"/sobjects/Contact/"+con1, h.admin, nil); r.status != 204 {
		t.Fatal(string(r.body))
	}
	if p := query("/query", "SELECT Id FROM Contact"); p.TotalSize != 5 {
		t.Errorf("query after delete: %d", p.TotalSize)
	}
	p = query("/queryAll", "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true")
	if p.TotalSize != 1 || p.Records[0]["Id"] != con1 {
		t.Errorf("queryAll sees deleted: %+v", p)
	}
	// The sf CLI's queries.
	p = query("/query", "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization")
	if len(p.Records) != 1 || p.Records[0]["IsSandbox"] != false || p.Records[0]["OrganizationType"] != "Developer Edition" {
		t.Errorf("organization: %+v", p.Records)
	}
	r = h.do("GET", v+"/query?columns=true&q="+url.QueryEscape("SELECT Id, Name, Account.Name FROM Contact"), std, nil)
	var cm struct {
		ColumnMetadata []struct {
			ColumnName  string `json:"columnName"`
			JoinColumns []struct {
				ColumnName string `json:"columnName"`
			} `json:"joinColumns"`
		} `json:"columnMetadata"`
		EntityName string `json:"entityName"`
		IDSelected bool   `json:"idSelected"`
	}
	r.json(t, &cm)
	if cm.EntityName != "Contact" || !cm.IDSelected || len(cm.ColumnMetadata) != 3 || cm.ColumnMetadata[2].ColumnName != "Account" ||
		len(cm.ColumnMetadata[2].JoinColumns) != 1 || cm.ColumnMetadata[2].JoinColumns[0].ColumnName != "Name" {
		t.Errorf("columns=true: %s", r.body)
	}
	r = h.do("GET", "/services/data/v51.0/sobjects/User/"+uStd, std, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"Username":"std@example.com"`) {
		t.Errorf("sf CLI user fetch: %d %s", r.status, r.body)
	}
}

func TestSearchSuggestions(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	get := func(q string) (map[string]any, int) {
		r := h.do("GET", v+"/search/suggestions?"+q, h.admin, nil)
		var m map[string]any
		if r.status == 200 {
			r.json(t, &m)
		}
		return m, r.status
	}
	m, st := get("q=national+u&sobject=Account")
	res := m["autoSuggestResults"].([]any)
	if st != 200 || len(res) != 1 || res[0].(map[string]any)["Name"] != "National Utility" || m["hasMoreResults"] != false {
		t.Errorf("word-prefix match: %v", m)
	}
	m, _ = get("q=tility&sobject=Account")
	if len(m["autoSuggestResults"].([]any)) != 0 {
		t.Errorf("mid-word must not match: %v", m)
	}
	m, _ = get("q=acm*&sobject=Account&limit=1")
	if len(m["autoSuggestResults"].([]any)) != 1 {
		t.Errorf("wildcard stripped: %v", m)
	}
}

func TestCompoundAddress(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	if r := h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"MailingCity": "Paris", "MailingCountry": "France", "MailingLatitude": 48.85}); r.status != 204 {
		t.Fatal(string(r.body))
	}
	r := h.do("GET", v+"/query?q="+url.QueryEscape("SELECT Id, MailingAddress, OtherAddress FROM Contact WHERE Id = '"+con1+"'"), h.admin, nil)
	want := `"MailingAddress":{"city":"Paris","country":"France","geocodeAccuracy":null,"latitude":48.85,"longitude":null,"postalCode":null,"state":null,"street":null},"OtherAddress":null`
	if !strings.Contains(string(r.body), want) {
		t.Errorf("compound address: %s", r.body)
	}
	if r := h.do("GET", v+"/sobjects/Contact/"+con1, h.admin, nil); !strings.Contains(string(r.body), `"MailingAddress":{"city":"Paris"`) {
		t.Errorf("record get: %s", r.body)
	}
	r = h.do("POST", v+"/jobs/query", h.admin, map[string]any{"operation": "query", "query": "SELECT Id, MailingAddress FROM Contact"})
	if r.status != 400 || r.errorCode() != "API_ERROR" || !strings.Contains(string(r.body), "Selecting compound data not supported in Bulk Query") {
		t.Errorf("bulk compound: %d %s", r.status, r.body)
	}
}
