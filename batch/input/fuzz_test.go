package input

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/navsync/navsync/internal/sfid"
)

// Fuzz targets of the input readers. Seed corpora are in
// testdata/fuzz/<FuzzName>/; `go test` runs them as ordinary tests,
// `go test -run '^$' -fuzz FuzzX -fuzztime 30s ./batch/input/` explores.

// knownReasons are the reject reasons a reader may give.
var knownReasons = map[string]bool{
	ReasonColumnCount: true, ReasonInvalidUTF8: true, ReasonMalformedQuote: true, ReasonTooLong: true,
	ReasonEmptyID: true, ReasonDuplicateID: true, ReasonEmptyRecordID: true, ReasonDuplicateRecID: true,
	ReasonInvalidID: true, ReasonInvalidRecID: true, ReasonInvalidValue: true,
}

// checkRejects holds for every file's rejects: a known reason, a line after
// the header, raw text that is valid UTF-8 and within MaxRawBytes, and
// counts that add up (each reject is a rejected row or a dropped value).
func checkRejects(t *testing.T, rejects []Reject, files []FileStat) {
	t.Helper()
	n := 0
	for _, f := range files {
		if f.Rows < 0 || f.Rejected < 0 || f.DroppedValues < 0 {
			t.Fatalf("file stat %+v", f)
		}
		n += f.Rejected + f.DroppedValues
	}
	if n != len(rejects) {
		t.Fatalf("%d rejects, the file stats count %d", len(rejects), n)
	}
	for _, r := range rejects {
		if !knownReasons[r.Reason] || r.Line < 2 || !utf8.ValidString(r.Raw) || len(r.Raw) > MaxRawBytes || !utf8.ValidString(r.Detail) {
			t.Fatalf("reject %+v", r)
		}
	}
}

// checkID holds for every kept id: not empty, no surrounding blanks, no
// control character, valid UTF-8.
func checkID(t *testing.T, what, id string) {
	t.Helper()
	if id == "" || strings.TrimSpace(id) != id || !utf8.ValidString(id) {
		t.Fatalf("%s %q kept", what, id)
	}
	if _, bad := controlChar([]byte(id)); bad {
		t.Fatalf("%s %q with a control character kept", what, id)
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzCSVScanner: the scanner never panics or loops, returns records in
// order of their start lines, and agrees with encoding/csv: on any input
// encoding/csv reads without error (RFC 4180 with its CRLF and blank-line
// rules, no byte order mark, no lone-CR line ends, which the scanner reads
// as line breaks), the scanner reads the same fields starting on the same
// lines, with no quoting problem.
func FuzzCSVScanner(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newCSVScanner(bytes.NewReader(data))
		var got [][]string
		var lines []int
		for n := 0; ; n++ {
			err := s.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
			if n > len(data) {
				t.Fatal("more records than bytes")
			}
			if len(lines) > 0 && s.start <= lines[len(lines)-1] || s.end < s.start {
				t.Fatalf("record %d: lines %d–%d after a record at line %d", n, s.start, s.end, lines[len(lines)-1])
			}
			rec := make([]string, len(s.fields))
			for i, fl := range s.fields {
				rec[i] = string(fl)
			}
			if s.badQuote || s.tooLong {
				rec = append(rec, "\x00bad") // never equal to what encoding/csv gives
			}
			got = append(got, rec)
			lines = append(lines, s.start)
		}

		if bytes.HasPrefix(data, utf8BOM) || crLineEnds(data, true) {
			return
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		var want [][]string
		var wantLines []int
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // encoding/csv refuses it: nothing to compare
			}
			line, _ := r.FieldPos(0)
			want = append(want, rec)
			wantLines = append(wantLines, line)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(lines, wantLines) {
			t.Fatalf("scanner: %q at lines %v\nencoding/csv: %q at lines %v", got, lines, want, wantLines)
		}
	})
}

