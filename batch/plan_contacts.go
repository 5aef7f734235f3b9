package batch

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldName folds case and accents and collapses spaces, for the
// same-first-and-last-name test of possible duplicates ("José" = "jose").
func foldName(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.Join(strings.Fields(cases.Fold().String(out)), " ")
}

// Reasons a contact creation is not done (actions.parquet column reason).
// The first group is decided by the plan, the second by apply.
const (
	ReasonNoAccountMatch   = "no_account_match"       // the lead's company matches no Account with high confidence
	ReasonMissingRequired  = "missing_required_field" // the lead lacks a value Contact creation requires (detail names it)
	ReasonOwnerNotInCRM    = "owner_not_in_crm"       // no User has the lead's owner_email
	ReasonOwnerInactive    = "owner_inactive"         // that User is inactive
	ReasonPossibleDup      = "possible_duplicate"     // a Contact with the same first and last name is on the Account (target_id names it)
	ReasonNoOpportunity    = "no_open_opportunity"    // contact role: the account has no open opportunity
	ReasonSeveralOpps      = "several_open_opportunities"
	ReasonContactNotDone   = "contact_not_created" // contact role: its contact was not created
	ReasonQuotaExceeded    = "quota_exceeded"      // the owner's monthly quota is used up: a later run creates it
	ReasonBudgetExhausted  = "api_budget_exhausted"
	ReasonOwnerAuthRevoked = "owner_auth_revoked"
	ReasonOwnerNoToken     = "owner_not_authorized" // no stored consent for the owner (navsync auth login)
	ReasonDifferentOrg     = "different_instance"   // the owner's token belongs to another org
	ReasonOwnerNoAPI       = "owner_api_disabled"   // the owner's profile has no API access
)

// OwnerNotInCRMMessage is the seed's message for a lead whose owner has no
// User.
const OwnerNotInCRMMessage = "Unable to sync because a user with the same email address could not be found in the CRM"

// ContactPlanInput is what PlanContacts decides from.
type ContactPlanInput struct {
	Leads         []matcher.Lead
	Results       []matcher.LeadResult
	People        []matcher.Person // the snapshot's Contacts (and Leads, ignored)
	Users         []input.User
	Opportunities []input.Opportunity // open ones
	Contacts      ContactsConfig
	// Writeback fields are set on created Contacts too, so a later run
	// finds them linked.
	Writeback []WritebackField
	// FirstSeq numbers the actions after the writebacks.
	FirstSeq int
}

