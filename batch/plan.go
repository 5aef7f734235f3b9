package batch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/navsync/navsync/matcher"
)

// Action kinds (DESIGN.md "Actions"; actions.parquet column action).
const (
	KindWriteback         = "writeback"
	KindCreateContact     = "create_contact"
	KindCreateContactRole = "create_contact_role"
)

// Reasons a planned action is skipped without a call (actions.parquet
// column reason).
const (
	ReasonAlreadyLinked        = "already_linked"           // every configured field already holds the lead's value
	ReasonConflict             = "conflict"                 // a field with overwrite: never holds a different value
	ReasonConvertedReadOnly    = "converted_lead_read_only" // a converted Lead whose Contact is missing or linked to another lead
	ReasonObjectNotEnabled     = "object_not_enabled"       // writeback.objects does not list the record's object
	ReasonTargetTaken          = "target_taken"             // another lead of this run writes to the same record
	ReasonTargetNotInSnapshot  = "target_not_in_snapshot"   // the matched record is missing from the snapshot files
	ReasonNoValues             = "no_values"                // the lead has no value for any configured field
	ReasonSupersededByRerun    = "superseded"               // journal only: a killed run's unsent action, planned again by the next run
	ReasonReconciledNotApplied = "not_applied"              // journal only: reconciliation found the record without the values
)

// Action is one planned change to Salesforce. A skipped action (Skip) is
// reported, never sent.
type Action struct {
	Seq        int
	LeadID     string
	Kind       string
	Object     string // target sObject
	TargetID   string // record to change ("" for a create)
	MatchedID  string // the record the matcher chose (differs from TargetID for a converted Lead)
	OnBehalfOf string // user id whose token makes the call; "" for the integration user
	// Fields are the values to send, only those that differ from the
	// record's current values.
	Fields map[string]string
	// ParentID is the record's Account (Contacts), used to group writes
	// so that lock contention on one Account stays in one call.
	ParentID string
	Skip     bool
	Reason   string
	// Detail explains a skip without personal data, e.g. the fields in
	// conflict and which side holds a value.
	Detail string
}

// FieldNames returns the action's fields, sorted.
func (a *Action) FieldNames() []string {
	names := make([]string, 0, len(a.Fields))
	for f := range a.Fields {
		names = append(names, f)
	}
	slices.Sort(names)
	return names
}

// Target is a CRM record's current state as the snapshot shows it: what
// the plan needs to decide whether and what to write.
type Target struct {
	ID, Object string
	// Values holds the record's current value of each writeback field
	// (absent: empty).
	Values             map[string]string
	AccountID          string
	IsConverted        bool
	ConvertedContactID string
}

// PlanInput is everything Plan decides from.
type PlanInput struct {
	Leads   []matcher.Lead
	Results []matcher.LeadResult
	// Targets holds the current state of every record a match points to,
	// and of the Contacts that converted Leads point to, by id.
	Targets map[string]*Target
	Fields  []WritebackField
	// Objects are the objects writeback may change (default Contact, Lead).
	Objects []string
}

// PlanCounts summarises a plan.
type PlanCounts struct {
	Writes  int            // actions to send (one record each)
	ByKind  map[string]int // sendable actions by kind
	Skipped map[string]int // skipped actions by reason
}

