package input

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/navsync/navsync/matcher"
)

// TestControlCharactersInIDs: an id with a NUL byte or another control
// character is not an id: the row is rejected (issue 9, defect 7: a NUL
// inside lead_id was accepted).
func TestControlCharactersInIDs(t *testing.T) {
	dir := t.TempDir()
	leads := filepath.Join(dir, "leads.csv")
	os.WriteFile(leads, []byte("lead_id,first_name,last_name\nL1,Ann,Lee\nL\x002,Bob,Ray\n\"L3\n\",Cy,Dee\nL\t4,Di,Fox\nL5 ,Ed,Gu\n"), 0o644)
	got, err := ReadLeads(context.Background(), leads)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range got.Leads {
		ids = append(ids, l.LeadID)
	}
	if want := []string{"L1", "L5"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("kept %q, want %q", ids, want)
	}
	var rj []string
	for _, r := range got.Rejects {
		rj = append(rj, fmt.Sprintf("%d %q %s: %s", r.Line, r.LeadID, r.Reason, r.Detail))
	}
	want := []string{
		`3 "L\x002" invalid_lead_id: lead_id holds U+0000, a control character`,
		`4 "L3\n" invalid_lead_id: lead_id holds U+000A, a control character`,
		`6 "L\t4" invalid_lead_id: lead_id holds U+0009, a control character`,
	}
	if !reflect.DeepEqual(rj, want) {
		t.Errorf("rejects:\n got %q\nwant %q", rj, want)
	}

	accounts := filepath.Join(dir, "accounts.csv")
	os.WriteFile(accounts, []byte("account_id,name\nA\x001,Acme\nA2,Globex\n"), 0o644)
	comps, err := ReadCompanies(context.Background(), accounts)
	if err != nil {
		t.Fatal(err)
	}
	if len(comps.Companies) != 1 || len(comps.Rejects) != 1 || comps.Rejects[0].Reason != ReasonInvalidRecID {
		t.Errorf("companies %+v, rejects %+v", comps.Companies, comps.Rejects)
	}

	crm := filepath.Join(dir, "crm")
	os.MkdirAll(crm, 0o755)
	os.WriteFile(filepath.Join(crm, "Contact.csv"), []byte("Id,FirstName,LastName,Email,AccountId\n003\x00,Ann,Lee,,\n0033t0000000001,Bo,Ng,,\n"), 0o644)
	os.WriteFile(filepath.Join(crm, "Lead.csv"), []byte("Id,FirstName,LastName,Email,Company\n"), 0o644)
	os.WriteFile(filepath.Join(crm, "Account.csv"), []byte("Id,Name\n"), 0o644)
	snap, err := ReadSnapshot(context.Background(), crm, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.People) != 1 || len(snap.Rejects) != 1 || snap.Rejects[0].Reason != ReasonInvalidRecID || snap.Rejects[0].Line != 2 {
		t.Errorf("people %+v, rejects %+v", snap.People, snap.Rejects)
	}
}

