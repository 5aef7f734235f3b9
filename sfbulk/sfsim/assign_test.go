package sfsim

import (
	"errors"
	"strings"
	"testing"

	"github.com/navsync/navsync/internal/sfid"
)

// owner reads a Lead's OwnerId behind the API's back.
func (h *harness) owner(id string) string {
	h.t.Helper()
	rec, ok := h.s.Get("Lead", id)
	if !ok {
		h.t.Fatalf("lead %s not found", id)
	}
	return rec["OwnerId"]
}

func (h *harness) setOwner(id, owner string) {
	h.t.Helper()
	if err := h.s.Set("Lead", id, map[string]string{"OwnerId": owner}); err != nil {
		h.t.Fatal(err)
	}
}

func TestLeadAssignmentRuleREST(t *testing.T) {
	h := newHarness(t, Options{LeadAssignmentRule: LeadQueue}, 1)
	queue, ok := h.s.LookupUser(LeadQueueUsername)
	if !ok || !queue.IsActive || queue.ProfileID != sfid.ProfileStandard {
		t.Fatalf("no active Lead Queue user: %+v", queue)
	}
	ruleID := h.s.LeadAssignmentRuleID()
	if !strings.HasPrefix(ruleID, "01Q") || !sfid.Valid(ruleID) {
		t.Fatalf("rule id %q", ruleID)
	}
	headers := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{"Sforce-Auto-Assign", v}
	}

	// Updates of one record: the rule runs unless the header says FALSE (any case).
	for _, tc := range []struct {
		header   string
		reassign bool
	}{
		{"", true}, {"TRUE", true}, {"true", true}, {" True ", true},
		{"FALSE", false}, {"false", false}, {"False", false},
		{ruleID, false}, // a rule id applies to created records only
	} {
		h.setOwner(leadOpen, uStd)
		r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "CTO"}, headers(tc.header)...)
		if r.status != 204 {
			t.Fatalf("update with %q: %d %s", tc.header, r.status, r.body)
		}
		want := uStd
		if tc.reassign {
			want = queue.ID
		}
		if got := h.owner(leadOpen); got != want {
			t.Errorf("update with Sforce-Auto-Assign %q: owner %s, want %s", tc.header, got, want)
		}
	}

	// Values the REST guide does not list are refused, and nothing changes.
	h.setOwner(leadOpen, uStd)
	for _, bad := range []string{"0", "no", "yes", sfid.New("01Q", "5g", 9)} {
		r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}, "Sforce-Auto-Assign", bad)
		if r.status != 400 || (r.errorCode() != "MALFORMED_ID" && r.errorCode() != "INVALID_CROSS_REFERENCE_KEY") {
			t.Errorf("Sforce-Auto-Assign %q: %d %s", bad, r.status, r.body)
		}
	}
	if got := h.owner(leadOpen); got != uStd {
		t.Errorf("a refused request changed the owner to %s", got)
	}

	// Creates: the rule overrides the OwnerId sent; FALSE keeps it; the
	// rule's id runs it.
	for _, tc := range []struct {
		header string
		want   string
	}{{"", queue.ID}, {"FALSE", uStd}, {ruleID, queue.ID}} {
		r := h.do("POST", v+"/sobjects/Lead", h.admin, map[string]any{"LastName": "New", "Company": "Newco", "OwnerId": uStd}, headers(tc.header)...)
		var res struct{ ID string }
		r.json(t, &res)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if got := h.owner(res.ID); got != tc.want {
			t.Errorf("create with %q: owner %s, want %s", tc.header, got, tc.want)
		}
	}

	// Upsert by external id, one record.
	h.setOwner(leadOpen, uStd)
	if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Sales_Navigator_Lead_Id__c": "SN-1"}, "Sforce-Auto-Assign", "FALSE"); r.status != 204 {
		t.Fatalf("set external id: %d %s", r.status, r.body)
	}
	if r := h.do("PATCH", v+"/sobjects/Lead/Sales_Navigator_Lead_Id__c/SN-1", h.admin, map[string]any{"Title": "VP"}, "Sforce-Auto-Assign", "false"); r.status != 200 {
		t.Fatalf("upsert: %d %s", r.status, r.body)
	}
	if got := h.owner(leadOpen); got != uStd {
		t.Errorf("upsert with FALSE reassigned the lead to %s", got)
	}
	if r := h.do("PATCH", v+"/sobjects/Lead/Sales_Navigator_Lead_Id__c/SN-1", h.admin, map[string]any{"Title": "VP"}); r.status != 200 {
		t.Fatalf("upsert: %d %s", r.status, r.body)
	}
	if got := h.owner(leadOpen); got != queue.ID {
		t.Errorf("upsert without the header: owner %s, want the queue", got)
	}

	// sObject Collections: update, upsert and create, with and without the header.
	leadRec := func(fields map[string]any) map[string]any {
		fields["attributes"] = map[string]any{"type": "Lead"}
		return fields
	}
	for _, tc := range []struct {
		header string
		want   string
	}{{"FALSE", uStd}, {"", queue.ID}} {
		h.setOwner(leadOpen, uStd)
		r := h.do("PATCH", v+"/composite/sobjects", h.admin, map[string]any{"allOrNone": false,
			"records": []any{leadRec(map[string]any{"Id": leadOpen, "Title": "Head of Sales"})}}, headers(tc.header)...)
		if r.status != 200 || !strings.Contains(string(r.body), `"success":true`) {
			t.Fatalf("collections update: %d %s", r.status, r.body)
		}
		if got := h.owner(leadOpen); got != tc.want {
			t.Errorf("collections update with %q: owner %s, want %s", tc.header, got, tc.want)
		}
		h.setOwner(leadOpen, uStd)
		r = h.do("PATCH", v+"/composite/sobjects/Lead/Sales_Navigator_Lead_Id__c", h.admin, map[string]any{"allOrNone": false,
			"records": []any{leadRec(map[string]any{"Sales_Navigator_Lead_Id__c": "SN-1", "Title": "CRO"})}}, headers(tc.header)...)
		if r.status != 200 || !strings.Contains(string(r.body), `"success":true`) {
			t.Fatalf("collections upsert: %d %s", r.status, r.body)
		}
		if got := h.owner(leadOpen); got != tc.want {
			t.Errorf("collections upsert with %q: owner %s, want %s", tc.header, got, tc.want)
		}
		r = h.do("POST", v+"/composite/sobjects", h.admin, map[string]any{"allOrNone": false,
			"records": []any{leadRec(map[string]any{"LastName": "Batch", "Company": "Batchco", "OwnerId": uStd})}}, headers(tc.header)...)
		var res []struct {
			ID      string `json:"id"`
			Success bool   `json:"success"`
		}
		r.json(t, &res)
		if r.status != 200 || len(res) != 1 || !res[0].Success {
			t.Fatalf("collections create: %d %s", r.status, r.body)
		}
		if got := h.owner(res[0].ID); got != tc.want {
			t.Errorf("collections create with %q: owner %s, want %s", tc.header, got, tc.want)
		}
	}

	// The rule is a Lead rule: Contacts keep their owner.
	if r := h.do("PATCH", v+"/sobjects/Contact/"+con1, h.admin, map[string]any{"Title": "CEO"}); r.status != 204 {
		t.Fatalf("contact update: %d %s", r.status, r.body)
	}
	if rec, _ := h.s.Get("Contact", con1); rec["OwnerId"] != uStd {
		t.Errorf("contact owner changed to %s", rec["OwnerId"])
	}
}

