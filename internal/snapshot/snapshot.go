// Package snapshot is the one definition of the org snapshot contract
// (DESIGN.md "The org snapshot"): the Salesforce objects navsync pulls, the
// fields of each, the file each lands in (one Bulk 2.0 result CSV per
// object, API field names as headers), which files and columns a reader
// cannot do without, and the default writeback fields.
//
// batch.Extract queries these fields, batch/input.ReadSnapshot reads them,
// and fixtures writes worlds whose CRM files hold them. It is a leaf
// package (standard library only), so the job, the reader, the synthetic
// worlds and the simulator can all import it without cycles; building SOQL
// from an Object (which needs sfbulk) is the caller's business.
package snapshot

import "strings"

// Default writeback fields on Lead and Contact (DESIGN.md "Actions"): the
// Sales Navigator lead id and the LinkedIn profile URL. They are queried
// with the snapshot, so a record already linked is recognised.
const (
	DefaultLeadIDField     = "Sales_Navigator_Lead_Id__c"
	DefaultProfileURLField = "LinkedIn_Profile_URL__c"
)

// DefaultWritebackFields returns DefaultLeadIDField and
// DefaultProfileURLField, in that order (a new slice each call).
func DefaultWritebackFields() []string {
	return []string{DefaultLeadIDField, DefaultProfileURLField}
}

// The snapshot's objects (Salesforce API names).
const (
	Contact     = "Contact"
	Lead        = "Lead"
	Account     = "Account"
	Opportunity = "Opportunity"
	User        = "User"
)

// The snapshot's files, one per object: File(object).
const (
	FileContact     = Contact + ".csv"
	FileLead        = Lead + ".csv"
	FileAccount     = Account + ".csv"
	FileOpportunity = Opportunity + ".csv"
	FileUser        = User + ".csv"
)

// File is the snapshot file of an object, e.g. "Contact.csv".
func File(object string) string { return object + ".csv" }

// Filter is an equality condition of an object's query: Field = Value
// (a bool, a number or a string).
type Filter struct {
	Field string
	Value any
}

// Object is one object of the org snapshot.
type Object struct {
	Name string
	// Fields are queried, in this order: the columns of the object's file
	// as Extract writes it. Lead and Contact end with the writeback fields.
	Fields []string
	// Where are ANDed equality filters of the query; nil: every row.
	Where []Filter
	// Required are the columns a reader cannot do without (a subset of
	// Fields); a snapshot from elsewhere, e.g. a Data Loader export, may
	// leave out the others.
	Required []string
	// Optional: the file may be absent (User and Opportunity); Contact,
	// Lead and Account are needed.
	Optional bool
}

// File is the object's snapshot file name, e.g. "Contact.csv".
func (o Object) File() string { return File(o.Name) }

// Objects returns the objects of the org snapshot, largest first (Contact,
// Lead, Account, Opportunity, User), with the writeback fields added to
// Lead and Contact (nil: DefaultWritebackFields; a field the object already
// has, in any letter case, is not added twice). Every call returns new
// slices.
func Objects(writeback []string) []Object {
	if writeback == nil {
		writeback = DefaultWritebackFields()
	}
	with := func(fields ...string) []string {
		out := append([]string(nil), fields...)
		for _, f := range writeback {
			dup := false
			for _, have := range out {
				dup = dup || strings.EqualFold(have, f)
			}
			if !dup {
				out = append(out, f)
			}
		}
		return out
	}
	return []Object{
		{
			Name: Contact,
			Fields: with("Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "AccountId", "Account.Name",
				"Title", "MailingCity", "MailingState", "MailingCountry", "OwnerId"),
			Required: []string{"Id", "FirstName", "LastName", "Email", "AccountId"},
		},
		{
			Name: Lead,
			Fields: with("Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Company", "Title", "Website",
				"Street", "City", "State", "PostalCode", "Country", "IsConverted", "ConvertedContactId", "ConvertedAccountId", "OwnerId"),
			Required: []string{"Id", "FirstName", "LastName", "Email", "Company"},
		},
		{
			Name: Account,
			Fields: []string{"Id", "Name", "Website", "Phone", "BillingStreet", "BillingCity", "BillingState",
				"BillingPostalCode", "BillingCountry", "NumberOfEmployees", "Industry"},
			Required: []string{"Id", "Name"},
		},
		{
			Name:     Opportunity,
			Fields:   []string{"Id", "Name", "AccountId", "StageName", "CloseDate", "IsClosed"},
			Where:    []Filter{{Field: "IsClosed", Value: false}},
			Required: []string{"Id", "AccountId"},
			Optional: true,
		},
		{
			Name:     User,
			Fields:   []string{"Id", "Email", "Username", "IsActive"},
			Required: []string{"Id", "Email"},
			Optional: true,
		},
	}
}

// ObjectNamed returns the object of Objects(writeback) called name (exact
// API name), and false when the snapshot has no such object.
func ObjectNamed(name string, writeback []string) (Object, bool) {
	for _, o := range Objects(writeback) {
		if o.Name == name {
			return o, true
		}
	}
	return Object{}, false
}
