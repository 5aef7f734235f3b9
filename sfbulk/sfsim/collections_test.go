package sfsim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

type saveRes struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Created *bool  `json:"created"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
}

func contactRec(fields map[string]any) map[string]any {
	fields["attributes"] = map[string]any{"type": "Contact"}
	return fields
}

func TestCollections(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	std := h.token("std@example.com")
	// Partial success: per-record results in input order, HTTP 200.
	r := h.do("POST", v+"/composite/sobjects/", std, map[string]any{"allOrNone": false, "records": []map[string]any{
		contactRec(map[string]any{"LastName": "One", "Sales_Navigator_Lead_Id__c": "urn:a"}),
		contactRec(map[string]any{"FirstName": "NoLast"}),
		{"attributes": map[string]any{"type": "Lead"}, "LastName": "L", "Company": "C", "LeadSource": "Web"},
	}})
	var res []saveRes
	r.json(t, &res)
	if r.status != 200 || len(res) != 3 || !res[0].Success || res[1].Success || !res[2].Success || res[0].ID == "" || res[1].ID != "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if e := res[1].Errors[0]; e.StatusCode != "REQUIRED_FIELD_MISSING" || e.Message != "Required fields are missing: [LastName]" || e.Fields[0] != "LastName" {
		t.Errorf("per-record error %+v", e)
	}
	before := h.s.Count("Contact")
	// allOrNone: a failure rolls the others back.
	r = h.do("POST", v+"/composite/sobjects", std, map[string]any{"allOrNone": true, "records": []map[string]any{
		contactRec(map[string]any{"LastName": "Two"}),
		contactRec(map[string]any{"LastName": "Three", "Email": "bad"}),
	}})
	r.json(t, &res)
	if res[0].Success || res[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" || res[1].Errors[0].StatusCode != "INVALID_EMAIL_ADDRESS" {
		t.Errorf("allOrNone: %s", r.body)
	}
	if h.s.Count("Contact") != before {
		t.Errorf("rolled-back records remain: %d vs %d", h.s.Count("Contact"), before)
	}
	// Update: missing id, converted lead, success.
	r = h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"records": []map[string]any{
		contactRec(map[string]any{"Id": con1, "Title": "Boss", "LinkedIn_Profile_URL__c": "https://www.linkedin.com/in/ann"}),
		contactRec(map[string]any{"Title": "NoId"}),
		{"attributes": map[string]any{"type": "Lead"}, "Id": leadConv, "Title": "X"},
	}})
	r.json(t, &res)
	if !res[0].Success || res[1].Errors[0].StatusCode != "MISSING_ARGUMENT" || res[2].Errors[0].StatusCode != "CANNOT_UPDATE_CONVERTED_LEAD" {
		t.Errorf("update: %s", r.body)
	}
	if rec, _ := h.s.Get("Contact", con1); rec["Title"] != "Boss" || rec["LastModifiedById"] != h.s.AdminUser().ID {
		t.Errorf("updated record %v", rec)
	}
	// Allor-none update rollback restores the old value.
	r = h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"allOrNone": true, "records": []map[string]any{
		contactRec(map[string]any{"Id": con1, "Title": "Changed"}),
		contactRec(map[string]any{"Id": con1, "LastName": nil}),
	}})
	if rec, _ := h.s.Get("Contact", con1); rec["Title"] != "Boss" {
		t.Errorf("allOrNone update not rolled back: %v (%s)", rec, r.body)
	}
	// Upsert by external id.
	r = h.do("PATCH", v+"/composite/sobjects/Contact/Sales_Navigator_Lead_Id__c", std, map[string]any{"records": []map[string]any{
		contactRec(map[string]any{"Sales_Navigator_Lead_Id__c": "urn:a", "Title": "Updated"}),
		contactRec(map[string]any{"Sales_Navigator_Lead_Id__c": "urn:b", "LastName": "New"}),
		contactRec(map[string]any{"LastName": "NoKey"}),
	}})
	r.json(t, &res)
	if r.status != 200 || res[0].Created == nil || *res[0].Created || !*res[1].Created || res[2].Success {
		t.Errorf("upsert: %s", r.body)
	}
	// Retrieve and delete.
	r = h.do("GET", v+"/composite/sobjects/Contact?ids="+con1+","+sfid.New(sfid.Contact, "3t", 999)+"&fields=Id,Title", std, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"Title":"Boss"`) || !strings.HasSuffix(string(r.body), ",null]") {
		t.Errorf("retrieve: %s", r.body)
	}
	r = h.do("DELETE", v+"/composite/sobjects?ids="+res[1].ID+",bogus&allOrNone=false", std, nil)
	r.json(t, &res)
	if !res[0].Success || res[1].Success {
		t.Errorf("delete: %s", r.body)
	}
}

