package input_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/matcher"
)

type snLead struct {
	ID, First, Last, Company string
	Past                     []string
	Count                    int64
	HasCount                 bool
}

// TestReadLeadsParquet writes a lead export as Parquet with the report
// writer (past_company as list<string>, an integer column, a null, mixed-case
// names) and reads it back.
func TestReadLeadsParquet(t *testing.T) {
	type R = snLead
	cols := []report.Column[R]{
		report.String("Lead_ID", func(r *R) string { return r.ID }),
		report.String("first_name", func(r *R) string { return r.First }),
		report.OptString("last_name", func(r *R) string { return r.Last }),
		report.OptString("current_company", func(r *R) string { return r.Company }),
		report.StringList("past_company", func(r *R) []string { return r.Past }),
		report.OptInt64("connections", func(r *R) (int64, bool) { return r.Count, r.HasCount }),
	}
	rows := []R{
		{ID: "p1", First: "Ann", Last: "Lee", Company: "Acme", Past: []string{"Globex", "Initech"}, Count: 500, HasCount: true},
		{ID: "p2", First: "Bob"},
		{ID: "", First: "Cy", Last: "Dee"},
		{ID: "p1", First: "Ann", Last: "Again"},
		{ID: "p3", First: "Bad\xffUTF8", Last: "X"},
	}
	path := filepath.Join(t.TempDir(), "leads.parquet")
	if err := report.WriteFile(context.Background(), path, cols, rows, report.Options{RowGroupRows: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := input.ReadLeads(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := []matcher.Lead{
		{LeadID: "p1", FirstName: "Ann", LastName: "Lee", CurrentCompany: "Acme", PastCompanies: []string{"Globex", "Initech"}},
		{LeadID: "p2", FirstName: "Bob"},
	}
	if !reflect.DeepEqual(got.Leads, want) {
		t.Errorf("leads:\n got %+v\nwant %+v", got.Leads, want)
	}
	var rj []string
	for _, r := range got.Rejects {
		rj = append(rj, r.Reason+"@"+string(rune('0'+r.Line)))
	}
	if w := []string{input.ReasonEmptyID + "@3", input.ReasonDuplicateID + "@4", input.ReasonInvalidUTF8 + "@5"}; !reflect.DeepEqual(rj, w) {
		t.Errorf("rejects %q, want %q", rj, w)
	}
	if raw := got.Rejects[1].Raw; raw != "p1,Ann,Again,,," {
		t.Errorf("raw %q", raw)
	}
}

type snAccount struct {
	ID, Name  string
	Employees int64
	HasEmp    bool
}

// TestReadCompaniesParquet reads an account export whose employees column
// is an integer column.
func TestReadCompaniesParquet(t *testing.T) {
	type R = snAccount
	cols := []report.Column[R]{
		report.String("account_id", func(r *R) string { return r.ID }),
		report.String("NAME", func(r *R) string { return r.Name }),
		report.OptInt64("employees", func(r *R) (int64, bool) { return r.Employees, r.HasEmp }),
	}
	path := filepath.Join(t.TempDir(), "accounts.parquet")
	rows := []R{{ID: "a1", Name: "Acme", Employees: 120, HasEmp: true}, {ID: "a2", Name: "Globex"}}
	if err := report.WriteFile(context.Background(), path, cols, rows, report.Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := input.ReadCompanies(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := []matcher.Company{{AccountID: "a1", Name: "Acme", EmployeesMin: 120, EmployeesMax: 120}, {AccountID: "a2", Name: "Globex"}}
	if !reflect.DeepEqual(got.Companies, want) || len(got.Rejects) != 0 {
		t.Errorf("companies %+v, rejects %+v", got.Companies, got.Rejects)
	}
	// A Parquet file without a required column stops like a CSV one.
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := report.WriteFile(context.Background(), bad, cols[:1], rows, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := input.ReadCompanies(context.Background(), bad); !errors.Is(err, input.ErrSchema) || !strings.Contains(err.Error(), `"name"`) {
		t.Errorf("err = %v", err)
	}
}
