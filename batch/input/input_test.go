package input

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/navsync/navsync/matcher"
)

func TestReadLeadsOK(t *testing.T) {
	got, err := ReadLeads(context.Background(), "testdata/leads_ok.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rejects) != 0 {
		t.Fatalf("rejects: %+v", got.Rejects)
	}
	want := []matcher.Lead{
		{LeadID: "urn:li:1", FirstName: "Jane", LastName: "Doe", CurrentCompany: "Acme Corp", Email: "jane@acme.example",
			PastCompanies: []string{"Globex", "Initech"}, PastTitles: []string{"VP Sales", "Engineer"}, Country: "US"},
		{LeadID: "urn:li:2", FirstName: "John", LastName: "Smith", CurrentCompany: "Acme Corp", Country: "Germany"},
		{LeadID: "urn:li:3", FirstName: "Seán", LastName: "O'Brien", CurrentCompany: "Acme Corp",
			PastCompanies: []string{"", "Initech"}, PastTitles: []string{"Intern", ""}, Country: "IE"},
	}
	if !reflect.DeepEqual(got.Leads, want) {
		t.Errorf("leads:\n got %+v\nwant %+v", got.Leads, want)
	}
	if st := got.Files[0]; st.Rows != 3 || st.Rejected != 0 || st.Kind != "leads" {
		t.Errorf("file stat %+v", st)
	}
}

func TestReadLeadsRejects(t *testing.T) {
	got, err := ReadLeads(context.Background(), "testdata/leads_bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range got.Leads {
		ids = append(ids, l.LeadID+"/"+l.LastName)
	}
	wantIDs := []string{"L1/Lee", "L2/Multi\nLine", "L8/Kim\n\nPark", "L9/Lum"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("kept %q, want %q", ids, wantIDs)
	}
	type rj struct {
		line   int
		id     string
		reason string
	}
	var rejects []rj
	for _, r := range got.Rejects {
		if r.File != "testdata/leads_bad.csv" {
			t.Errorf("reject file %q", r.File)
		}
		rejects = append(rejects, rj{r.Line, r.LeadID, r.Reason})
	}
	want := []rj{
		{5, "L3", ReasonColumnCount},
		{6, "L4", ReasonColumnCount},
		{7, "", ReasonInvalidUTF8},
		{8, "", ReasonEmptyID},
		{9, "", ReasonEmptyID},
		{10, "L1", ReasonDuplicateID},
		{11, "", ReasonMalformedQuote},
		{12, "", ReasonMalformedQuote},
	}
	if !reflect.DeepEqual(rejects, want) {
		t.Errorf("rejects:\n got %+v\nwant %+v", rejects, want)
	}
	byLine := map[int]Reject{}
	for _, r := range got.Rejects {
		byLine[r.Line] = r
	}
	if d := byLine[10].Detail; d != "first at line 2" {
		t.Errorf("duplicate detail %q", d)
	}
	if d := byLine[5].Detail; d != "3 fields, header has 4" {
		t.Errorf("column count detail %q", d)
	}
	if r := byLine[6].Raw; r != "L4,Di,Fox,Acme,extra" {
		t.Errorf("raw %q", r)
	}
	if r := byLine[7].Raw; r != "L5,Ed,\uFFFDBad,Acme" {
		t.Errorf("raw of invalid UTF-8 not made valid: %q", r)
	}
	if st := got.Files[0]; st.Rows != 4 || st.Rejected != 8 {
		t.Errorf("file stat %+v", st)
	}
}

func TestReadLeadsDuplicateAcrossFiles(t *testing.T) {
	got, err := ReadLeads(context.Background(), "testdata/leads_ok.csv", "testdata/leads_ok.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Leads) != 3 || len(got.Rejects) != 3 {
		t.Fatalf("%d leads, %d rejects; want 3 and 3", len(got.Leads), len(got.Rejects))
	}
	for _, r := range got.Rejects {
		if r.Reason != ReasonDuplicateID {
			t.Errorf("reason %q", r.Reason)
		}
	}
	if got.Rejects[2].Line != 6 || got.Rejects[2].LeadID != "urn:li:3" {
		t.Errorf("third reject %+v", got.Rejects[2])
	}
}

func TestReadLeadsUnterminatedQuote(t *testing.T) {
	got, err := ReadLeads(context.Background(), "testdata/leads_unterminated.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Leads) != 1 || len(got.Rejects) != 1 {
		t.Fatalf("%d leads, %d rejects", len(got.Leads), len(got.Rejects))
	}
	if r := got.Rejects[0]; r.Line != 3 || r.Reason != ReasonMalformedQuote || r.Raw != "L2,\"Bob,Ray\nL3,Cy,Dee" {
		t.Errorf("reject %+v", r)
	}
}

