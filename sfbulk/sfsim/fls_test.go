package sfsim

import (
	"errors"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

// TestFieldAccess: a profile's field-level security shapes the describe its
// users get and refuses their writes of the field; other profiles are not
// affected, and FieldEdit lifts it.
func TestFieldAccess(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	std := h.token("std@example.com")
	type fd struct {
		Name                   string
		Createable, Updateable bool
	}
	describe := func(tok string) map[string]fd {
		t.Helper()
		r := h.do("GET", v+"/sobjects/Contact/describe", tok, nil)
		var d struct{ Fields []fd }
		r.json(t, &d)
		out := map[string]fd{}
		for _, f := range d.Fields {
			out[f.Name] = f
		}
		return out
	}
	if err := h.s.SetFieldAccess(sfid.ProfileStandard, "Contact", "sales_navigator_lead_id__c", FieldHidden); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetFieldAccess(sfid.ProfileStandard, "contact", "LinkedIn_Profile_URL__c", FieldReadOnly); err != nil {
		t.Fatal(err)
	}
	d := describe(std)
	if _, ok := d["Sales_Navigator_Lead_Id__c"]; ok {
		t.Error("hidden field in the standard user's describe")
	}
	if f, ok := d["LinkedIn_Profile_URL__c"]; !ok || f.Createable || f.Updateable {
		t.Errorf("read-only field: %+v (present %v), want neither createable nor updateable", f, ok)
	}
	if f := d["Title"]; !f.Createable || !f.Updateable {
		t.Errorf("Title %+v: other fields keep their access", f)
	}
	a := describe(h.admin)
	if f, ok := a["Sales_Navigator_Lead_Id__c"]; !ok || !f.Createable || !f.Updateable {
		t.Errorf("admin's describe: %+v (present %v): other profiles are not affected", f, ok)
	}
	if f := a["LinkedIn_Profile_URL__c"]; !f.Updateable {
		t.Errorf("admin's describe: %+v", f)
	}

	// Writes of either field by a standard user are refused, REST and Collections.
	for _, field := range []string{"Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"} {
		r := h.do("POST", v+"/sobjects/Contact", std, map[string]any{"LastName": "Fls", "AccountId": acc1, field: "x"})
		if r.status != 400 || r.errorCode() != "INVALID_FIELD_FOR_INSERT_UPDATE" || !strings.Contains(string(r.body), field) {
			t.Errorf("create with %s: %d %s", field, r.status, r.body)
		}
		r = h.do("PATCH", v+"/composite/sobjects", std, map[string]any{"allOrNone": false,
			"records": []any{map[string]any{"attributes": map[string]any{"type": "Contact"}, "Id": con1, field: "y"}}})
		if r.status != 200 || !strings.Contains(string(r.body), "INVALID_FIELD_FOR_INSERT_UPDATE") {
			t.Errorf("collections update of %s: %d %s", field, r.status, r.body)
		}
	}
	if rec, _ := h.s.Get("Contact", con1); rec["LinkedIn_Profile_URL__c"] != "" || rec["Sales_Navigator_Lead_Id__c"] != "" {
		t.Errorf("refused writes applied: %v", rec)
	}
	// The admin still writes them.
	if r := h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"LinkedIn_Profile_URL__c": "https://www.linkedin.com/in/x"}); r.status != 204 {
		t.Errorf("admin update: %d %s", r.status, r.body)
	}
	// FieldEdit lifts the restriction.
	for _, f := range []string{"Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"} {
		if err := h.s.SetFieldAccess(sfid.ProfileStandard, "Contact", f, FieldEdit); err != nil {
			t.Fatal(err)
		}
	}
	if f, ok := describe(std)["Sales_Navigator_Lead_Id__c"]; !ok || !f.Updateable {
		t.Errorf("after FieldEdit: %+v (present %v)", f, ok)
	}
	if r := h.do("PATCH", v+"/sobjects/Contact/"+con1, std, map[string]any{"Sales_Navigator_Lead_Id__c": "urn:li:9"}); r.status != 204 {
		t.Errorf("update after FieldEdit: %d %s", r.status, r.body)
	}

	// Unknown profile, object or field.
	if err := h.s.SetFieldAccess("00e000000000000AAA", "Contact", "Title", FieldHidden); err == nil {
		t.Error("unknown profile accepted")
	}
	if err := h.s.SetFieldAccess(sfid.ProfileStandard, "Nope", "Title", FieldHidden); !errors.Is(err, ErrUnknownObject) {
		t.Errorf("unknown object: %v", err)
	}
	if err := h.s.SetFieldAccess(sfid.ProfileStandard, "Contact", "Nope__c", FieldHidden); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("unknown field: %v", err)
	}
}