// Plan turns match decisions into actions. It is pure: the same input gives
// the same plan, in lead order. Only `match` decisions lead to a writeback:
//   - a field is sent only when the lead has a value and the record's
//     value differs; a lead's empty value never blanks a field;
//   - a non-empty different value is left alone unless the field's policy
//     is "always": the whole writeback is then skipped with reason
//     conflict, so a record linked to another lead never gets a mix of two
//     identities;
//   - a record already holding every value is skipped (already_linked)
//     without a call;
//   - a converted Lead is read-only: the write goes to its
//     ConvertedContactId, or is skipped (converted_lead_read_only) when that
//     Contact is missing or linked to another lead;
//   - two leads never write to one record in a run (the second is
//     target_taken; the matcher's one-to-one rule makes this rare, a
//     redirect can cause it).
func Plan(in PlanInput) ([]Action, PlanCounts) {
	leads := make(map[string]*matcher.Lead, len(in.Leads))
	for i := range in.Leads {
		leads[in.Leads[i].LeadID] = &in.Leads[i]
	}
	objects := in.Objects
	if len(objects) == 0 {
		objects = []string{"Contact", "Lead"}
	}
	leadIDField := ""
	for _, f := range in.Fields {
		if f.From == "lead_id" {
			leadIDField = f.Field
			break
		}
	}
	counts := PlanCounts{ByKind: map[string]int{}, Skipped: map[string]int{}}
	var actions []Action
	taken := map[string]string{} // target id -> lead id
	// Records matched directly are claimed first, so a redirect from a
	// converted Lead never takes a record another lead matched directly.
	for i := range in.Results {
		r := &in.Results[i]
		if r.Decision == matcher.DecisionMatch && !r.Converted && r.CRMID != "" {
			if _, ok := taken[r.CRMID]; !ok {
				taken[r.CRMID] = r.LeadID
			}
		}
	}
	for i := range in.Results {
		r := &in.Results[i]
		if r.Decision != matcher.DecisionMatch || r.CRMID == "" {
			continue
		}
		a := Action{Seq: len(actions), LeadID: r.LeadID, Kind: KindWriteback, Object: r.CRMObject,
			TargetID: r.CRMID, MatchedID: r.CRMID}
		skip := func(reason, detail string) {
			a.Skip, a.Reason, a.Detail = true, reason, detail
		}
		lead := leads[r.LeadID]
		t := in.Targets[r.CRMID]
		switch {
		case lead == nil:
			// The matcher only decides leads it was given; a missing lead
			// is a programming error, reported rather than written.
			skip(ReasonNoValues, "lead not among the inputs")
		case t == nil:
			skip(ReasonTargetNotInSnapshot, "the matched record is not in the snapshot")
		case t.IsConverted || r.Converted:
			a.Object, a.TargetID = "Contact", t.ConvertedContactID
			if a.TargetID == "" {
				a.TargetID = r.ConvertedContactID
			}
			ct := in.Targets[a.TargetID]
			switch {
			case a.TargetID == "" || ct == nil:
				a.TargetID = ""
				skip(ReasonConvertedReadOnly, "converted Lead without a Contact in the snapshot")
			case leadIDField != "" && ct.Values[leadIDField] != "" && ct.Values[leadIDField] != r.LeadID:
				skip(ReasonConvertedReadOnly, "the converted Lead's Contact is linked to another lead")
			default:
				t = ct
			}
		}
		if !a.Skip && !slices.Contains(objects, a.Object) {
			skip(ReasonObjectNotEnabled, fmt.Sprintf("writeback.objects does not list %s", a.Object))
		}
		if !a.Skip {
			if other, ok := taken[a.TargetID]; ok && other != r.LeadID {
				skip(ReasonTargetTaken, "another lead of this run writes to the same record")
			} else {
				taken[a.TargetID] = r.LeadID
			}
		}
		if !a.Skip {
			a.ParentID = t.AccountID
			a.Fields, a.Reason, a.Detail = fieldChanges(lead, t, in.Fields)
			a.Skip = a.Reason != ""
		}
		if a.Skip {
			a.Fields = nil
			counts.Skipped[a.Reason]++
		} else {
			counts.Writes++
			counts.ByKind[a.Kind]++
		}
		actions = append(actions, a)
	}
	return actions, counts
}

// fieldChanges returns the fields to send, or a skip reason and detail.
func fieldChanges(l *matcher.Lead, t *Target, fields []WritebackField) (map[string]string, string, string) {
	set := map[string]string{}
	var conflicts []string
	haveValue := false
	for _, f := range fields {
		want := strings.TrimSpace(LeadColumn(l, f.From))
		if want == "" {
			continue
		}
		haveValue = true
		cur := strings.TrimSpace(t.Values[f.Field])
		switch {
		case cur == want:
		case cur == "" || f.Overwrite == OverwriteAlways:
			set[f.Field] = want
		default:
			conflicts = append(conflicts, f.Field)
		}
	}
	switch {
	case len(conflicts) > 0:
		// Both sides hold a value; the values themselves are personal
		// data and stay out of the detail.
		return nil, ReasonConflict, "the record holds a different non-empty value in " + strings.Join(conflicts, ", ") +
			" (overwrite: never); the lead's value is non-empty too"
	case !haveValue:
		return nil, ReasonNoValues, "the lead has no value for any writeback field"
	case len(set) == 0:
		return nil, ReasonAlreadyLinked, ""
	}
	return set, "", ""
}

// LeadColumn returns the value of a lead export column ("" for an unknown
// column; config validation rejects those).
func LeadColumn(l *matcher.Lead, col string) string {
	switch col {
	case "lead_id":
		return l.LeadID
	case "profile_url":
		return l.ProfileURL
	case "email":
		return l.Email
	case "phone":
		return l.Phone
	case "current_company":
		return l.CurrentCompany
	case "current_company_domain":
		return l.CurrentCompanyDomain
	case "current_title":
		return l.CurrentTitle
	case "city":
		return l.City
	case "state":
		return l.State
	case "country":
		return l.Country
	case "owner_email":
		return l.OwnerEmail
	case "lead_list":
		return l.LeadList
	}
	return ""
}
