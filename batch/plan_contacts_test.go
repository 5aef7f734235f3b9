package batch

import (
	"slices"
	"testing"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/matcher"
)

func TestPlanContacts(t *testing.T) {
	users := []input.User{
		{ID: "005A", Email: "ann@acme.com", Username: "ann@acme.com.prod", IsActive: true},
		{ID: "005B", Email: "bob@acme.com", Username: "bob@acme.com.prod", IsActive: false},
		{ID: "005C", Email: "Cid@Acme.com", Username: "cid", IsActive: true},
	}
	people := []matcher.Person{
		{ID: "003X", Object: "Contact", FirstName: "José", LastName: "Núñez", AccountID: "001A"},
		{ID: "00QY", Object: "Lead", FirstName: "Eve", LastName: "Stone"},
	}
	opps := []input.Opportunity{
		{ID: "006A", AccountID: "001A", CloseDate: "2026-11-01"},
		{ID: "006B", AccountID: "001A", CloseDate: "2026-12-20"},
		{ID: "006C", AccountID: "001B", CloseDate: "2026-10-01"},
	}
	lead := func(id, first, last, title, country, owner string) matcher.Lead {
		return matcher.Lead{LeadID: id, FirstName: first, LastName: last, CurrentTitle: title, Country: country, OwnerEmail: owner,
			Email: id + "@x.example", ProfileURL: "https://www.linkedin.com/in/" + id}
	}
	none := func(id, account string) matcher.LeadResult {
		return matcher.LeadResult{LeadID: id, Decision: matcher.DecisionNone, AccountID: account}
	}
	leads := []matcher.Lead{
		lead("L1", "Ann", "Lee", "CTO", "US", "ANN@acme.com"),
		lead("L2", "Bo", "Ma", "CFO", "FR", "ann@acme.com"),
		lead("L3", "Cy", "Do", "", "FR", "ann@acme.com"),
		lead("L4", "Di", "Ko", "VP", "DE", "nobody@acme.com"),
		lead("L5", "Ed", "Fu", "VP", "DE", "bob@acme.com"),
		lead("L6", "jose", "NUNEZ", "VP", "ES", "cid@acme.com"),
		lead("L7", "Eve", "Stone", "VP", "US", "cid@acme.com"),
		lead("L8", "Fay", "Go", "VP", "US", "cid@acme.com"),
	}
	results := []matcher.LeadResult{
		none("L1", "001A"),
		none("L2", ""),
		none("L3", "001A"),
		none("L4", "001A"),
		none("L5", "001A"),
		none("L6", "001A"),
		none("L7", "001B"), // a Lead of that name does not count: only Contacts on the Account
		{LeadID: "L8", Decision: matcher.DecisionPossible, AccountID: "001A", CRMID: "003Z"},
	}
	cfg := ContactsConfig{Enabled: true, LeadSource: "LinkedIn Sales Navigator", OpportunityRole: OpportunityRoleConfig{Policy: RolePolicySingleOpen, Role: "Influencer"}}
	wb := DefaultWritebackFields()
	acts := PlanContacts(ContactPlanInput{Leads: leads, Results: results, People: people, Users: users, Opportunities: opps,
		Contacts: cfg, Writeback: wb, FirstSeq: 10})

	type want struct {
		lead, kind, reason, owner, target string
	}
	wants := []want{
		{"L1", KindCreateContact, "", "005A", ""},
		{"L1", KindCreateContactRole, ReasonSeveralOpps, "005A", ""},
		{"L2", KindCreateContact, ReasonNoAccountMatch, "", ""},
		{"L3", KindCreateContact, ReasonMissingRequired, "", ""},
		{"L4", KindCreateContact, ReasonOwnerNotInCRM, "", ""},
		{"L5", KindCreateContact, ReasonOwnerInactive, "005B", ""},
		{"L6", KindCreateContact, ReasonPossibleDup, "005C", "003X"},
		{"L7", KindCreateContact, "", "005C", ""},
		{"L7", KindCreateContactRole, "", "005C", ""},
	}
	if len(acts) != len(wants) {
		t.Fatalf("%d actions, want %d: %+v", len(acts), len(wants), acts)
	}
	for i, w := range wants {
		a := acts[i]
		if a.Seq != 10+i || a.LeadID != w.lead || a.Kind != w.kind || a.Reason != w.reason || a.OnBehalfOf != w.owner || a.TargetID != w.target || a.Skip != (w.reason != "") {
			t.Errorf("action %d = %+v, want %+v", i, a, w)
		}
	}
	if acts[4].Detail != OwnerNotInCRMMessage {
		t.Errorf("owner_not_in_crm detail %q", acts[4].Detail)
	}
	if acts[3].Detail == "" || acts[3].Fields != nil {
		t.Errorf("missing field action %+v: want the field named and nothing to send", acts[3])
	}
	f := acts[0].Fields
	for k, v := range map[string]string{"FirstName": "Ann", "LastName": "Lee", "AccountId": "001A", "MailingCountry": "US", "Title": "CTO",
		"LeadSource": "LinkedIn Sales Navigator", "Email": "L1@x.example", "Sales_Navigator_Lead_Id__c": "L1",
		"LinkedIn_Profile_URL__c": "https://www.linkedin.com/in/L1"} {
		if f[k] != v {
			t.Errorf("created Contact %s = %q, want %q", k, f[k], v)
		}
	}
	if _, ok := f["Phone"]; ok {
		t.Error("an empty phone is sent")
	}
	if r := acts[8]; r.Fields["OpportunityId"] != "006C" || r.Fields["Role"] != "Influencer" {
		t.Errorf("role %+v", r)
	}

	// most_recent_open_opportunity picks the latest close date.
	cfg.OpportunityRole.Policy = RolePolicyMostRecent
	acts = PlanContacts(ContactPlanInput{Leads: leads[:1], Results: results[:1], Users: users, Opportunities: opps, Contacts: cfg})
	if len(acts) != 2 || acts[1].Fields["OpportunityId"] != "006B" {
		t.Fatalf("most recent: %+v", acts)
	}
	// Disabled: nothing.
	cfg.Enabled = false
	if acts := PlanContacts(ContactPlanInput{Leads: leads, Results: results, Users: users, Contacts: cfg}); len(acts) != 0 {
		t.Fatalf("disabled plans %d actions", len(acts))
	}
}