// PlanContacts plans a Contact for every lead decided none whose current
// company matches an Account with high confidence, on behalf of the lead's
// owner, and an OpportunityContactRole when the config asks for one. It is
// pure. A lead decided possible is never created (it may be in the CRM).
// Required: FirstName, LastName, AccountId, MailingCountry, Title,
// LeadSource; Email and Phone when known; the writeback fields. A Contact
// already on the Account with the same first and last name (case and
// accents folded) makes it possible_duplicate instead.
func PlanContacts(in ContactPlanInput) []Action {
	if !in.Contacts.Enabled {
		return nil
	}
	leads := make(map[string]*matcher.Lead, len(in.Leads))
	for i := range in.Leads {
		leads[in.Leads[i].LeadID] = &in.Leads[i]
	}
	users := make(map[string]*input.User, len(in.Users))
	for i := range in.Users {
		u := &in.Users[i]
		k := strings.ToLower(strings.TrimSpace(u.Email))
		// Two users with one email: prefer the active one, then the
		// lowest id, so the plan does not depend on file order.
		if prev, ok := users[k]; !ok || (!prev.IsActive && u.IsActive) || (prev.IsActive == u.IsActive && u.ID < prev.ID) {
			users[k] = u
		}
	}
	names := map[string]string{} // account|first|last -> contact id
	nameKey := func(account, first, last string) string {
		return account + "|" + foldName(first) + "|" + foldName(last)
	}
	for i := range in.People {
		p := &in.People[i]
		if p.Object != "Contact" || p.AccountID == "" {
			continue
		}
		k := nameKey(p.AccountID, p.FirstName, p.LastName)
		if prev, ok := names[k]; !ok || p.ID < prev {
			names[k] = p.ID
		}
	}
	opps := openOpportunities(in.Opportunities)

	var out []Action
	seq := in.FirstSeq
	for i := range in.Results {
		r := &in.Results[i]
		if r.Decision != matcher.DecisionNone {
			continue
		}
		l := leads[r.LeadID]
		if l == nil {
			continue
		}
		a := Action{Seq: seq, LeadID: r.LeadID, Kind: KindCreateContact, Object: "Contact", ParentID: r.AccountID}
		seq++
		skip := func(reason, detail string) { a.Skip, a.Reason, a.Detail = true, reason, detail }
		owner := users[strings.ToLower(strings.TrimSpace(l.OwnerEmail))]
		switch {
		case r.AccountID == "":
			skip(ReasonNoAccountMatch, "the lead's current company matches no Account with high confidence; Accounts are never created")
		case missingRequired(l) != "":
			skip(ReasonMissingRequired, "the lead has no "+missingRequired(l))
		case owner == nil:
			skip(ReasonOwnerNotInCRM, OwnerNotInCRMMessage)
		case !owner.IsActive:
			a.OnBehalfOf = owner.ID
			skip(ReasonOwnerInactive, "the owner's User is inactive")
		}
		if !a.Skip {
			a.OnBehalfOf = owner.ID
			if dup, ok := names[nameKey(r.AccountID, l.FirstName, l.LastName)]; ok {
				a.TargetID = dup
				skip(ReasonPossibleDup, "a Contact with the same first and last name is already on the Account")
			}
		}
		if !a.Skip {
			a.Fields = contactFields(l, r.AccountID, in.Contacts.LeadSource, in.Writeback)
		}
		out = append(out, a)
		if in.Contacts.OpportunityRole.Policy == RolePolicyNone || in.Contacts.OpportunityRole.Policy == "" || a.Skip {
			continue
		}
		role := Action{Seq: seq, LeadID: r.LeadID, Kind: KindCreateContactRole, Object: "OpportunityContactRole",
			OnBehalfOf: a.OnBehalfOf, ParentID: r.AccountID}
		seq++
		chooseOpportunity(&role, opps[r.AccountID], in.Contacts.OpportunityRole)
		out = append(out, role)
	}
	return out
}

// openOpportunities are the open Opportunities by Account.
func openOpportunities(all []input.Opportunity) map[string][]input.Opportunity {
	opps := map[string][]input.Opportunity{}
	for _, o := range all {
		if !o.IsClosed && o.AccountID != "" {
			opps[o.AccountID] = append(opps[o.AccountID], o)
		}
	}
	return opps
}

// chooseOpportunity gives role the Opportunity of the Account's open ones
// (os) that the policy picks, or skips it with the policy's reason.
func chooseOpportunity(role *Action, os []input.Opportunity, rc OpportunityRoleConfig) {
	switch {
	case len(os) == 0:
		role.Skip, role.Reason, role.Detail = true, ReasonNoOpportunity, "the Account has no open Opportunity"
	case len(os) > 1 && rc.Policy == RolePolicySingleOpen:
		role.Skip, role.Reason, role.Detail = true, ReasonSeveralOpps, "the Account has several open Opportunities (policy single_open_opportunity)"
	default:
		// most_recent_open_opportunity: the latest close date, then
		// the highest id, so the choice is deterministic.
		best := slices.MaxFunc(os, func(x, y input.Opportunity) int {
			return cmp.Or(strings.Compare(x.CloseDate, y.CloseDate), strings.Compare(x.ID, y.ID))
		})
		role.Fields = map[string]string{"OpportunityId": best.ID, "Role": rc.Role}
	}
}

// missingRequired names the first required Contact value the lead lacks.
func missingRequired(l *matcher.Lead) string {
	switch {
	case strings.TrimSpace(l.FirstName) == "":
		return "first_name (Contact.FirstName)"
	case strings.TrimSpace(l.LastName) == "":
		return "last_name (Contact.LastName)"
	case strings.TrimSpace(l.CurrentTitle) == "":
		return "current_title (Contact.Title)"
	case strings.TrimSpace(l.Country) == "":
		return "country (Contact.MailingCountry)"
	}
	return ""
}