func TestLeadAssignmentRuleOptions(t *testing.T) {
	// No rule: nothing is reassigned, and a rule id in the header names nothing.
	h := newHarness(t, Options{}, 1)
	if h.s.LeadAssignmentRuleID() != "" {
		t.Fatal("an org without the option has a rule")
	}
	if _, ok := h.s.LookupUser(LeadQueueUsername); ok {
		t.Fatal("the Lead Queue user exists without the rule")
	}
	h.setOwner(leadOpen, uStd)
	if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}); r.status != 204 || h.owner(leadOpen) != uStd {
		t.Fatalf("update without a rule: %d %s, owner %s", r.status, r.body, h.owner(leadOpen))
	}
	if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}, "Sforce-Auto-Assign", sfid.New("01Q", "5g", 1)); r.status != 400 || r.errorCode() != "INVALID_CROSS_REFERENCE_KEY" {
		t.Fatalf("rule id without a rule: %d %s", r.status, r.body)
	}

	// A rule assigning to a named user (username or id).
	for _, target := range []string{"ro@example.com", uRO} {
		h := newHarness(t, Options{LeadAssignmentRule: target}, 1)
		if _, ok := h.s.LookupUser(LeadQueueUsername); ok {
			t.Fatal("the Lead Queue user exists for a rule naming another user")
		}
		h.setOwner(leadOpen, uStd)
		if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}); r.status != 204 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if got := h.owner(leadOpen); got != uRO {
			t.Errorf("rule to %s: owner %s, want %s", target, got, uRO)
		}
	}
	// The rule's user inactive or missing: the save fails, as an assignment
	// to an inactive owner does.
	for target, code := range map[string]string{"gone@example.com": "INACTIVE_OWNER_OR_USER", "nobody@example.com": "INVALID_CROSS_REFERENCE_KEY"} {
		h := newHarness(t, Options{LeadAssignmentRule: target}, 1)
		h.setOwner(leadOpen, uStd)
		if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}); r.status != 400 || r.errorCode() != code {
			t.Errorf("rule to %s: %d %s, want %s", target, r.status, r.body, code)
		}
		if r := h.do("PATCH", v+"/sobjects/Lead/"+leadOpen, h.admin, map[string]any{"Title": "X"}, "Sforce-Auto-Assign", "FALSE"); r.status != 204 {
			t.Errorf("rule to %s skipped: %d %s", target, r.status, r.body)
		}
	}
	for _, bad := range []string{"nobody", acc1, "a b@example.com"} {
		if _, err := New(Options{LeadAssignmentRule: bad}); !errors.Is(err, ErrLeadAssignmentRule) {
			t.Errorf("LeadAssignmentRule %q: %v", bad, err)
		}
	}
}