func TestFoldName(t *testing.T) {
	for _, tt := range [][2]string{{"José", "jose"}, {"  NÚÑEZ ", "nunez"}, {"Mary  Ann", "mary ann"}, {"Straße", "strasse"}} {
		if got := foldName(tt[0]); got != tt[1] {
			t.Errorf("foldName(%q) = %q, want %q", tt[0], got, tt[1])
		}
	}
}

// TestPlanRoleRetries: a role lost for a Contact navsync created is
// planned again for the Contact as the snapshot holds it, on behalf of
// its creator; the policy, a role already in the org and an inactive
// owner skip it; a Contact not in the snapshot is left for later.
func TestPlanRoleRetries(t *testing.T) {
	users := []input.User{{ID: "005A", IsActive: true}, {ID: "005B", IsActive: false}}
	people := []matcher.Person{
		{ID: "003P", Object: "Contact", AccountID: "001A"},
		{ID: "003Q", Object: "Contact", AccountID: "001B"},
		{ID: "003R", Object: "Contact", AccountID: "001C"},
		{ID: "003S", Object: "Contact", AccountID: "001A"},
		{ID: "003T", Object: "Contact", AccountID: "001A"},
		{ID: "00QU", Object: "Lead"},
	}
	opps := []input.Opportunity{
		{ID: "006A", AccountID: "001A", CloseDate: "2026-11-01"},
		{ID: "006B", AccountID: "001A", CloseDate: "2026-12-20"},
		{ID: "006C", AccountID: "001B", CloseDate: "2026-10-01", IsClosed: true},
	}
	lost := []state.LostRole{
		{LeadID: "L1", ContactID: "003P", OwnerID: "005A", RunID: "r1"}, // planned on 006B
		{LeadID: "L2", ContactID: "003Q", OwnerID: "005A", RunID: "r1"}, // its Account's only Opportunity closed
		{LeadID: "L3", ContactID: "003R", OwnerID: "005A", RunID: "r1"}, // no Opportunity
		{LeadID: "L4", ContactID: "003S", OwnerID: "005A", RunID: "r1"}, // in the org already
		{LeadID: "L5", ContactID: "003T", OwnerID: "005B", RunID: "r1"}, // inactive owner
		{LeadID: "L6", ContactID: "003Z", OwnerID: "005A", RunID: "r1"}, // not in the snapshot
	}
	inOrg := map[string]string{"003S/006B": "00KS", "003P/006A": "00KP"}
	rc := OpportunityRoleConfig{Policy: RolePolicyMostRecent, Role: "Influencer"}
	acts := planRoleRetries(lost, people, users, opps, rc, inOrg, 7)
	type got struct{ lead, reason, target, contact, opp, owner string }
	var g []got
	for i, a := range acts {
		if a.Seq != 7+i || a.Kind != KindCreateContactRole || a.Object != "OpportunityContactRole" || a.Skip != (a.Reason != "") {
			t.Errorf("action %d: %+v", i, a)
		}
		g = append(g, got{a.LeadID, a.Reason, a.TargetID, a.Fields["ContactId"], a.Fields["OpportunityId"], a.OnBehalfOf})
	}
	want := []got{
		{"L1", "", "", "003P", "006B", "005A"},
		{"L2", ReasonNoOpportunity, "", "", "", "005A"},
		{"L3", ReasonNoOpportunity, "", "", "", "005A"},
		{"L4", ReasonAlreadyLinked, "00KS", "", "", "005A"},
		{"L5", ReasonOwnerInactive, "", "", "", "005B"},
	}
	if !slices.Equal(g, want) {
		t.Errorf("planRoleRetries:\n got %v\nwant %v", g, want)
	}
	if !isRoleRetry(&acts[0]) || acts[0].Fields["Role"] != "Influencer" {
		t.Errorf("the retried role: %+v", acts[0])
	}
	if a := planRoleRetries(lost, people, users, opps, OpportunityRoleConfig{Policy: RolePolicyNone}, inOrg, 7); len(a) != 0 {
		t.Errorf("policy none: %v", a)
	}
}