func TestLoadErrors(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		name, object string
		header       []string
		rows         [][]string
		want         error
		mention      string
	}{
		{"unknown object", "Task", []string{"Id"}, nil, ErrUnknownObject, "Task"},
		{"unknown column", "Contact", []string{"LastName", "Shoe_Size__c"}, [][]string{{"X", "9"}}, ErrUnknownColumn, "Shoe_Size__c"},
		{"bad profile", "User", []string{"Username", "ProfileId"}, [][]string{{"u@x.example", sfid.New(sfid.Profile, "3t", 9)}}, ErrBadValue, "ProfileId"},
		{"bad boolean", "Lead", []string{"LastName", "Company", "IsConverted"}, [][]string{{"X", "Y", "maybe"}}, ErrBadValue, "IsConverted"},
		{"wrong prefix id", "Contact", []string{"Id", "LastName"}, [][]string{{acc1, "X"}}, ErrBadValue, acc1},
		{"short row", "Contact", []string{"Id", "LastName"}, [][]string{{"x"}}, ErrBadValue, "row 1"},
	}
	for _, tc := range cases {
		err := s.Load(tc.object, tc.header, tc.rows)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Relationship columns are derived, and users keep ids, emails and IsActive.
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Contact.csv", "\"Id\",\"LastName\",\"AccountId\",\"Account.Name\"\n\""+con1+"\",\"Smith\",\""+acc1+"\",\"Ignored\"\n")
	write("Account.csv", "Id,Name\n"+acc1+",Acme\n")
	write("User.csv", "Id,Username,Email,FirstName,LastName,IsActive,ProfileId\n"+uStd+",s@x.example,s@x.example,S,T,false,"+sfid.ProfileReadOnly+"\n")
	if err := s.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	u, ok := s.LookupUser("s@x.example")
	if !ok || u.ID != uStd || u.IsActive || u.ProfileID != sfid.ProfileReadOnly {
		t.Errorf("user %+v", u)
	}
	if rec, _ := s.Get("Contact", con1); rec["AccountId"] != acc1 || rec["OwnerId"] != s.AdminUser().ID {
		t.Errorf("contact %v", rec)
	}
	write("Task.csv", "Id\n")
	if err := s.LoadDir(dir); err == nil || !strings.Contains(err.Error(), "Task.csv") {
		t.Errorf("unknown object file: %v", err)
	}
}