func TestReadLeadsSchemaErrors(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"testdata/leads_missing_col.csv", `testdata/leads_missing_col.csv: missing required column "last_name"`},
		{"testdata/leads_dup_header.csv", `column "Last_Name" appears twice`},
		{"testdata/leads_empty.csv", "no header row"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			_, err := ReadLeads(context.Background(), tc.file)
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("err = %v, want ErrSchema", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := ReadLeads(context.Background(), "testdata/crm"); !errors.Is(err, ErrSchema) {
		t.Errorf("a folder as leads file: %v", err)
	}
	_, err := ReadLeads(context.Background(), "testdata/nope.csv")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nope.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadCompanies(t *testing.T) {
	got, err := ReadCompanies(context.Background(), "testdata/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []matcher.Company{
		{AccountID: "A1", Name: "Acme Corp", Domain: "acme.example", EmployeesMin: 51, EmployeesMax: 200, Industry: "Software", City: "Berlin"},
		{AccountID: "A2", Name: "Globex", Domain: "globex.example", EmployeesMin: 10001, EmployeesMax: OpenEnded, Industry: "Energy"},
		{AccountID: "A3", Name: "Initech", EmployeesMin: 120, EmployeesMax: 120, City: "Austin"},
		{AccountID: "A4", Name: "Umbrella"}, // employees "lots": the value is dropped, the row kept
		{AccountID: "A5", Name: "Hooli"},
		{AccountID: "A6", Name: "Vandelay"}, // employees "500-100"
	}
	if !reflect.DeepEqual(got.Companies, want) {
		t.Errorf("companies:\n got %+v\nwant %+v", got.Companies, want)
	}
	var reasons []string
	for _, r := range got.Rejects {
		reasons = append(reasons, r.LeadID+":"+r.Reason)
	}
	wantR := []string{"A4:" + ReasonInvalidValue, "A6:" + ReasonInvalidValue, "A1:" + ReasonDuplicateRecID}
	if !reflect.DeepEqual(reasons, wantR) {
		t.Errorf("rejects %q, want %q", reasons, wantR)
	}
}

func TestParseEmployees(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		bad    bool
	}{
		{"", 0, 0, false},
		{"120", 120, 120, false},
		{"51-200", 51, 200, false},
		{"51 – 200", 51, 200, false},
		{"1,001-5,000", 1001, 5000, false},
		{"10,001+", 10001, OpenEnded, false},
		{"0", 0, 0, false},
		{"lots", 0, 0, true},
		{"200-51", 0, 0, true},
		{"-5", 0, 0, true},
		{"12.5", 0, 0, true},
		{"99999999999", 0, 0, true},
	}
	for _, tc := range tests {
		lo, hi, err := ParseEmployees(tc.in)
		if (err != nil) != tc.bad || lo != tc.lo || hi != tc.hi {
			t.Errorf("ParseEmployees(%q) = %d, %d, %v; want %d, %d, bad=%v", tc.in, lo, hi, err, tc.lo, tc.hi, tc.bad)
		}
	}
}

// TestSnapshotKeepFields: the values of SnapshotOptions.KeepFields are
// kept, as the files hold them, by the person's index, for the kept rows
// that have any (a rejected row's are not, and do not shift the others);
// a column a file lacks is empty.
func TestSnapshotKeepFields(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "crm"))); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "Contact.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`"003000000000001AAA","Dup","Row","","","","","","Dup title","","","","","urn:li:dup",""` + "\n") // duplicate id: rejected
	f.WriteString(`"003000000000004AAA","Eve","Ng","","","","001000000000002AAA","","","","","",""," urn:li:9 ",""` + "\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	keep := []string{"Sales_Navigator_Lead_Id__c", "linkedin_profile_url__c", "Title", "No_Such_Field__c"}
	snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{KeepFields: keep})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"003000000000001AAA": {"urn:li:1", "", "VP Sales", ""},
		"003000000000002AAA": {"", "https://www.linkedin.com/in/john-smith/", `Engineer, "Platform"`, ""},
		"003000000000003AAA": {"", "", "Multi\nLine Title", ""},
		"003000000000004AAA": {" urn:li:9 ", "", "", ""},
		"00Q000000000001AAA": {"", "", "CTO", ""}, // Lead.csv has no writeback columns
		"00Q000000000002AAA": nil,
		"00Q000000000003AAA": nil,
	}
	if len(snap.People) != len(want) {
		t.Fatalf("%d people, want %d", len(snap.People), len(want))
	}
	if !reflect.DeepEqual(snap.Kept.Fields, keep) {
		t.Errorf("fields %q", snap.Kept.Fields)
	}
	for i, p := range snap.People {
		if got := snap.Kept.Values(i); !reflect.DeepEqual(got, want[p.ID]) {
			t.Errorf("%s (%d): kept %q, want %q", p.ID, i, got, want[p.ID])
		}
	}
	if got := snap.Kept.Values(len(snap.People)); got != nil {
		t.Errorf("past the people: %q", got)
	}
	// Without KeepFields nothing is kept.
	snap, err = ReadSnapshot(context.Background(), dir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.People {
		if got := snap.Kept.Values(i); got != nil {
			t.Errorf("no KeepFields: person %d kept %q", i, got)
		}
	}
}