func contactFields(l *matcher.Lead, accountID, leadSource string, wb []WritebackField) map[string]string {
	f := map[string]string{
		"FirstName":      strings.TrimSpace(l.FirstName),
		"LastName":       strings.TrimSpace(l.LastName),
		"AccountId":      accountID,
		"MailingCountry": strings.TrimSpace(l.Country),
		"Title":          strings.TrimSpace(l.CurrentTitle),
		"LeadSource":     leadSource,
	}
	if v := strings.TrimSpace(l.Email); v != "" {
		f["Email"] = v
	}
	if v := strings.TrimSpace(l.Phone); v != "" {
		f["Phone"] = v
	}
	for _, w := range wb {
		if v := strings.TrimSpace(LeadColumn(l, w.From)); v != "" {
			f[w.Field] = v
		}
	}
	return f
}

// planRoleRetries plans again the contact role of each Contact navsync
// created whose role it lost (state.LostContactRoles: refused, sent
// without being applied, or never sent), for the Contact as the snapshot
// holds it: on its Account's open Opportunity the policy picks, on behalf
// of the owner the Contact was created for. inOrg holds the roles the org
// has ("contact/opportunity" -> role id): a role there already is skipped
// as already_linked, and one the policy finds no Opportunity for is
// skipped with the policy's reason, either of which settles it (the next
// runs do not plan it again). A Contact not in the snapshot (deleted, or
// not visible) is left for a later run. It is pure.
func planRoleRetries(lost []state.LostRole, people []matcher.Person, users []input.User, opportunities []input.Opportunity,
	rc OpportunityRoleConfig, inOrg map[string]string, firstSeq int) []Action {
	if rc.Policy == RolePolicyNone || rc.Policy == "" || len(lost) == 0 {
		return nil
	}
	contacts := map[string]*matcher.Person{}
	for i := range people {
		if p := &people[i]; p.Object == "Contact" {
			contacts[p.ID] = p
		}
	}
	active := map[string]bool{}
	for _, u := range users {
		active[u.ID] = u.IsActive
	}
	opps := openOpportunities(opportunities)
	var out []Action
	seq := firstSeq
	for _, l := range lost {
		p := contacts[id18(l.ContactID)]
		if p == nil {
			continue
		}
		role := Action{Seq: seq, LeadID: l.LeadID, Kind: KindCreateContactRole, Object: "OpportunityContactRole",
			OnBehalfOf: l.OwnerID, ParentID: p.AccountID}
		seq++
		chooseOpportunity(&role, opps[p.AccountID], rc)
		switch {
		case role.Skip:
		case inOrg[p.ID+"/"+role.Fields["OpportunityId"]] != "":
			role.TargetID = inOrg[p.ID+"/"+role.Fields["OpportunityId"]]
			role.Skip, role.Reason, role.Detail = true, ReasonAlreadyLinked, "the Contact has this role's Opportunity already"
			role.Fields = nil
		case !active[l.OwnerID]:
			role.Skip, role.Reason, role.Detail = true, ReasonOwnerInactive, "the owner the Contact was created for is inactive"
			role.Fields = nil
		default:
			role.Fields["ContactId"] = p.ID
			role.Detail = "the role of a Contact created by run " + l.RunID + ", which did not get it"
		}
		out = append(out, role)
	}
	return out
}

// isRoleRetry: a contact role for a Contact created by an earlier run
// (planRoleRetries), which names its Contact from the start.
func isRoleRetry(a *Action) bool {
	return a.Kind == KindCreateContactRole && a.Fields["ContactId"] != ""
}

// id18 is a Salesforce id in its 18-character form (as the snapshot holds
// ids), or id as it is when it is not one.
func id18(id string) string {
	if s, err := sfid.To18(id); err == nil {
		return s
	}
	return id
}
