package soql_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

const (
	fieldHint        = " If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	objectHint       = " If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
	relationshipHint = " If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
)

func TestResolveCanonicalises(t *testing.T) {
	q, err := soql.Parse("select ID, account.NAME, ACCOUNT.owner.email from CONTACT where lastname = 'x' order by account.name desc")
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Resolve(newTestSchema()); err != nil {
		t.Fatal(err)
	}
	if q.Object != "Contact" {
		t.Errorf("Object = %q, want Contact", q.Object)
	}
	var paths [][]string
	for _, f := range q.Fields {
		paths = append(paths, append([]string{f.Path}, f.Parts...))
	}
	want := [][]string{{"Id", "Id"}, {"Account.Name", "Account", "Name"}, {"Account.Owner.Email", "Account", "Owner", "Email"}}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	owner := q.Fields[2]
	if len(owner.Hops) != 2 || owner.Hops[0].Ref.Name != "AccountId" || owner.Hops[0].Target != "Account" ||
		owner.Hops[1].Ref.Name != "OwnerId" || owner.Hops[1].Target != "User" || owner.Object != "User" ||
		owner.Field.Name != "Email" || owner.Field.Type != soql.TypeString ||
		owner.Hops[0].Path != "Account" || owner.Hops[1].Path != "Account.Owner" || owner.Hops[1].Name != "Owner" {
		t.Errorf("Account.Owner.Email resolved to %+v", owner)
	}
	if c := q.Where.(*soql.Comparison); c.Field.Path != "LastName" {
		t.Errorf("WHERE field = %q, want LastName", c.Field.Path)
	}
	if q.OrderBy[0].Field.Path != "Account.Name" || q.OrderBy[0].Field.Hops[0].Ref.Name != "AccountId" {
		t.Errorf("ORDER BY field = %+v", q.OrderBy[0].Field)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name, soql  string
		code        string
		detail      string
		row, column int
	}{
		{"unknown object", "SELECT Id FROM Foo", soql.CodeInvalidType, "sObject type 'Foo' is not supported." + objectHint, 1, 16},
		{"unknown field", "SELECT Id, Foo FROM Contact", soql.CodeInvalidField, "No such column 'Foo' on entity 'Contact'." + fieldHint, 1, 12},
		{"unknown field in WHERE", "SELECT Id FROM Contact WHERE Nope__c = 'x'", soql.CodeInvalidField, "No such column 'Nope__c' on entity 'Contact'." + fieldHint, 1, 30},
		{"unknown field in ORDER BY", "SELECT Id FROM Contact ORDER BY Nope", soql.CodeInvalidField, "No such column 'Nope' on entity 'Contact'." + fieldHint, 1, 33},
		{"unknown field on parent", "SELECT Account.Nme FROM Contact", soql.CodeInvalidField, "No such column 'Nme' on entity 'Account'." + fieldHint, 1, 8},
		{"unknown relationship", "SELECT Acount.Name FROM Contact", soql.CodeInvalidField, "Didn't understand relationship 'Acount' in field path." + relationshipHint, 1, 8},
		{"relationship used as a field", "SELECT Account FROM Contact", soql.CodeInvalidField, "No such column 'Account' on entity 'Contact'." + fieldHint, 1, 8},
		{"duplicate field", "SELECT Id, LastName, lastname FROM Contact", soql.CodeInvalidField, "duplicate field selected: LastName", 0, 0},
		{"number for a text field", "SELECT Id FROM Contact WHERE LastName = 5", soql.CodeInvalidField, "value of filter criterion for field 'LastName' must be of type string and should be enclosed in quotes", 1, 41},
		{"date for a text field", "SELECT Id FROM Contact WHERE LastName = TODAY", soql.CodeInvalidField, "value of filter criterion for field 'LastName' must be of type string and should be enclosed in quotes", 1, 41},
		{"quoted boolean", "SELECT Id FROM Contact WHERE DoNotCall = 'true'", soql.CodeInvalidField, "value of filter criterion for field 'DoNotCall' must be of type boolean and should not be enclosed in quotes", 1, 42},
		{"quoted number", "SELECT Id FROM Account WHERE NumberOfEmployees > '5'", soql.CodeInvalidField, "value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes", 1, 50},
		{"quoted currency", "SELECT Id FROM Account WHERE AnnualRevenue > '5'", soql.CodeInvalidField, "value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes", 1, 46},
		{"quoted date", "SELECT Id FROM Contact WHERE Birthdate = '2024-03-01'", soql.CodeInvalidField, "value of filter criterion for field 'Birthdate' must be of type date and should not be enclosed in quotes", 1, 42},
		{"datetime for a date field", "SELECT Id FROM Contact WHERE Birthdate = 2024-03-01T00:00:00Z", soql.CodeInvalidField, "value of filter criterion for field 'Birthdate' must be of type date and should not be enclosed in quotes", 1, 42},
		{"date for a datetime field", "SELECT Id FROM Contact WHERE CreatedDate > 2024-03-01", soql.CodeInvalidField, "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes", 1, 44},
		{"type error in IN list", "SELECT Id FROM Contact WHERE LastName IN ('a', 2)", soql.CodeInvalidField, "value of filter criterion for field 'LastName' must be of type string and should be enclosed in quotes", 1, 48},
		{"type error on parent field", "SELECT Id FROM Contact WHERE Account.NumberOfEmployees = 'x'", soql.CodeInvalidField, "value of filter criterion for field 'Account.NumberOfEmployees' must be of type integer and should not be enclosed in quotes", 1, 58},
		{"malformed id", "SELECT Id FROM Contact WHERE Id = 'abc'", soql.CodeInvalidFilterOp, "invalid ID field: abc", 1, 35},
		{"id with bad checksum", "SELECT Id FROM Contact WHERE AccountId IN ('001000000000001AAB')", soql.CodeInvalidFilterOp, "invalid ID field: 001000000000001AAB", 1, 44},
		{"number for an id", "SELECT Id FROM Contact WHERE Id = 1", soql.CodeInvalidField, "value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes", 1, 35},
		{"LIKE on an id", "SELECT Id FROM Contact WHERE Id LIKE '003%'", soql.CodeInvalidFilterOp, "invalid operator on id field", 1, 30},
		{"LIKE on a number", "SELECT Id FROM Contact WHERE Score__c LIKE '1%'", soql.CodeInvalidFilterOp, "invalid operator on double field", 1, 30},
		{"ordering a boolean", "SELECT Id FROM Contact WHERE DoNotCall > false", soql.CodeInvalidFilterOp, "invalid operator on boolean field", 1, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := soql.Parse(tt.soql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.soql, err)
			}
			err = q.Resolve(newTestSchema())
			var se *soql.Error
			if !errors.As(err, &se) {
				t.Fatalf("Resolve(%q) = %v, want *soql.Error", tt.soql, err)
			}
			if se.Code != tt.code || se.Detail != tt.detail || se.Row != tt.row || se.Column != tt.column {
				t.Errorf("Resolve(%q)\n got %s %q at %d:%d\nwant %s %q at %d:%d",
					tt.soql, se.Code, se.Detail, se.Row, se.Column, tt.code, tt.detail, tt.row, tt.column)
			}
			checkMessageShape(t, tt.soql, se)
		})
	}
}