func TestReadSnapshot(t *testing.T) {
	snap, err := ReadSnapshot(context.Background(), "testdata/crm", SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantPeople := []matcher.Person{
		{ID: "003000000000001AAA", Object: "Contact", FirstName: "Jane", LastName: "Doe", Email: "jane@acme.example",
			Phone: "+1 415 555 0100", AccountID: "001000000000001AAA", Company: "Acme Corp", Title: "VP Sales",
			City: "San Francisco", State: "CA", Country: "United States", LinkedLeadID: "urn:li:1"},
		{ID: "003000000000002AAA", Object: "Contact", FirstName: "John", LastName: "Smith", AccountID: "001000000000001AAA",
			Company: "Acme Corp", Title: `Engineer, "Platform"`, City: "Berlin", Country: "Germany"},
		{ID: "003000000000003AAA", Object: "Contact", FirstName: "Ann", LastName: "Lee", Email: "ann@initech.example",
			AccountID: "001000000000002AAA", Company: "Initech", Title: "Multi\nLine Title"},
		{ID: "00Q000000000001AAA", Object: "Lead", FirstName: "Bob", LastName: "Ray", Email: "bob@globex.example",
			MobilePhone: "+44 20 7946 0000", Company: "Globex", Title: "CTO", Website: "https://globex.example",
			City: "London", Country: "GB"},
		{ID: "00Q000000000002AAA", Object: "Lead", FirstName: "Cy", LastName: "Dee", Email: "cy@acme.example", Company: "Acme",
			IsConverted: true, ConvertedContactID: "003000000000001AAA", ConvertedAccountID: "001000000000001AAA"},
		{ID: "00Q000000000003AAA", Object: "Lead", FirstName: "Di", LastName: "Fox", Company: "Acme"}, // IsConverted "maybe" dropped
	}
	if !reflect.DeepEqual(snap.People, wantPeople) {
		t.Errorf("people:\n got %+v\nwant %+v", snap.People, wantPeople)
	}
	wantAcc := []matcher.Account{
		{ID: "001000000000001AAA", Name: "Acme Corp", Website: "www.acme.example", Street: "5 Elm St", City: "San Francisco",
			State: "CA", PostalCode: "94105", Country: "US", Employees: 150, Industry: "Software"},
		{ID: "001000000000002AAA", Name: "Initech", City: "Austin", State: "TX", Country: "US"},
		{ID: "001000000000003AAA", Name: "Broken"}, // NumberOfEmployees "12.5k" dropped
	}
	if !reflect.DeepEqual(snap.Accounts, wantAcc) {
		t.Errorf("accounts:\n got %+v\nwant %+v", snap.Accounts, wantAcc)
	}
	wantUsers := []User{
		{ID: "005000000000001AAA", Email: "owner@corp.example", Username: "owner@corp.example.prod", IsActive: true},
		{ID: "005000000000002AAA", Email: "gone@corp.example", Username: "gone@corp.example.prod"},
	}
	if !reflect.DeepEqual(snap.Users, wantUsers) {
		t.Errorf("users %+v", snap.Users)
	}
	if len(snap.Opportunities) != 1 || snap.Opportunities[0].AccountID != "001000000000001AAA" || snap.Opportunities[0].IsClosed {
		t.Errorf("opportunities %+v", snap.Opportunities)
	}
	type rj struct {
		file   string
		line   int
		id     string
		reason string
	}
	var got []rj
	for _, r := range snap.Rejects {
		got = append(got, rj{filepath.Base(r.File), r.Line, r.LeadID, r.Reason})
	}
	want := []rj{
		{"Contact.csv", 6, "", ReasonEmptyRecordID},
		{"Contact.csv", 8, "003000000000001AAA", ReasonDuplicateRecID},
		{"Lead.csv", 4, "00Q000000000003AAA", ReasonInvalidValue},
		{"Account.csv", 4, "001000000000003AAA", ReasonInvalidValue},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rejects:\n got %+v\nwant %+v", got, want)
	}
	if snap.ProfileURLs["003000000000002AAA"] != "https://www.linkedin.com/in/john-smith/" || len(snap.ProfileURLs) != 1 {
		t.Errorf("profile urls %v", snap.ProfileURLs)
	}
}

func TestReadSnapshotSchemaErrors(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"testdata/crm_nolead", "Lead.csv: file not found"},
		{"testdata/crm_badcol", `Contact.csv: missing required column "Email"`},
		{"testdata/no_such_dir", "no_such_dir"},
		{"testdata/leads_ok.csv", "leads_ok.csv is a file, not a folder"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			_, err := ReadSnapshot(context.Background(), tc.dir, SnapshotOptions{})
			if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrSchema containing %q", err, tc.want)
			}
		})
	}
}