func TestDuplicateRules(t *testing.T) {
	h := newHarness(t, Options{DuplicateRules: true}, 3)
	std := h.token("std@example.com")
	// con2 is First2 Last0002 at acc1 with c2@acme.example.
	dup := map[string]any{"FirstName": "first2", "LastName": "LAST0002", "Email": "other@x.example", "AccountId": acc1}
	r := h.do("POST", v+"/sobjects/Contact", std, dup)
	var e []struct {
		ErrorCode       string `json:"errorCode"`
		DuplicateResult struct {
			AllowSave    bool `json:"allowSave"`
			MatchResults []struct {
				MatchRecords []struct {
					Record map[string]any `json:"record"`
				} `json:"matchRecords"`
			} `json:"matchResults"`
		} `json:"duplicateResult"`
	}
	r.json(t, &e)
	if r.status != 400 || e[0].ErrorCode != "DUPLICATES_DETECTED" || e[0].DuplicateResult.AllowSave ||
		e[0].DuplicateResult.MatchResults[0].MatchRecords[0].Record["Id"] != sfid.New(sfid.Contact, "3t", 2) {
		t.Fatalf("duplicate create: %d %s", r.status, r.body)
	}
	r = h.do("POST", v+"/composite/sobjects", std, map[string]any{"records": []map[string]any{contactRec(dup)}})
	if !strings.Contains(string(r.body), `"statusCode":"DUPLICATES_DETECTED"`) || !strings.Contains(string(r.body), `"duplicateResult"`) {
		t.Errorf("duplicate in collection: %s", r.body)
	}
	if r := h.do("POST", v+"/sobjects/Contact", std, dup, "Sforce-Duplicate-Rule-Header", "allowSave=true"); r.status != 201 {
		t.Errorf("allowSave: %d %s", r.status, r.body)
	}
	if r := h.do("POST", v+"/sobjects/Contact", std, map[string]any{"FirstName": "first2", "LastName": "Last0002"}); r.status != 201 {
		t.Errorf("same name elsewhere is not a duplicate: %d %s", r.status, r.body)
	}
}

func TestSetDirectly(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	if err := h.s.Set("User", uStd, map[string]string{"IsActive": "false"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := h.s.LookupUser("std@example.com"); u.IsActive {
		t.Error("user still active")
	}
	if err := h.s.Set("Lead", leadOpen, map[string]string{"IsConverted": "true", "ConvertedContactId": con1[:15]}); err != nil {
		t.Fatal(err)
	}
	if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "x"}); r.errorCode() != "CANNOT_UPDATE_CONVERTED_LEAD" {
		t.Errorf("converted by Set: %s", r.body)
	}
	for _, bad := range []map[string]string{{"Nope": "1"}, {"IsConverted": "perhaps"}, {"Name": "derived"}} {
		if err := h.s.Set("Lead", leadOpen, bad); err == nil {
			t.Errorf("Set %v accepted", bad)
		}
	}
}

func TestOnePrimaryContactRole(t *testing.T) {
	h := newHarness(t, Options{}, 2)
	std := h.token("std@example.com")
	con2 := sfid.New(sfid.Contact, "3t", 2)
	r := h.do("POST", v+"/composite/sobjects", std, map[string]any{"allOrNone": true, "records": []map[string]any{
		{"attributes": map[string]any{"type": "OpportunityContactRole"}, "OpportunityId": opp1, "ContactId": con1, "Role": "Decision Maker", "IsPrimary": true},
		{"attributes": map[string]any{"type": "OpportunityContactRole"}, "OpportunityId": opp1, "ContactId": con2, "Role": "Evaluator", "IsPrimary": true},
	}})
	var res []saveRes
	r.json(t, &res)
	if !res[0].Success || !res[1].Success {
		t.Fatalf("create roles: %s", r.body)
	}
	first, _ := h.s.Get("OpportunityContactRole", res[0].ID)
	second, _ := h.s.Get("OpportunityContactRole", res[1].ID)
	if first["IsPrimary"] != "false" || second["IsPrimary"] != "true" {
		t.Errorf("primary flags %v %v", first["IsPrimary"], second["IsPrimary"])
	}
	if r := h.do("PATCH", v+"/sobjects/OpportunityContactRole/"+res[0].ID, std, map[string]any{"OpportunityId": opp1}); r.errorCode() != "INVALID_FIELD_FOR_INSERT_UPDATE" {
		t.Errorf("OpportunityId is create-only: %s", r.body)
	}
}
