package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/navsync/navsync/sfbulk"
)

// ErrContactSchema is wrapped by the errors of a contact configuration the
// org cannot take (a LeadSource or Role value it does not have, a required
// field nobody fills): the run stops before any write (exit 5).
var ErrContactSchema = errors.New("contact creation does not fit the org")

// contactSchema is what the org's describe says about creating Contacts.
type contactSchema struct {
	// UseUpsert: the lead id field is an External ID field, so creates
	// are upserts on it and a resend can never make a second Contact.
	UseUpsert bool
}

// describer is the describe call of a client.
type describer interface {
	Describe(ctx context.Context, object string) (*sfbulk.SObjectDescribe, error)
}

// checkContactSchema reads Contact's (and, with a role policy,
// OpportunityContactRole's) describe and refuses, all problems together:
// a lead_source that is not an active value of Contact.LeadSource (listing
// the valid ones), a role that is not a value of OpportunityContactRole.Role,
// and fields the org requires on create that navsync does not fill.
func checkContactSchema(ctx context.Context, d describer, cfg *Config) (contactSchema, error) {
	var cs contactSchema
	c := cfg.Contacts
	desc, err := d.Describe(ctx, "Contact")
	if err != nil {
		return cs, fmt.Errorf("describe Contact: %w", err)
	}
	var problems []string
	field := func(name string) *sfbulk.FieldDescribe {
		for i := range desc.Fields {
			if strings.EqualFold(desc.Fields[i].Name, name) {
				return &desc.Fields[i]
			}
		}
		return nil
	}
	if f := field("LeadSource"); f == nil || !f.Createable {
		problems = append(problems, "Contact.LeadSource is not visible or not createable for the integration user (grant field access)")
	} else if !activeValue(f, c.LeadSource) {
		problems = append(problems, fmt.Sprintf("contacts.lead_source %q is not an active value of Contact.LeadSource; valid values: %s",
			c.LeadSource, strings.Join(activeValues(f), ", ")))
	}
	filled := []string{"FirstName", "LastName", "AccountId", "MailingCountry", "Title", "LeadSource", "Email", "Phone", "OwnerId"}
	for _, w := range cfg.Writeback.Fields {
		filled = append(filled, w.Field)
	}
	for i := range desc.Fields {
		f := &desc.Fields[i]
		if f.RequiredOnCreate() && !slices.ContainsFunc(filled, func(s string) bool { return strings.EqualFold(s, f.Name) }) {
			problems = append(problems, fmt.Sprintf("Contact.%s is required on create and navsync does not fill it "+
				"(map it as a writeback field, give it a default value, or make it optional)", f.Name))
		}
	}
	ext := cfg.ContactExternalIDField()
	if f := field(ext); f == nil {
		problems = append(problems, fmt.Sprintf("Contact.%s (the lead id field) is not in the org's describe: deploy it or grant field access", ext))
	} else {
		cs.UseUpsert = f.ExternalID
	}
	if p := c.OpportunityRole.Policy; p != "" && p != RolePolicyNone {
		od, err := d.Describe(ctx, "OpportunityContactRole")
		if err != nil {
			return cs, fmt.Errorf("describe OpportunityContactRole: %w", err)
		}
		var role *sfbulk.FieldDescribe
		for i := range od.Fields {
			if strings.EqualFold(od.Fields[i].Name, "Role") {
				role = &od.Fields[i]
			}
		}
		if role == nil {
			problems = append(problems, "OpportunityContactRole.Role is not visible to the integration user")
		} else if !activeValue(role, c.OpportunityRole.Role) {
			problems = append(problems, fmt.Sprintf("contacts.opportunity_role.role %q is not a value of OpportunityContactRole.Role; valid values: %s",
				c.OpportunityRole.Role, strings.Join(activeValues(role), ", ")))
		}
	}
	if len(problems) > 0 {
		return cs, fmt.Errorf("%w:\n  %s", ErrContactSchema, strings.Join(problems, "\n  "))
	}
	return cs, nil
}

func activeValue(f *sfbulk.FieldDescribe, v string) bool {
	for _, p := range f.PicklistValues {
		if p.Active && p.Value == v {
			return true
		}
	}
	return false
}

func activeValues(f *sfbulk.FieldDescribe) []string {
	var out []string
	for _, p := range f.PicklistValues {
		if p.Active {
			out = append(out, fmt.Sprintf("%q", p.Value))
		}
	}
	return out
}