func TestLeadAssignmentRuleBulkIngest(t *testing.T) {
	h := newHarness(t, Options{LeadAssignmentRule: LeadQueue}, 1)
	queue, _ := h.s.LookupUser(LeadQueueUsername)
	ruleID := h.s.LeadAssignmentRuleID()
	run := func(job map[string]any, csv string) (jobInfo, map[string]any) {
		t.Helper()
		r := h.do("POST", v+"/jobs/ingest", h.admin, job)
		var j jobInfo
		r.json(t, &j)
		if r.status != 200 {
			t.Fatalf("create %v: %d %s", job, r.status, r.body)
		}
		var info map[string]any
		r.json(t, &info)
		h.do("PUT", v+"/jobs/ingest/"+j.ID+"/batches", h.admin, csv)
		h.do("PATCH", v+"/jobs/ingest/"+j.ID, h.admin, map[string]any{"state": "UploadComplete"})
		return h.waitJob("ingest", j.ID, h.admin), info
	}

	// Without assignmentRuleId the active rule does not run.
	h.setOwner(leadOpen, uStd)
	j, info := run(map[string]any{"object": "Lead", "operation": "update"}, "Id,Title\n"+leadOpen+",CTO\n")
	if j.State != "JobComplete" || j.NumberRecordsFailed != 0 || info["assignmentRuleId"] != nil {
		t.Fatalf("update job: %+v %v", j, info)
	}
	if got := h.owner(leadOpen); got != uStd {
		t.Errorf("ingest update without assignmentRuleId: owner %s, want unchanged", got)
	}
	// With it, updates and inserts run it.
	j, info = run(map[string]any{"object": "Lead", "operation": "update", "assignmentRuleId": ruleID}, "Id,Title\n"+leadOpen+",CFO\n")
	if j.State != "JobComplete" || j.NumberRecordsFailed != 0 || info["assignmentRuleId"] != ruleID {
		t.Fatalf("update job with the rule: %+v %v", j, info)
	}
	if got := h.owner(leadOpen); got != queue.ID {
		t.Errorf("ingest update with assignmentRuleId: owner %s, want the queue", got)
	}
	j, _ = run(map[string]any{"object": "Lead", "operation": "insert", "assignmentRuleId": ruleID}, "LastName,Company,OwnerId\nBulk,Bulkco,"+uStd+"\n")
	if j.State != "JobComplete" || j.NumberRecordsFailed != 0 {
		t.Fatalf("insert job: %+v", j)
	}
	for _, rec := range h.s.Records("Lead") {
		if rec["LastName"] == "Bulk" && rec["OwnerId"] != queue.ID {
			t.Errorf("ingest insert with assignmentRuleId: owner %s, want the queue", rec["OwnerId"])
		}
	}
	// A rule id that is not the org's Lead rule, or on another object, is refused.
	for _, job := range []map[string]any{
		{"object": "Lead", "operation": "update", "assignmentRuleId": "nonsense"},
		{"object": "Lead", "operation": "update", "assignmentRuleId": sfid.New("01Q", "5g", 7)},
		{"object": "Contact", "operation": "update", "assignmentRuleId": ruleID},
	} {
		if r := h.do("POST", v+"/jobs/ingest", h.admin, job); r.status != 400 || r.errorCode() != "INVALIDJOB" {
			t.Errorf("job %v: %d %s", job, r.status, r.body)
		}
	}
	// Before v49.0 the property does not exist and is ignored.
	h.setOwner(leadOpen, uStd)
	r := h.do("POST", "/services/data/v48.0/jobs/ingest", h.admin, map[string]any{"object": "Lead", "operation": "update", "assignmentRuleId": ruleID})
	var old jobInfo
	r.json(t, &old)
	if r.status != 200 {
		t.Fatalf("v48 job: %d %s", r.status, r.body)
	}
	h.do("PUT", "/services/data/v48.0/jobs/ingest/"+old.ID+"/batches", h.admin, "Id,Title\n"+leadOpen+",COO\n")
	h.do("PATCH", "/services/data/v48.0/jobs/ingest/"+old.ID, h.admin, map[string]any{"state": "UploadComplete"})
	if j := h.waitJob("ingest", old.ID, h.admin); j.State != "JobComplete" || h.owner(leadOpen) != uStd {
		t.Errorf("v48 job ran the rule: %+v, owner %s", j, h.owner(leadOpen))
	}
}