func TestResolveInvalidFieldMessageExact(t *testing.T) {
	q, err := soql.Parse("SELECT Id, Foo FROM Contact")
	if err != nil {
		t.Fatal(err)
	}
	var se *soql.Error
	if !errors.As(q.Resolve(newTestSchema()), &se) {
		t.Fatal("want an error")
	}
	want := "\nSELECT Id, Foo FROM Contact\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Contact'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	if se.Message != want {
		t.Errorf("message\n%q\nwant\n%q", se.Message, want)
	}
}

func TestTypeOf(t *testing.T) {
	for in, want := range map[string]soql.Type{
		"id": soql.TypeID, "reference": soql.TypeID, "boolean": soql.TypeBoolean, "int": soql.TypeInteger,
		"double": soql.TypeDouble, "currency": soql.TypeDouble, "percent": soql.TypeDouble, "date": soql.TypeDate,
		"datetime": soql.TypeDateTime, "string": soql.TypeString, "picklist": soql.TypeString, "email": soql.TypeString,
		"textarea": soql.TypeString, "phone": soql.TypeString, "url": soql.TypeString, "DateTime": soql.TypeDateTime,
	} {
		if got := soql.TypeOf(in); got != want {
			t.Errorf("TypeOf(%q) = %v, want %v", in, got, want)
		}
	}
}
