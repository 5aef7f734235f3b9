package batch

import (
	"reflect"
	"strings"
	"testing"

	"github.com/navsync/navsync/matcher"
)

func TestPlan(t *testing.T) {
	fields := []WritebackField{
		{Field: "Sales_Navigator_Lead_Id__c", From: "lead_id", Overwrite: OverwriteNever},
		{Field: "LinkedIn_Profile_URL__c", From: "profile_url", Overwrite: OverwriteAlways},
	}
	const idF, urlF = "Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"
	lead := func(id, url string) matcher.Lead {
		return matcher.Lead{LeadID: id, ProfileURL: url, FirstName: "A", LastName: "B"}
	}
	match := func(lead, obj, id string) matcher.LeadResult {
		return matcher.LeadResult{LeadID: lead, Decision: matcher.DecisionMatch, CRMObject: obj, CRMID: id}
	}
	contact := func(id string, vals map[string]string) *Target {
		return &Target{ID: id, Object: "Contact", Values: vals, AccountID: "001A"}
	}
	type want struct {
		object, target, reason string
		fields                 map[string]string
	}
	tests := []struct {
		name    string
		leads   []matcher.Lead
		results []matcher.LeadResult
		targets map[string]*Target
		objects []string
		want    []want
	}{
		{
			name:    "empty record gets both fields",
			leads:   []matcher.Lead{lead("L1", "https://x/1")},
			results: []matcher.LeadResult{match("L1", "Contact", "003A")},
			targets: map[string]*Target{"003A": contact("003A", nil)},
			want:    []want{{"Contact", "003A", "", map[string]string{idF: "L1", urlF: "https://x/1"}}},
		},
		{
			name:    "only differing fields are sent",
			leads:   []matcher.Lead{lead("L1", "https://x/new")},
			results: []matcher.LeadResult{match("L1", "Contact", "003A")},
			targets: map[string]*Target{"003A": contact("003A", map[string]string{idF: "L1", urlF: "https://x/old"})},
			want:    []want{{"Contact", "003A", "", map[string]string{urlF: "https://x/new"}}},
		},
		{
			name:    "already linked record is skipped without a call",
			leads:   []matcher.Lead{lead("L1", "https://x/1")},
			results: []matcher.LeadResult{match("L1", "Contact", "003A")},
			targets: map[string]*Target{"003A": contact("003A", map[string]string{idF: "L1", urlF: "https://x/1"})},
			want:    []want{{"Contact", "003A", ReasonAlreadyLinked, nil}},
		},
		{
			name:    "a record linked to another lead is a conflict (overwrite never)",
			leads:   []matcher.Lead{lead("L1", "https://x/1")},
			results: []matcher.LeadResult{match("L1", "Contact", "003A")},
			targets: map[string]*Target{"003A": contact("003A", map[string]string{idF: "L9"})},
			want:    []want{{"Contact", "003A", ReasonConflict, nil}},
		},
		{
			name:    "an empty lead value never blanks a field",
			leads:   []matcher.Lead{lead("L1", "")},
			results: []matcher.LeadResult{match("L1", "Contact", "003A")},
			targets: map[string]*Target{"003A": contact("003A", map[string]string{urlF: "https://x/keep"})},
			want:    []want{{"Contact", "003A", "", map[string]string{idF: "L1"}}},
		},
		{
			name:  "possible and none decisions plan nothing",
			leads: []matcher.Lead{lead("L1", "u"), lead("L2", "u")},
			results: []matcher.LeadResult{
				{LeadID: "L1", Decision: matcher.DecisionPossible, CRMObject: "Contact", CRMID: "003A"},
				{LeadID: "L2", Decision: matcher.DecisionNone},
			},
			targets: map[string]*Target{"003A": contact("003A", nil)},
			want:    nil,
		},
		{
			name:    "a converted Lead is redirected to its Contact",
			leads:   []matcher.Lead{lead("L1", "u1")},
			results: []matcher.LeadResult{{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Lead", CRMID: "00QA", Converted: true, ConvertedContactID: "003C"}},
			targets: map[string]*Target{
				"00QA": {ID: "00QA", Object: "Lead", IsConverted: true, ConvertedContactID: "003C"},
				"003C": contact("003C", nil),
			},
			want: []want{{"Contact", "003C", "", map[string]string{idF: "L1", urlF: "u1"}}},
		},
		{
			name:    "a converted Lead whose Contact is linked to another lead is skipped",
			leads:   []matcher.Lead{lead("L1", "u1")},
			results: []matcher.LeadResult{{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Lead", CRMID: "00QA", Converted: true, ConvertedContactID: "003C"}},
			targets: map[string]*Target{
				"00QA": {ID: "00QA", Object: "Lead", IsConverted: true, ConvertedContactID: "003C"},
				"003C": contact("003C", map[string]string{idF: "L7"}),
			},
			want: []want{{"Contact", "003C", ReasonConvertedReadOnly, nil}},
		},
		{
			name:    "a converted Lead without its Contact in the snapshot is skipped",
			leads:   []matcher.Lead{lead("L1", "u1")},
			results: []matcher.LeadResult{{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Lead", CRMID: "00QA", Converted: true}},
			targets: map[string]*Target{"00QA": {ID: "00QA", Object: "Lead", IsConverted: true}},
			want:    []want{{"Contact", "", ReasonConvertedReadOnly, nil}},
		},
		{
			name:  "a redirect never takes a record another lead matched directly",
			leads: []matcher.Lead{lead("L1", "u1"), lead("L2", "u2")},
			results: []matcher.LeadResult{
				{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Lead", CRMID: "00QA", Converted: true, ConvertedContactID: "003C"},
				match("L2", "Contact", "003C"),
			},
			targets: map[string]*Target{
				"00QA": {ID: "00QA", Object: "Lead", IsConverted: true, ConvertedContactID: "003C"},
				"003C": contact("003C", nil),
			},
			want: []want{
				{"Contact", "003C", ReasonTargetTaken, nil},
				{"Contact", "003C", "", map[string]string{idF: "L2", urlF: "u2"}},
			},
		},
		{
			name:    "objects not enabled are skipped",
			leads:   []matcher.Lead{lead("L1", "u1")},
			results: []matcher.LeadResult{match("L1", "Lead", "00QB")},
			targets: map[string]*Target{"00QB": {ID: "00QB", Object: "Lead"}},
			objects: []string{"Contact"},
			want:    []want{{"Lead", "00QB", ReasonObjectNotEnabled, nil}},
		},
		{
			name:    "a target missing from the snapshot is skipped",
			leads:   []matcher.Lead{lead("L1", "u1")},
			results: []matcher.LeadResult{match("L1", "Contact", "003Z")},
			targets: map[string]*Target{},
			want:    []want{{"Contact", "003Z", ReasonTargetNotInSnapshot, nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actions, counts := Plan(PlanInput{Leads: tt.leads, Results: tt.results, Targets: tt.targets, Fields: fields, Objects: tt.objects})
			if len(actions) != len(tt.want) {
				t.Fatalf("got %d actions, want %d: %+v", len(actions), len(tt.want), actions)
			}
			writes := 0
			for i, a := range actions {
				w := tt.want[i]
				if a.Seq != i || a.Kind != KindWriteback || a.Object != w.object || a.TargetID != w.target || a.Reason != w.reason || a.Skip != (w.reason != "") {
					t.Errorf("action %d = %+v, want %+v", i, a, w)
				}
				if !reflect.DeepEqual(a.Fields, w.fields) && !(len(a.Fields) == 0 && len(w.fields) == 0) {
					t.Errorf("action %d fields = %v, want %v", i, a.Fields, w.fields)
				}
				if !a.Skip {
					writes++
				}
			}
			if counts.Writes != writes {
				t.Errorf("counts.Writes = %d, want %d", counts.Writes, writes)
			}
		})
	}
}

func TestPlanConflictDetailHasNoValues(t *testing.T) {
	fields := []WritebackField{{Field: "Sales_Navigator_Lead_Id__c", From: "lead_id", Overwrite: OverwriteNever}}
	actions, _ := Plan(PlanInput{
		Leads:   []matcher.Lead{{LeadID: "secret-lead"}},
		Results: []matcher.LeadResult{{LeadID: "secret-lead", Decision: matcher.DecisionMatch, CRMObject: "Contact", CRMID: "003A"}},
		Targets: map[string]*Target{"003A": {ID: "003A", Object: "Contact", Values: map[string]string{"Sales_Navigator_Lead_Id__c": "other-secret"}}},
		Fields:  fields,
	})
	d := actions[0].Detail
	if d == "" || strings.Contains(d, "secret") {
		t.Fatalf("detail %q: want the field named and no values", d)
	}
}