func TestContactCompanyFromAccount(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("contact.csv", "Id,FirstName,LastName,Email,AccountId\n003A,Ann,Lee,,001A\n003B,Bo,Ng,,\n") // lower-case file name
	write("Lead.csv", "Id,FirstName,LastName,Email,Company\n")
	write("Account.csv", "Id,Name\n001A,Acme\n")
	snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.People) != 2 || snap.People[0].Company != "Acme" || snap.People[1].Company != "" {
		t.Errorf("people %+v", snap.People)
	}
}

func TestRead(t *testing.T) {
	in, err := Read(context.Background(), Sources{
		CRMDir:   "testdata/crm",
		Leads:    []string{"testdata/leads_ok.csv", "testdata/leads_bad.csv"},
		Accounts: []string{"testdata/accounts.csv"},
	}, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Input.Leads) != 7 || len(in.Input.People) != 6 || len(in.Input.Accounts) != 3 || len(in.Input.Companies) != 6 {
		t.Errorf("sizes: %d leads, %d people, %d accounts, %d companies", len(in.Input.Leads), len(in.Input.People), len(in.Input.Accounts), len(in.Input.Companies))
	}
	if len(in.Rejects) != 8+3+4 {
		t.Errorf("%d rejects", len(in.Rejects))
	}
	var kinds []string
	for _, f := range in.Files {
		kinds = append(kinds, f.Kind)
	}
	if want := []string{"leads", "leads", "accounts", "Contact", "Lead", "Account", "User", "Opportunity"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("files %q", kinds)
	}
	_, err = Read(context.Background(), Sources{CRMDir: "testdata/crm", Leads: []string{"testdata/leads_missing_col.csv"}}, SnapshotOptions{})
	if !errors.Is(err, ErrSchema) {
		t.Errorf("err = %v, want ErrSchema", err)
	}
}

func TestLinkProfiles(t *testing.T) {
	people := []matcher.Person{{ID: "a"}, {ID: "b", LinkedLeadID: "keep"}, {ID: "c"}}
	urls := map[string]string{"a": "http://LinkedIn.com/in/john-smith?trk=x", "b": "https://www.linkedin.com/in/john-smith", "c": "https://www.linkedin.com/in/other"}
	leads := []matcher.Lead{{LeadID: "L1", ProfileURL: "https://www.linkedin.com/in/john-smith/"}}
	if n := LinkProfiles(people, urls, leads); n != 1 {
		t.Errorf("linked %d", n)
	}
	if people[0].LinkedLeadID != "L1" || people[1].LinkedLeadID != "keep" || people[2].LinkedLeadID != "" {
		t.Errorf("people %+v", people)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadLeads(ctx, "testdata/leads_ok.csv"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestJoinPeople(t *testing.T) {
	people := func(prefix string, n int) []matcher.Person {
		var out []matcher.Person
		for i := range n {
			out = append(out, matcher.Person{ID: fmt.Sprintf("%s%d", prefix, i)})
		}
		return out
	}
	ids := func(ps []matcher.Person) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name                string
		room, roomL, nc, nl int
		want                string
	}{
		{"fits", 3, 3, 2, 2, "c0,c1,l0,l1"},
		{"exact", 2, 2, 2, 2, "c0,c1,l0,l1"},
		{"contacts overflow", 1, 3, 3, 1, "c0,c1,c2,l0"},
		{"leads overflow", 3, 1, 1, 3, "c0,l0,l1,l2"},
		{"no contacts", 2, 2, 0, 2, "l0,l1"},
		{"no leads", 2, 2, 2, 0, "c0,c1"},
		{"no room at all", 0, 0, 1, 1, "c0,l0"},
	}
	for _, tc := range tests {
		all := make([]matcher.Person, tc.room+tc.roomL)
		contacts, leads := all[:0:tc.room], all[tc.room:tc.room]
		contacts = append(contacts, people("c", tc.nc)...)
		leads = append(leads, people("l", tc.nl)...)
		got := joinPeople(all, contacts, leads)
		if ids(got) != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, ids(got), tc.want)
		}
		if tc.nc+tc.nl <= len(all) && tc.nc <= tc.room && tc.nl <= tc.roomL && len(got) > 0 && &got[0] != &all[0] {
			t.Errorf("%s: copied though everything fit", tc.name)
		}
	}
}

