package soql_test

import (
	"strings"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// testSchema is a small org: Contact → Account → User, Lead, Opportunity.
type testSchema map[string]*testObject

type testObject struct {
	name   string
	fields map[string]soql.Field
	rels   map[string]soql.Relationship
}

func newTestSchema() testSchema {
	s := testSchema{}
	add := func(name string, fields ...string) *testObject {
		o := &testObject{name: name, fields: map[string]soql.Field{}, rels: map[string]soql.Relationship{}}
		for i, spec := range fields {
			n, typ, _ := strings.Cut(spec, ":")
			o.fields[strings.ToLower(n)] = soql.Field{Name: n, Type: soql.TypeOf(typ), Index: i}
		}
		s[strings.ToLower(name)] = o
		return o
	}
	rel := func(o *testObject, name, ref, target string) {
		o.rels[strings.ToLower(name)] = soql.Relationship{Name: name, Ref: o.fields[strings.ToLower(ref)], Target: target}
	}
	user := add("User", "Id:id", "Name:string", "Email:email", "Username:string", "IsActive:boolean")
	_ = user
	acc := add("Account", "Id:id", "Name:string", "Website:url", "NumberOfEmployees:int",
		"AnnualRevenue:currency", "Industry:picklist", "OwnerId:reference", "CreatedDate:datetime")
	rel(acc, "Owner", "OwnerId", "User")
	con := add("Contact", "Id:id", "FirstName:string", "LastName:string", "Email:email", "Phone:phone",
		"AccountId:reference", "OwnerId:reference", "Title:string", "MailingCountry:string",
		"LeadSource:picklist", "CreatedDate:datetime", "Birthdate:date", "DoNotCall:boolean",
		"Score__c:double", "Description:textarea")
	rel(con, "Account", "AccountId", "Account")
	rel(con, "Owner", "OwnerId", "User")
	lead := add("Lead", "Id:id", "LastName:string", "Company:string", "IsConverted:boolean",
		"ConvertedContactId:reference", "Status:picklist")
	rel(lead, "ConvertedContact", "ConvertedContactId", "Contact")
	add("Opportunity", "Id:id", "Name:string", "CloseDate:date", "IsClosed:boolean", "Amount:currency", "StageName:picklist")
	add("Group", "Id:id", "Name:string")
	return s
}

func (s testSchema) Object(name string) (string, bool) {
	o, ok := s[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return o.name, true
}

func (s testSchema) Field(object, name string) (soql.Field, bool) {
	o, ok := s[strings.ToLower(object)]
	if !ok {
		return soql.Field{}, false
	}
	f, ok := o.fields[strings.ToLower(name)]
	return f, ok
}

func (s testSchema) Relationship(object, name string) (soql.Relationship, bool) {
	o, ok := s[strings.ToLower(object)]
	if !ok {
		return soql.Relationship{}, false
	}
	r, ok := o.rels[strings.ToLower(name)]
	return r, ok
}

// rec is a record as a map of canonical field names, with parents by
// relationship name; a missing key is null.
type rec struct {
	vals    map[string]string
	parents map[string]*rec
}

func (r *rec) Value(f *soql.FieldRef) (string, bool) {
	cur := r
	for _, h := range f.Hops {
		cur = cur.parents[h.Name]
		if cur == nil {
			return "", true
		}
	}
	v, ok := cur.vals[f.Field.Name]
	return v, !ok
}