// FuzzReadLeads: reading any bytes as a lead export never panics; it
// fails only with ErrSchema (an unusable file); every kept lead has a
// unique, trimmed lead_id without control characters, and text fields
// that are valid UTF-8; the file's counts add up.
func FuzzReadLeads(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadLeads(context.Background(), writeTemp(t, "leads.csv", data))
		if err != nil {
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("error without ErrSchema: %v", err)
			}
			return
		}
		if len(got.Files) != 1 || got.Files[0].Rows != len(got.Leads) {
			t.Fatalf("files %+v for %d leads", got.Files, len(got.Leads))
		}
		seen := map[string]bool{}
		for _, l := range got.Leads {
			checkID(t, "lead_id", l.LeadID)
			if seen[l.LeadID] {
				t.Fatalf("lead_id %q kept twice", l.LeadID)
			}
			seen[l.LeadID] = true
			for _, s := range append([]string{l.FirstName, l.LastName, l.Email, l.CurrentCompany, l.CurrentTitle}, l.PastCompanies...) {
				if !utf8.ValidString(s) || strings.TrimSpace(s) != s {
					t.Fatalf("lead %q: value %q", l.LeadID, s)
				}
			}
		}
		checkRejects(t, got.Rejects, got.Files)
	})
}

// FuzzReadCompanies: the same for an account export; a kept company's
// head count is an ordered range within OpenEnded.
func FuzzReadCompanies(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadCompanies(context.Background(), writeTemp(t, "accounts.csv", data))
		if err != nil {
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("error without ErrSchema: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range got.Companies {
			checkID(t, "account_id", c.AccountID)
			if seen[c.AccountID] {
				t.Fatalf("account_id %q kept twice", c.AccountID)
			}
			seen[c.AccountID] = true
			if c.EmployeesMin < 0 || c.EmployeesMax < c.EmployeesMin || c.EmployeesMax > OpenEnded {
				t.Fatalf("company %+v", c)
			}
		}
		if got.Files[0].Rows != len(got.Companies) {
			t.Fatalf("files %+v for %d companies", got.Files, len(got.Companies))
		}
		checkRejects(t, got.Rejects, got.Files)
	})
}

// FuzzReadSnapshot: any Contact.csv, Lead.csv and Account.csv give a
// snapshot or an ErrSchema error, never a panic; kept Salesforce ids are
// unique per object, trimmed, without control characters, and in their
// 18-character form when they are well-formed ids (AccountId too); the
// people are the Contacts then the Leads the file stats count.
func FuzzReadSnapshot(f *testing.F) {
	f.Fuzz(func(t *testing.T, contact, lead, account []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"Contact.csv": contact, "Lead.csv": lead, "Account.csv": account} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
		if err != nil {
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("error without ErrSchema: %v", err)
			}
			return
		}
		canonical := func(what, id string) {
			t.Helper()
			if id18, err := sfid.To18(id); err == nil && id18 != id {
				t.Fatalf("%s %q kept, not in its 18-character form %q", what, id, id18)
			}
		}
		seen := map[string]bool{}
		contacts := 0
		for i, p := range snap.People {
			checkID(t, "Id", p.ID)
			canonical("Id", p.ID)
			canonical("AccountId", p.AccountID)
			if seen[p.Object+p.ID] {
				t.Fatalf("%s %q kept twice", p.Object, p.ID)
			}
			seen[p.Object+p.ID] = true
			if p.Object == "Contact" {
				if contacts != i {
					t.Fatal("a Contact after a Lead")
				}
				contacts++
			}
		}
		for _, a := range snap.Accounts {
			checkID(t, "Account Id", a.ID)
			canonical("Account Id", a.ID)
			if a.Employees < 0 {
				t.Fatalf("account %+v", a)
			}
		}
		if len(snap.Files) != 3 || snap.Files[0].Rows != contacts || snap.Files[1].Rows != len(snap.People)-contacts || snap.Files[2].Rows != len(snap.Accounts) {
			t.Fatalf("files %+v for %d people (%d contacts), %d accounts", snap.Files, len(snap.People), contacts, len(snap.Accounts))
		}
		checkRejects(t, snap.Rejects, snap.Files)
	})
}

// FuzzReadParquet: any bytes starting with the Parquet magic, read as a
// lead export, give leads or an error, never a panic (a damaged file is
// ErrSchema when its footer or schema cannot be read, a read error when a
// page cannot); what is kept satisfies FuzzReadLeads' invariants.
func FuzzReadParquet(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte("PAR1")) {
			data = append([]byte("PAR1"), data...)
		}
		got, err := ReadLeads(context.Background(), writeTemp(t, "leads.parquet", data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, l := range got.Leads {
			checkID(t, "lead_id", l.LeadID)
			if seen[l.LeadID] {
				t.Fatalf("lead_id %q kept twice", l.LeadID)
			}
			seen[l.LeadID] = true
		}
		if got.Files[0].Rows != len(got.Leads) {
			t.Fatalf("files %+v for %d leads", got.Files, len(got.Leads))
		}
		checkRejects(t, got.Rejects, got.Files)
	})
}