// TestCROnlyLineEndings: a file whose lines end in a carriage return alone
// (Excel's "CSV (Macintosh)") reads like the same file with LF endings,
// quoted line breaks and line numbers included (issue 9, defect 7: every
// such file was one record with "malformed quotes").
func TestCROnlyLineEndings(t *testing.T) {
	lf := "lead_id,first_name,last_name,current_company\nL1,Ann,Lee,Acme\n\nL2,Bob,\"Multi\nLine\",Acme\nL3,Cy\nL4,Di,Fox,\"Initech\"\n"
	dir := t.TempDir()
	read := func(name, body string) *Leads {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		got, err := ReadLeads(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got.Rejects {
			got.Rejects[i].File = ""
		}
		got.Files = nil
		return got
	}
	want := read("lf.csv", lf)
	if len(want.Leads) != 3 || len(want.Rejects) != 1 {
		t.Fatalf("LF file: %d leads, %d rejects", len(want.Leads), len(want.Rejects))
	}
	for name, body := range map[string]string{
		"cr.csv":     strings.ReplaceAll(lf, "\n", "\r"),
		"cr-bom.csv": "\ufeff" + strings.ReplaceAll(lf, "\n", "\r"),
		"cr-no-end":  strings.TrimSuffix(strings.ReplaceAll(lf, "\n", "\r"), "\r"),
	} {
		if got := read(name, body); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	// A CR inside a quoted field of an LF file stays what it is.
	got := read("lf-cr.csv", "lead_id,first_name,last_name\nL1,Ann,\"Le\re\"\n")
	if len(got.Leads) != 1 || got.Leads[0].LastName != "Le\re" {
		t.Errorf("LF file with a CR in a field: %+v", got)
	}
}

// TestBadOptionalValueKeepsRow: a value of the wrong type in an optional
// column drops that value, not the row; it is reported as invalid_value
// naming the column, and the row counts as kept (issue 9, defect 7:
// NumberOfEmployees = lots dropped the whole Account).
func TestBadOptionalValueKeepsRow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Contact.csv", "Id,FirstName,LastName,Email,AccountId\n")
	write("Lead.csv", "Id,FirstName,LastName,Email,Company,IsConverted\n00Q3t0000000001,Di,Fox,,Acme,maybe\n")
	write("Account.csv", "Id,Name,NumberOfEmployees,Industry\n0013t0000000001,Umbrella,lots,Pharma\n0013t0000000002,Acme,120,\n")
	write("User.csv", "Id,Email,IsActive\n0053t0000000001,a@x.example,sometimes\n")
	write("Opportunity.csv", "Id,AccountId,IsClosed\n0063t0000000001,0013t0000000001,perhaps\n")
	snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 2 || snap.Accounts[0].Name != "Umbrella" || snap.Accounts[0].Employees != 0 || snap.Accounts[0].Industry != "Pharma" {
		t.Errorf("accounts %+v", snap.Accounts)
	}
	if len(snap.People) != 1 || snap.People[0].IsConverted || len(snap.Users) != 1 || snap.Users[0].IsActive || len(snap.Opportunities) != 1 || snap.Opportunities[0].IsClosed {
		t.Errorf("people %+v, users %+v, opportunities %+v", snap.People, snap.Users, snap.Opportunities)
	}
	var rj []string
	for _, r := range snap.Rejects {
		rj = append(rj, fmt.Sprintf("%s:%d %s %s: %s", filepath.Base(r.File), r.Line, r.LeadID, r.Reason, r.Detail))
	}
	want := []string{
		`Lead.csv:2 00Q3t0000000001 invalid_value: IsConverted "maybe" is not a boolean; the row is kept without it`,
		`Account.csv:2 0013t0000000001 invalid_value: NumberOfEmployees "lots" is not a whole number; the row is kept without it`,
		`User.csv:2 0053t0000000001 invalid_value: IsActive "sometimes" is not a boolean; the row is kept without it`,
		`Opportunity.csv:2 0063t0000000001 invalid_value: IsClosed "perhaps" is not a boolean; the row is kept without it`,
	}
	if !reflect.DeepEqual(rj, want) {
		t.Errorf("rejects:\n got %q\nwant %q", rj, want)
	}
	for _, f := range snap.Files {
		if f.Rejected != 0 || f.Kind != "Contact" && f.Rows == 0 {
			t.Errorf("file stat %+v: the rows are kept", f)
		}
		if wantDropped := map[string]int{"Lead": 1, "Account": 1, "User": 1, "Opportunity": 1}[f.Kind]; f.DroppedValues != wantDropped {
			t.Errorf("%s: %d values dropped, want %d", f.Kind, f.DroppedValues, wantDropped)
		}
	}

	write("accounts.csv", "account_id,name,employees,industry\nA1,Acme,lots,Software\nA2,Globex,51-200,\n")
	comps, err := ReadCompanies(context.Background(), filepath.Join(dir, "accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	wantC := []matcher.Company{{AccountID: "A1", Name: "Acme", Industry: "Software"}, {AccountID: "A2", Name: "Globex", EmployeesMin: 51, EmployeesMax: 200}}
	if !reflect.DeepEqual(comps.Companies, wantC) || len(comps.Rejects) != 1 || comps.Rejects[0].Reason != ReasonInvalidValue ||
		comps.Rejects[0].Detail != `employees "lots": want an integer or a range like 51-200; the row is kept without it` || comps.Files[0].Rows != 2 || comps.Files[0].Rejected != 0 {
		t.Errorf("companies %+v, rejects %+v, files %+v", comps.Companies, comps.Rejects, comps.Files)
	}
}