// TestSalesforceIDForms: a 15-character id and its 18-character form name
// one record. Every Salesforce id read from the snapshot is kept in its
// 18-character form, so a Contact's 15-character AccountId finds its
// Account, and the same record listed under both forms is a duplicate
// (issue 9, defect 4). Values that are not Salesforce ids stay as they are.
func TestSalesforceIDForms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Contact.csv", "Id,FirstName,LastName,Email,AccountId\n"+
		"0033t0000000001,Ann,Lee,,0013t000000002a\n"+ // 15 and 15 (Account.csv has 18)
		"0033t0000000002AAA,Bo,Ng,,0013t000000002aAAA\n"+
		"0033t0000000001AAA,Ann,Lee,,0013t000000002a\n"+ // line 4: the record of line 2 again
		"not-an-id,Cy,Dee,,0013t000000002A\n") // another record: case matters in 15 characters
	write("Lead.csv", "Id,FirstName,LastName,Email,Company,IsConverted,ConvertedContactId,ConvertedAccountId\n"+
		"00Q3t0000000001,Di,Fox,,Acme,true,0033t0000000002,0013t000000002a\n")
	write("Account.csv", "Id,Name\n0013t000000002aAAA,Acme\n0013t000000002AAAQ,Other\n0013t000000002A,Other again\n"+
		"0013t000000003aBBB,Bad checksum\n") // kept as it is: not a Salesforce id
	write("Opportunity.csv", "Id,AccountId\n0063t0000000001,0013t000000002a\n0063t0000000001AAA,0013t000000002aAAA\n")
	write("User.csv", "Id,Email\n0053t0000000001,a@x.example\n0053t0000000001aaa,b@x.example\n")
	snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var people []string
	for _, p := range snap.People {
		people = append(people, strings.Join([]string{p.ID, p.AccountID, p.Company, p.ConvertedContactID, p.ConvertedAccountID}, "/"))
	}
	want := []string{
		"0033t0000000001AAA/0013t000000002aAAA/Acme//",
		"0033t0000000002AAA/0013t000000002aAAA/Acme//",
		"not-an-id/0013t000000002AAAQ/Other//",
		"00Q3t0000000001EAA//Acme/0033t0000000002AAA/0013t000000002aAAA",
	}
	if !reflect.DeepEqual(people, want) {
		t.Errorf("people:\n got %q\nwant %q", people, want)
	}
	if len(snap.Accounts) != 3 || snap.Accounts[2].ID != "0013t000000003aBBB" {
		t.Errorf("accounts %+v", snap.Accounts)
	}
	if len(snap.Opportunities) != 1 || snap.Opportunities[0].ID != "0063t0000000001AAA" || snap.Opportunities[0].AccountID != "0013t000000002aAAA" {
		t.Errorf("opportunities %+v", snap.Opportunities)
	}
	if len(snap.Users) != 1 || snap.Users[0].ID != "0053t0000000001AAA" {
		t.Errorf("users %+v", snap.Users)
	}
	var rejects []string
	for _, r := range snap.Rejects {
		rejects = append(rejects, fmt.Sprintf("%s:%d %s %s: %s", filepath.Base(r.File), r.Line, r.LeadID, r.Reason, r.Detail))
	}
	wantR := []string{
		"Contact.csv:4 0033t0000000001AAA duplicate_id: first at line 2 as 0033t0000000001 (the 15- and 18-character forms of one id)",
		"Account.csv:4 0013t000000002A duplicate_id: first at line 3 as 0013t000000002AAAQ (the 18- and 15-character forms of one id)",
		"User.csv:3 0053t0000000001aaa duplicate_id: first at line 2 as 0053t0000000001 (the 15- and 18-character forms of one id)",
		"Opportunity.csv:3 0063t0000000001AAA duplicate_id: first at line 2 as 0063t0000000001 (the 15- and 18-character forms of one id)",
	}
	if !reflect.DeepEqual(rejects, wantR) {
		t.Errorf("rejects:\n got %q\nwant %q", rejects, wantR)
	}
}
